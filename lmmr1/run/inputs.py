"""Materialise a run's inputs when it starts: bundled samples and tiny models.

Composition and validation (:mod:`lmmr1.config`) keep ``sample:NAME`` data files and ``tiny:KIND`` models
as specs, so that a dry run or a failed check writes nothing. Just before the first stage starts, this
module writes the sample parquet files and builds the tiny models (both cached under ``$LMMR1_CACHE``)
and returns the run config with concrete paths.
"""

from __future__ import annotations

import dataclasses

from lmmr1.config import RunConfig, StageSpec


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
        run.output_dir / stage.name / "val_benchmarks.parquet",
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
