"""A run's inputs: check the data and model specs, and materialise bundled samples and tiny models.

Composition and validation (:mod:`lmmr1.config`) keep ``sample:NAME`` data files and ``tiny:KIND`` models
as specs, so that a dry run or a failed check writes nothing. Just before the first stage starts, this
module writes the sample parquet files and builds the tiny models (both cached under ``$LMMR1_CACHE``)
and returns the run config with concrete paths.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Optional

from lmmr1.config import ConfigError, RunConfig, StageSpec, resolve_model_path
from lmmr1.run.layout import RunPaths
from lmmr1.typecheck import close_match


def check_model_spec(spec: str, where: str = "model.path") -> str:
    """A model spec, resolved: ``tiny:KIND`` of a kind lmmr1 builds, a local folder that exists, or a hub id."""
    if spec.startswith("tiny:"):
        from lmmr1.tiny_models import KINDS

        kind = spec[len("tiny:") :]
        if kind not in KINDS:
            raise ConfigError(
                f"{where}={spec}: unknown tiny model{close_match(kind, KINDS)}; choose one of tiny:{', tiny:'.join(KINDS)}"
            )
        return spec
    return resolve_model_path(spec)


# The head sizes vLLM's CPU attention serves (vllm 0.24: CPUAttentionBackend.get_supported_head_sizes();
# tests/verl/test_vllm_cpu.py compares them with the installed vLLM)
VLLM_CPU_HEAD_SIZES = (32, 64, 80, 96, 112, 128, 160, 192, 224, 256, 512)


def _head_dim(config: dict) -> Optional[int]:
    """The attention head size of a transformers config (the text tower's, for a vision-language model)."""
    text = config.get("text_config") or config
    if text.get("head_dim"):
        return int(text["head_dim"])
    if text.get("hidden_size") and text.get("num_attention_heads"):
        return int(text["hidden_size"]) // int(text["num_attention_heads"])
    return None


def check_vllm_cpu_model(spec: str, where: str = "model.path") -> None:
    """A model vLLM's CPU build can serve: attention heads of a size its CPU attention has (``scale=cpu_vllm``).

    Tiny models are judged by their kind (the ``_hd32`` variants), a local folder by its ``config.json``;
    a hub id is left to vLLM, which says the same when it loads the model.
    """
    if spec.startswith("tiny:"):
        from lmmr1.tiny_models import KINDS, text_config

        kind = spec[len("tiny:") :]
        text = text_config(kind)
        head = text["hidden_size"] // text["num_attention_heads"]
        if head not in VLLM_CPU_HEAD_SIZES:
            wider = f"{kind}_hd32"
            hint = f"model=tiny_{wider} ({where}=tiny:{wider})" if wider in KINDS else "a model with other heads"
            raise ConfigError(
                f"{where}={spec}: attention heads of {head}; vLLM's CPU attention serves head sizes "
                f"{', '.join(map(str, VLLM_CPU_HEAD_SIZES))}. Use {hint}, or scale=smoke (lmmr1's HF rollout)."
            )
        return
    config_file = Path(spec) / "config.json"
    if not config_file.is_file():
        return
    import json

    head = _head_dim(json.loads(config_file.read_text(encoding="utf-8")))
    if head is not None and head not in VLLM_CPU_HEAD_SIZES:
        raise ConfigError(
            f"{where}={spec}: attention heads of {head} (config.json); vLLM's CPU attention serves head sizes "
            f"{', '.join(map(str, VLLM_CPU_HEAD_SIZES))}. Use another model, or scale=smoke (lmmr1's HF rollout)."
        )


def check_data_files(files: list[str], where: str) -> None:
    """``sample:NAME`` of a bundled set, a remote URL (verl copies it), or a local file that exists."""
    from lmmr1.samples import SAMPLE_PREFIX, SAMPLE_SETS

    for spec in files:
        if spec.startswith(SAMPLE_PREFIX):
            name = spec[len(SAMPLE_PREFIX) :]
            if name not in SAMPLE_SETS:
                raise ConfigError(
                    f"{where}: unknown sample set '{spec}'{close_match(name, SAMPLE_SETS)}; "
                    f"bundled: {', '.join(SAMPLE_PREFIX + s for s in SAMPLE_SETS)}"
                )
            continue
        if "://" in spec:  # hdfs://, s3:// ... verl copies these itself
            continue
        if not Path(spec).exists():
            raise ConfigError(
                f"{where}: data file {spec} does not exist. Prepare it with `lmmr1 data prepare ...` "
                "(see docs/data.md), or point the key at an existing parquet file."
            )


def materialise_model(spec: str) -> str:
    """``tiny:KIND`` -> the built tiny model's directory; other specs unchanged."""
    if spec.startswith("tiny:"):
        from lmmr1.tiny_models import ensure_tiny_model

        return ensure_tiny_model(spec[len("tiny:") :])
    return spec


def materialise_files(files: list[str], split: str) -> list[str]:
    from lmmr1.samples import resolve_data_path

    return [resolve_data_path(spec, split) for spec in files]


def _stage(stage: StageSpec) -> StageSpec:
    data = dataclasses.replace(
        stage.data,
        train_files=materialise_files(stage.data.train_files, "train"),
        val_files=materialise_files(stage.data.val_files, "val"),
    )
    init = stage.init if stage.init == "model" or stage.init.startswith("stage:") else materialise_model(stage.init)
    new = dataclasses.replace(stage, data=data, init=init)
    new.provenance = stage.provenance
    return new


def _with_validation(run: RunConfig, stage: StageSpec) -> StageSpec:
    """Validation benchmarks -> a verl validation parquet under the stage's folder, scored by ``benchmark``."""
    spec = stage.validation
    if not spec.benchmarks:
        return stage
    from lmmr1.eval.verl_rows import SOURCE_PREFIX, write_validation_set

    path = write_validation_set(
        spec.benchmarks,
        str(spec.data_dir),
        spec.protocol,
        spec.limit,
        RunPaths(run.output_dir).stage(stage.name).val_benchmarks,
    )
    by_source = dict(stage.reward.by_source)
    by_source.update({SOURCE_PREFIX + name: {"name": "benchmark", "kwargs": {}} for name in spec.benchmarks})
    new = dataclasses.replace(
        stage,
        data=dataclasses.replace(stage.data, val_files=[str(path)]),
        reward=dataclasses.replace(stage.reward, by_source=by_source),
    )
    new.provenance = stage.provenance
    return new


def materialise(run: RunConfig) -> RunConfig:
    """The run with sample sets written, tiny models built (cached) and validation benchmarks prepared."""
    run = dataclasses.replace(run, model_path=materialise_model(run.model_path), stages=[_stage(s) for s in run.stages])
    return dataclasses.replace(run, stages=[_with_validation(run, s) for s in run.stages])
