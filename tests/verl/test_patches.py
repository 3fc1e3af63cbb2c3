"""Each run-time patch (lmmr1/verl/patches.py) still works around a live upstream bug.

Every test here exercises the *upstream* code without lmmr1's patch, in a fresh process, and asserts that
the bug is still there. When one of them fails after an upgrade, upstream has fixed the bug: delete the
patch (the module is named in lmmr1/verl/patches.py) and this test.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from lmmr1.verl import patches


def _python(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter with none of lmmr1's verl plug-ins loaded."""
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("VERL_USE_EXTERNAL_MODULES", "VERL_PLATFORM")}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240, env=env)


def _source(module: str, relative: str) -> str:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.submodule_search_locations
    return (Path(list(spec.submodule_search_locations)[0]) / relative).read_text(encoding="utf-8")


def test_every_patch_names_an_existing_test_and_versions():
    repo = Path(__file__).resolve().parents[2]
    for patch in patches.PATCHES:
        assert patch.written_for, patch.name
        path, _, name = patch.upstream_test.partition("::")
        assert path.startswith("tests/verl/"), patch.name
        assert f"def {name}(" in (repo / path).read_text(encoding="utf-8"), patch.name


def test_versions_outside_the_tested_range_are_reported(monkeypatch, caplog):
    monkeypatch.setattr(patches, "installed_version", lambda dist: "99.0" if dist == "verl" else None)
    patches._WARNED.discard("vision_output_mean")
    with caplog.at_level("WARNING", logger="lmmr1"):
        patches.check("vision_output_mean")
    assert "verl 99.0 (written for ==0.9.1)" in caplog.text
    assert "test_upstream_verl_still_calls_mean_on_the_vision_output" in caplog.text


def test_the_installed_set_is_the_tested_set():
    assert all(not patches.mismatches(p) for p in patches.PATCHES), patches.table()


