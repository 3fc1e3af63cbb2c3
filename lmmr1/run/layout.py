"""The run directory, the reward row and the metric keys: defined here once, imported by writers and readers.

A leaf (it imports :mod:`lmmr1.jsonl` and nothing else of lmmr1), so the driver, verl's workers and the tools
that show a run (``status``, ``plot``, ``view``, ``report``, ``eval --model RUN_DIR``) all spell a file the
same way. A run directory (``output_dir``)::

    OUTPUT/
      manifest.json             what each stage did (lmmr1.run.manifest); the run's identity
      metrics.jsonl             one line per training or validation step, every stage, in order
      logs/STAGE-N/             link to the Ray session's logs of the stage's Nth attempt (copied at its end)
      archive/TIME/             outputs set aside by restart_from=STAGE
      STAGE/
        checkpoints/            verl's: global_step_N/{actor/huggingface (RL) | huggingface (SFT)}, and
                                latest_checkpointed_iteration.txt
        final_hf -> checkpoints/global_step_N/...   (relative link: the HF model the next stage starts from)
        verl_metrics.jsonl      verl's file logger (raw), verl_metrics.attempt-N.jsonl: earlier attempts
        reward_rows.jsonl       one RewardRow per scored response
        agent_loops.yaml        verl's agent-loop config (lmmr1's loops and their settings)
        turn_credit.jsonl       algorithm=gigpo|turn_gae: each episode's turns, rewards and advantages
        tokens.jsonl            log_tokens responses a step: each token's log-probability and entropy
        tensorboard/            when logger=[...,tensorboard]
        val_benchmarks.parquet  the validation benchmarks' rows, when the stage validates on benchmarks

An evaluation's folder (``lmmr1 eval --output``) holds ``items.jsonl``, ``summary.json`` and ``judge_cache.jsonl``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from lmmr1.jsonl import read_jsonl, read_records

__all__ = [
    "BENCH_SOURCE_PREFIX",
    "REWARD_KEY",
    "SFT_LOSS_KEY",
    "EvalPaths",
    "RewardRow",
    "RunPaths",
    "StagePaths",
    "hf_export_of",
    "latest_checkpoint",
    "read_jsonl",
    "read_records",
    "reward_component_key",
    "validation_score_key",
]

MANIFEST = "manifest.json"
METRICS = "metrics.jsonl"
HF_CONFIG = "config.json"  # a folder holding it (and *.safetensors) is an HF model


@dataclass(frozen=True)
class StagePaths:
    """The files of one stage, under ``OUTPUT/STAGE``."""

    root: Path

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def final_hf(self) -> Path:
        return self.root / "final_hf"

    @property
    def verl_metrics(self) -> Path:
        return self.root / "verl_metrics.jsonl"

    def earlier_verl_metrics(self, attempt: int) -> Path:
        """Where attempt ``attempt``'s raw verl metrics are set aside before the next attempt starts."""
        return self.root / f"verl_metrics.attempt-{attempt}.jsonl"

    @property
    def reward_rows(self) -> Path:
        return self.root / "reward_rows.jsonl"

    @property
    def agent_loops(self) -> Path:
        return self.root / "agent_loops.yaml"

    @property
    def turn_credit(self) -> Path:
        return self.root / "turn_credit.jsonl"

    @property
    def tokens(self) -> Path:
        """Sampled responses token by token: log-probability and entropy (lmmr1.verl.token_log)."""
        return self.root / "tokens.jsonl"

    @property
    def tensorboard(self) -> Path:
        return self.root / "tensorboard"

    @property
    def val_benchmarks(self) -> Path:
        return self.root / "val_benchmarks.parquet"


@dataclass(frozen=True)
class RunPaths:
    """The files of a run, from its ``output_dir``."""

    root: Path

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST

    @property
    def metrics(self) -> Path:
        return self.root / METRICS

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def stage_logs(self, stage: str, attempt: int) -> Path:
        return self.logs / f"{stage}-{attempt}"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @staticmethod
    def archived_record(archive: Path, stage: str) -> Path:
        """A stage's manifest record, kept beside its outputs when restart_from sets them aside."""
        return archive / f"{stage}.{MANIFEST}"

    def stage(self, name: str) -> StagePaths:
        return StagePaths(self.root / name)

    def is_run(self) -> bool:
        """Whether the folder is a run directory (it has a manifest)."""
        return self.manifest.is_file()


@dataclass(frozen=True)
class EvalPaths:
    """The files of an evaluation (``lmmr1 eval --output OUT``)."""

    root: Path

    @property
    def items(self) -> Path:
        return self.root / "items.jsonl"

    @property
    def summary(self) -> Path:
        return self.root / "summary.json"

    @property
    def judge_cache(self) -> Path:
        return self.root / "judge_cache.jsonl"


# ------------------------------------------------------------------------------------------ checkpoints
LATEST_CHECKPOINT = "latest_checkpointed_iteration.txt"  # verl's marker of its newest complete checkpoint


