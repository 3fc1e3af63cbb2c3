"""A LoRA stage's export: the adapter and the merged model, from the peft-keyed model verl 0.9.1 writes.

verl's FSDP checkpoint manager saves the actor's full state dict as its ``huggingface`` export; for a LoRA
actor that state dict is peft's (``base_model.model....base_layer.weight``, ``lora_A.default.weight``), which
transformers would load as a model with missing weights. At the end of a LoRA stage lmmr1 rebuilds the peft
model from that state dict with peft itself and writes

* ``actor/lora_adapter/`` - peft's ``adapter_config.json`` and ``adapter_model.safetensors`` (what peft's
  ``PeftModel.from_pretrained`` and vLLM's LoRA loader read);
* ``actor/huggingface/`` - the merged model (base + scale * B A, by peft's ``merge_and_unload``), a plain HF
  model the next stage and ``lmmr1 eval`` start from, with verl's tokenizer, processor and generation files.

Idempotent: a merged export (no peft keys) is left as it is, so a resumed curriculum can call it again.

Only the stage's final export is converted during the run (a merge writes the whole model again).
``convert_in_run`` converts an earlier one on demand (``lmmr1 eval --model RUN/STAGE/checkpoints/
global_step_N/actor/huggingface``), reading the stage's LoRA settings and base model from the run's manifest.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from lmmr1.config.schema import LoraSpec
from lmmr1.errors import UserError
from lmmr1.verl.bridge import VISION_TOWER_MODULES

ADAPTER_DIR = "lora_adapter"
_WEIGHT_SUFFIXES = (".safetensors", ".bin")
_WEIGHT_INDEX = ("model.safetensors.index.json", "pytorch_model.bin.index.json")


def _state_dict(export: Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    state: dict[str, Any] = {}
    for shard in sorted(export.glob("*.safetensors")):
        state.update(load_file(str(shard)))
    return state


def is_peft_export(export: Path) -> bool:
    """Whether ``export`` holds peft's keys (verl's export of a LoRA actor) rather than a plain HF model."""
    from safetensors import safe_open

    for shard in export.glob("*.safetensors"):
        with safe_open(str(shard), "pt") as f:
            if any(".lora_A." in k or ".base_layer." in k for k in f.keys()):
                return True
    return False


def lora_config(lora: LoraSpec) -> Any:
    """peft's LoraConfig as verl 0.9.1's FSDP engine builds it from lmmr1's settings (see lmmr1.verl.bridge)."""
    from peft import LoraConfig, TaskType

    modules = lora.target_modules if isinstance(lora.target_modules, str) else list(lora.target_modules)
    return LoraConfig(
        task_type=TaskType.CAUSAL_LM,
        r=int(lora.rank),
        lora_alpha=int(lora.alpha),
        target_modules=modules,
        exclude_modules=None if lora.vision_tower else VISION_TOWER_MODULES,
        bias="none",
    )


def _model_class(config: Any) -> Any:
    import transformers

    if getattr(config, "vision_config", None) is not None:
        return transformers.AutoModelForImageTextToText
    return transformers.AutoModelForCausalLM


def finish_lora_export(export: Path, lora: LoraSpec, base_model: str) -> Path:
    """Split verl's peft-keyed ``export`` into ``../lora_adapter`` and a merged model in ``export`` itself.

    ``base_model`` is recorded in the adapter's config (the model the stage started from).
    """
    if not is_peft_export(export):
        return export
    import warnings

    from transformers.utils import logging as hf_logging

    shown = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # transformers' "Writing model shards" bar is not lmmr1's console
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # peft's notes on the base model's files: the export has them
            return _split(export, lora, base_model)
    finally:
        if shown:
            hf_logging.enable_progress_bar()


def _split(export: Path, lora: LoraSpec, base_model: str) -> Path:
    import torch
    from peft import get_peft_model
    from transformers import AutoConfig

    state = _state_dict(export)
    config = AutoConfig.from_pretrained(str(export))
    dtype = next(iter(state.values())).dtype
    model = _model_class(config).from_config(config, dtype=dtype)
    peft_model = get_peft_model(model, lora_config(lora))
    expected = set(peft_model.state_dict())
    missing = sorted(expected - set(state))
    # a tied output head is not in the export (transformers re-ties it); anything else missing is an error
    missing = [
        k for k in missing if not (k.endswith("lm_head.weight") and config.get_text_config().tie_word_embeddings)
    ]
    unexpected = sorted(set(state) - expected)
    if missing or unexpected:
        raise ValueError(
            f"{export}: verl's LoRA export does not match the adapter lmmr1 configured (rank {lora.rank}, "
            f"target_modules {lora.target_modules!r}): missing {missing[:5]}, unexpected {unexpected[:5]}"
        )
    with torch.no_grad():
        peft_model.load_state_dict(state, strict=False)
    peft_model.tie_weights()
    adapter_dir = export.parent / ADAPTER_DIR
    if adapter_dir.exists():
        shutil.rmtree(adapter_dir)
    peft_model.peft_config["default"].base_model_name_or_path = base_model
    peft_model.save_pretrained(str(adapter_dir))
    merged = peft_model.merge_and_unload()
    staging = export.with_name(export.name + ".merging")
    if staging.exists():
        shutil.rmtree(staging)
    merged.save_pretrained(str(staging))
    for item in export.iterdir():  # tokenizer, processor, chat template, generation config from verl's export
        if item.suffix in _WEIGHT_SUFFIXES or item.name in _WEIGHT_INDEX or (staging / item.name).exists():
            continue
        shutil.copy2(item, staging / item.name)
    old = export.with_name(export.name + ".peft")
    export.rename(old)
    staging.rename(export)
    shutil.rmtree(old)
    return export


class LoraExportError(UserError, ValueError):
    """A peft-keyed export lmmr1 cannot convert (no run manifest names its LoRA settings)."""


def convert_in_run(export: Path) -> Path:
    """Convert verl's peft-keyed ``export`` (an intermediate checkpoint of a LoRA stage) in place.

    The run is the nearest folder above with a ``manifest.json``; the stage is the one whose checkpoint
    folder holds ``export``; its recorded ``lora.*`` settings and initial model rebuild the adapter."""
    from lmmr1.run.layout import RunPaths
    from lmmr1.run.manifest import ManifestError, read_manifest

    export = export.resolve()
    for root in export.parents:
        paths = RunPaths(root)
        if not paths.manifest.exists():
            continue
        try:
            stages = read_manifest(paths.manifest).get("stages", [])
        except ManifestError as exc:
            raise LoraExportError(str(exc)) from None
        for stage in stages:
            folder = paths.stage(str(stage.get("name"))).checkpoints.resolve()  # also where a moved run keeps it
            if folder not in export.parents:
                continue
            settings = stage.get("settings") or {}
            if not settings.get("lora.rank"):
                break
            lora = LoraSpec(
                rank=int(settings["lora.rank"]),
                alpha=int(settings.get("lora.alpha", 16)),
                target_modules=settings.get("lora.target_modules", "all-linear"),
                vision_tower=bool(settings.get("lora.vision_tower", False)),
            )
            base = stage.get("init_model") or settings.get("model")
            return finish_lora_export(export, lora, str(base))
        break
    raise LoraExportError(
        f"{export} holds verl's LoRA export (peft's keys), which transformers cannot load, and no lmmr1 run "
        "around it records the stage's lora settings; pass the run directory, or the export of a finished "
        "stage (actor/huggingface), which lmmr1 has already merged"
    )