@pytest.mark.slow  # a fresh interpreter importing transformers' Qwen2.5-VL (~8 s)
def test_upstream_verl_still_calls_mean_on_the_vision_output():
    source = _source("verl", "models/transformers/qwen2_vl.py")
    assert "0.0 * image_embeds.mean()" in source
    out = _python(
        "from transformers.modeling_outputs import BaseModelOutputWithPooling as B\n"
        "print('HAS_MEAN' if hasattr(B, 'mean') else 'NO_MEAN')\n"
        "import inspect\n"
        "from transformers.models.qwen2_5_vl import modeling_qwen2_5_vl as m\n"
        "print('RETURNS_OUTPUT' if 'BaseModelOutputWithPooling(' in inspect.getsource(m.Qwen2_5_VisionTransformerPretrainedModel.forward) else 'RETURNS_TENSOR')\n"
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "NO_MEAN" in out.stdout and "RETURNS_OUTPUT" in out.stdout


@pytest.mark.slow  # a fresh interpreter importing verl (~9 s)
def test_upstream_verl_still_fails_to_split_equal_length_3d_position_ids():
    out = _python(
        "import torch\n"
        "from tensordict import TensorDict\n"
        "from verl.utils.tensordict_utils import maybe_fix_3d_position_ids, index_select_tensor_dict\n"
        "parts = [torch.arange(12).reshape(4, 3) + i for i in range(4)]\n"
        "td = TensorDict({'position_ids': torch.nested.as_nested_tensor(parts, layout=torch.jagged)}, batch_size=[4])\n"
        "maybe_fix_3d_position_ids(td)\n"
        "try:\n"
        "    out = index_select_tensor_dict(td, [1, 3])\n"
        "    got = list(out['position_ids'].unbind())\n"
        "    ok = all(torch.equal(a, b) for a, b in zip(got, [parts[1], parts[3]]))\n"
        "    print('SPLIT_OK' if ok else 'SPLIT_WRONG')\n"
        "except Exception as exc:\n"
        "    print('SPLIT_FAILED', type(exc).__name__)\n"
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "SPLIT_OK" not in out.stdout, "verl now splits equal-length 3-D position ids: remove the patch"


def test_upstream_torch_still_rejects_verls_cpu_backend_string():
    source = _source("verl", "utils/distributed.py")
    assert 'f"cpu:gloo,{get_device_name()}:{get_nccl_backend()}"' in source
    out = _python(
        "import os, torch.distributed as dist\n"
        "os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT='29517')\n"
        "try:\n"
        "    dist.init_process_group(backend='cpu:gloo,cpu:gloo', rank=0, world_size=1)\n"
        "    print('ACCEPTED')\n"
        "except Exception as exc:\n"
        "    print('REJECTED', type(exc).__name__)\n"
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "REJECTED" in out.stdout


def test_upstream_torch_still_cannot_pin_memory_without_an_accelerator():
    out = _python(
        "import torch\n"
        "assert not torch.cuda.is_available()\n"
        "try:\n"
        "    torch.zeros(2).pin_memory()\n"
        "    print('PINNED')\n"
        "except Exception as exc:\n"
        "    print('FAILED', type(exc).__name__)\n"
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "FAILED" in out.stdout


def test_upstream_qwen_vl_utils_still_imports_torchvision_at_module_level():
    source = _source("qwen_vl_utils", "vision_process.py")
    top_level = [line for line in source.splitlines() if line.startswith(("import torchvision", "from torchvision"))]
    assert top_level, "qwen_vl_utils no longer imports torchvision at module level: remove the shim"
    assert importlib.util.find_spec("torchvision") is None  # the CPU set deliberately has no torchvision


@pytest.mark.slow  # a fresh interpreter importing transformers' Qwen2.5-VL (~8 s)
def test_upstream_qwen_vl_processor_still_requires_a_video_processor():
    out = _python(
        "from transformers.utils import is_torchvision_available\n"
        "from transformers import Qwen2_5_VLProcessor\n"
        "print('TV' if is_torchvision_available() else 'NO_TV')\n"
        "print('NEEDS_VIDEO' if 'video_processor' in Qwen2_5_VLProcessor.get_attributes() else 'NO_VIDEO')\n"
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "NO_TV" in out.stdout and "NEEDS_VIDEO" in out.stdout


def test_upstream_verl_still_hard_codes_flash_attention_for_critics():
    source = _source("verl", "utils/model.py")
    body = source[source.index("def load_valuehead_model") :]
    body = body[: body.index("\ndef ", 1)]
    assert 'attn_implementation="flash_attention_2"' in body, "verl honours the attention now: remove the patch"


def test_upstream_verl_still_orders_a_batch_by_completion():
    """verl's replay buffer hands out a prompt's samples in the order they were stored (= finished)."""
    result = _python(
        "from types import SimpleNamespace\n"
        "import transfer_queue as tq\n"
        "from verl.trainer.ppo.v1 import replay_buffer\n"
        "tq.kv_clear = lambda **kw: None\n"
        "snapshot = {'u2_1_0': {'s': 1}, 'u1_0_0': {'s': 2}, 'u2_0_0': {'s': 3}}\n"
        "meta = replay_buffer.ReplayBuffer._materialize_batch(SimpleNamespace(), 'train', ['u1', 'u2'], snapshot)\n"
        "print(','.join(meta.keys))\n"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "u2_1_0,u1_0_0,u2_0_0", "verl orders batches now: remove the patch"
    source = _source("verl", "trainer/ppo/v1/trainer_base.py")
    assert "uuid.uuid4()" in source, "verl names prompts reproducibly now: remove the uid counter"


def test_upstream_verl_still_computes_advantages_without_extra_fields():
    """verl's trainer fetches token tensors only for advantages and calls the multi-trajectory helper by its
    module name (what lmmr1's turn-credit hook wraps); the day it passes extra_fields, the hook can go."""
    import inspect

    from verl.trainer.ppo.v1 import trainer_base

    source = inspect.getsource(trainer_base.PPOTrainer._compute_advantage)
    assert "compute_advantage_for_multi_trajectories(" in source
    fields_line = next(line for line in source.splitlines() if line.strip().startswith("fields = ["))
    assert "extra_fields" not in fields_line, "verl fetches extra_fields for advantages now: simplify the hook"
    generic = inspect.getsource(__import__("verl.trainer.ppo.ray_trainer", fromlist=["x"]).compute_advantage)
    assert "non_tensor_batch" not in generic.split("adv_kwargs = {")[1].split("}")[0]


def test_upstream_verl_still_has_no_overlong_filter():
    """verl 0.9.1 shapes overlong rewards (its DAPO reward manager) but never masks truncated rows; its step runs
    advantage, critic, actor in one _step_once, and its losses mask with response_mask and normalise token-mean
    by loss_mask (what lmmr1.verl.overlong_filter writes). The day verl filters, the hook can go."""
    import inspect

    from verl.trainer.config import AlgoConfig
    from verl.trainer.ppo.v1 import trainer_base
    from verl.workers.engine.fsdp import transformer_impl
    from verl.workers.utils import losses

    assert not any("overlong" in f or "truncat" in f for f in AlgoConfig.__dataclass_fields__)
    assert "overlong" not in inspect.getsource(trainer_base)
    step = inspect.getsource(trainer_base.PPOTrainer._step_once)
    assert step.index("self._compute_advantage(") < step.index("self._update_actor(")
    assert 'data["response_mask"]' in inspect.getsource(losses.ppo_loss)
    assert 'data["loss_mask"].sum()' in inspect.getsource(transformer_impl.FSDPEngine.forward_backward_batch)


def test_upstream_verl_still_computes_entropy_with_the_old_log_probs():
    """lmmr1's token log reads ``old_log_probs`` and ``entropy`` from the TransferQueue after verl's
    _compute_old_log_prob: verl asks for entropy there and writes both fields; it logs no tokens itself."""
    import inspect

    from verl.trainer.ppo.v1 import trainer_base

    source = inspect.getsource(trainer_base.PPOTrainer._compute_old_log_prob)
    assert '"calculate_entropy": True' in source
    assert 'select("old_log_probs", "entropy")' in source
    assert "tokens.jsonl" not in inspect.getsource(trainer_base)


def test_upstream_verl_sft_trainer_still_hard_codes_eight_loader_workers():
    import inspect

    from verl.trainer.sft_trainer_ray import SFTTrainer

    source = inspect.getsource(SFTTrainer._build_dataloader)
    assert source.count("num_workers=8") == 2, "verl's SFT loaders read a setting now: remove the patch"
    assert "data.num_workers" not in source


def test_sft_loaders_take_the_configured_number_of_workers(monkeypatch):
    from verl.trainer import sft_trainer_ray

    from lmmr1.verl.fixes import install_sft_loader_workers

    monkeypatch.setattr(sft_trainer_ray, "StatefulDataLoader", sft_trainer_ray.StatefulDataLoader)
    install_sft_loader_workers(0)
    loader = sft_trainer_ray.StatefulDataLoader(list(range(4)), batch_size=2, num_workers=8)  # as verl calls it
    assert loader.num_workers == 0 and [b.tolist() for b in loader] == [[0, 1], [2, 3]]
    install_sft_loader_workers(2)  # installing again wraps verl's class, not the previous wrapper
    assert sft_trainer_ray.StatefulDataLoader(list(range(4)), batch_size=2, num_workers=8).num_workers == 2
    assert sft_trainer_ray.StatefulDataLoader.__mro__[1] is sft_trainer_ray.StatefulDataLoader._lmmr1_base


def test_upstream_verl_sft_collator_still_fails_on_a_text_row_before_a_picture_row():
    result = _python(
        "import torch\n"
        "from verl.utils.dataset.dataset_utils import SFTTensorCollator\n"
        "text = {'input_ids': torch.tensor([1, 2]), 'position_ids': torch.tensor([0, 1]), 'loss_mask': torch.tensor([0, 1])}\n"
        "picture = dict(text, multi_modal_inputs={'pixel_values': torch.zeros(4, 3)})\n"
        "try:\n"
        "    SFTTensorCollator('no_padding')([text, picture])\n"
        "    print('COLLATED')\n"
        "except KeyError as exc:\n"
        "    print('KEYERROR', exc)\n"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "KEYERROR 'multi_modal_inputs'" in result.stdout, "verl collates mixed SFT batches now: remove the patch"


def test_trainer_hooks_install_once_each_whatever_wrapped_the_method_since(monkeypatch):
    """Three lmmr1 hooks wrap verl's v1 trainer (two of them the same method): installing them all again, as a
    second import in the same worker would, wraps nothing twice; without their variables none is installed."""
    from verl.trainer.ppo.v1 import trainer_base

    from lmmr1.run.devices import OVERLONG_FILTER_ENV, TOKEN_LOG_ENV, TURN_CREDIT_ENV
    from lmmr1.verl import overlong_filter, token_log, turn_credit_hook

    class Trainer:
        def _compute_advantage(self, batch, metrics):
            return batch

        def _step_once(self, *args, **kwargs):
            return None

        def _compute_old_log_prob(self, batch, metrics):
            return batch

    monkeypatch.setattr(trainer_base, "PPOTrainer", Trainer)
    monkeypatch.setattr(trainer_base, "compute_advantage_for_multi_trajectories", lambda *a, **k: None)
    names = ("_compute_advantage", "_step_once", "_compute_old_log_prob")
    original = {name: Trainer.__dict__[name] for name in names}
    for hook in (turn_credit_hook, overlong_filter, token_log):
        hook.install()
    assert {name: Trainer.__dict__[name] for name in names} == original  # no variable set: nothing wrapped
    for env in (TURN_CREDIT_ENV, OVERLONG_FILTER_ENV, TOKEN_LOG_ENV):
        monkeypatch.setenv(env, "1")
    for hook in (turn_credit_hook, overlong_filter, token_log):
        hook.install()
    wrapped = {name: Trainer.__dict__[name] for name in names}
    assert all(wrapped[name] is not original[name] for name in names)
    assert Trainer._lmmr1_hooks == {"turn_level_advantages", "overlong_filter", "token_log"}
    for hook in (turn_credit_hook, overlong_filter, token_log):
        hook.install()
    assert {name: Trainer.__dict__[name] for name in names} == wrapped


def test_the_token_log_takes_responses_spread_over_the_batch():
    """32 responses of 4 prompts (8 samples each, grouped as verl keeps them): 8 logged reach every prompt."""
    from lmmr1.verl.token_log import spread

    keys = [f"p{p}_{k}" for p in range(4) for k in range(8)]
    chosen = spread(keys, 8)
    assert len(chosen) == 8 and {key.split("_")[0] for key in chosen} == {"p0", "p1", "p2", "p3"}
    assert chosen == sorted(chosen, key=keys.index) and spread(keys[:5], 8) == keys[:5]
