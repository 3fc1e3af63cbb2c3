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

        return ensure_tiny_model(spec[len("tiny:"):])
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


def materialise(run: RunConfig) -> RunConfig:
    """The run with sample sets written and tiny models built (idempotent, cached)."""
    return dataclasses.replace(run, model_path=materialise_model(run.model_path),
                               stages=[_stage(s) for s in run.stages])