def latest_checkpoint(checkpoints: Path) -> tuple[Optional[int], Optional[Path]]:
    """(step, directory) of the newest complete verl checkpoint, or (None, None)."""
    marker = checkpoints / LATEST_CHECKPOINT
    if not marker.exists():
        return None, None
    text = marker.read_text().strip()
    if not re.fullmatch(r"\d+", text):
        return None, None
    step = int(text)
    path = checkpoints / f"global_step_{step}"
    return (step, path) if path.exists() else (None, None)


def hf_export_of(checkpoint: Path) -> Optional[Path]:
    """verl writes the full HF model when asked to: ``actor/huggingface`` (PPO), ``huggingface`` (SFT)."""
    for candidate in (checkpoint / "actor" / "huggingface", checkpoint / "huggingface"):
        if (candidate / HF_CONFIG).exists() and any(candidate.glob("*.safetensors")):
            return candidate
    return None


# ------------------------------------------------------------------------------------------ metric keys
STAGE_KEY, STEP_KEY = "stage", "step"  # every line of metrics.jsonl: which stage, which step
REWARD_KEY = "critic/score/mean"  # verl's mean sequence score of a training step
SFT_LOSS_KEY = "train/loss"  # verl's SFT trainer's per-step loss
REWARD_ROWS_KEY = "reward/rows"  # rows folded into a step's reward components
REWARD_ERROR_EXAMPLE_KEY = "reward/error/example"
COUNTED_COMPONENTS = ("timeout", "error")  # summed per step (a count), the others averaged


def reward_component_key(component: str) -> str:
    """``reward/<component>/mean``, or ``/count`` for timeouts and errors (see COUNTED_COMPONENTS)."""
    return f"reward/{component}/{'count' if component in COUNTED_COMPONENTS else 'mean'}"


def validation_score_key(benchmark: str) -> str:
    """A validation benchmark's score in per cent, as metrics.jsonl carries it."""
    return f"val/{benchmark}/score"


# ------------------------------------------------------------------------------------------ reward row
BENCH_SOURCE_PREFIX = "bench/"  # data_source of validation-benchmark rows (not a training step's)


@dataclass
class RewardRow:
    """One scored response, one line of ``STAGE/reward_rows.jsonl`` (written by the reward manager).

    On disk the components sit beside the named fields (``{"data_source", "score", "acc", "format", ...}``),
    as lmmr1 has always written them; :meth:`from_record` reads lines of any earlier version.
    """

    data_source: str
    score: float
    components: dict[str, float] = field(default_factory=dict)  # acc, format, timeout, error, ...
    weights_step: Optional[int] = None  # the policy version that generated the response
    response: Optional[str] = None  # clipped to log_responses characters
    ground_truth: Optional[str] = None
    prompt_id: Optional[str] = None  # extra_info.id: `lmmr1 view` finds the prompt and its image
    reason: Optional[str] = None  # why the reward failed, when it did
    extra: dict[str, Any] = field(default_factory=dict)  # keys a reader added (stage, step) or it did not know

    NAMED = ("data_source", "score", "weights_step", "response", "ground_truth", "prompt_id", "reason")

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {"data_source": self.data_source, "score": self.score, **self.components}
        for key in ("response", "ground_truth", "prompt_id", "weights_step", "reason"):
            value = getattr(self, key)
            if value is not None:
                record[key] = value
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> RewardRow:
        components = {
            k: float(v)
            for k, v in record.items()
            if k not in cls.NAMED and isinstance(v, (int, float)) and not isinstance(v, bool)
        }
        extra = {k: v for k, v in record.items() if k not in cls.NAMED and k not in components}
        step = record.get("weights_step")
        score = record.get("score")
        return cls(
            data_source=str(record.get("data_source", "")),
            score=float(score) if isinstance(score, (int, float)) else 0.0,
            components=components,
            weights_step=step if isinstance(step, int) and not isinstance(step, bool) else None,
            response=None if record.get("response") is None else str(record["response"]),
            ground_truth=None if record.get("ground_truth") is None else str(record["ground_truth"]),
            prompt_id=None if record.get("prompt_id") is None else str(record["prompt_id"]),
            reason=None if record.get("reason") is None else str(record["reason"]),
            extra=extra,
        )

    @property
    def is_validation(self) -> bool:
        return self.data_source.startswith(BENCH_SOURCE_PREFIX)

    @property
    def training_step(self) -> Optional[int]:
        """The 1-based training step whose rollouts this row scored (None: unknown or validation)."""
        if self.is_validation or self.weights_step is None:
            return None
        return self.weights_step + 1


def read_reward_rows(path: Path, offset: int = 0) -> tuple[list[RewardRow], int]:
    """Rows appended to a ``reward_rows.jsonl`` from byte ``offset`` on, and the offset to go on from."""
    records, end = read_records(path, offset)
    return [RewardRow.from_record(r) for r in records], end
