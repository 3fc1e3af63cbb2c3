"""Read a run directory (``output_dir``) for the tools that show it: ``lmmr1 status``, ``plot``, ``view``.

A run directory holds ``manifest.json`` (the stages and what each did), ``metrics.jsonl`` (one line per
training step, every stage, in order) and, per stage, ``STAGE/reward_rows.jsonl`` (every scored
response). Nothing here imports torch, Ray or verl, and nothing writes into the run directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

from lmmr1.errors import UserError
from lmmr1.run.layout import REWARD_KEY, SFT_LOSS_KEY, STAGE_KEY, RewardRow, RunPaths, read_jsonl


class RunDirError(UserError, ValueError):
    """The folder is not an lmmr1 run directory (or its files are unreadable)."""


@dataclass
class StageView:
    name: str
    status: str
    steps_done: int  # training steps in metrics.jsonl
    steps_total: Optional[int]  # from the recorded settings, when known
    last_reward: Optional[float]
    checkpoint: Optional[str]
    seconds: Optional[float]
    record: dict[str, Any] = field(default_factory=dict)
    last_loss: Optional[float] = None  # SFT stages: the last step's training loss

    def result(self) -> str:
        """The last step's figure: the mean reward (RL stages) or ``loss X`` (SFT stages)."""
        if isinstance(self.last_reward, (int, float)):
            return f"{self.last_reward:.3f}"
        if isinstance(self.last_loss, (int, float)):
            return f"loss {self.last_loss:.3f}"
        return "-"


@dataclass
class RunView:
    path: Path
    manifest: dict[str, Any]
    metrics: list[dict[str, Any]]
    stages: list[StageView]
    problems: list[str] = field(default_factory=list)  # lines of the run's files that could not be read

    def warn(self, prefix: str) -> None:
        """Name, on stderr, the lines left out (a view must not silently show fewer steps)."""
        import sys

        for line in self.problems[:20]:
            print(f"{prefix}: warning: {line}", file=sys.stderr)
        if len(self.problems) > 20:
            print(f"{prefix}: warning: {len(self.problems) - 20} more unreadable lines", file=sys.stderr)

    def next_action(self) -> str:
        """What running the same command again would do (the curriculum's resume rules)."""
        for stage in self.stages:
            if stage.status == "done":
                continue
            if stage.status in ("running", "failed") or stage.steps_done:
                return f"resume stage {stage.name} from its newest checkpoint (step {stage.steps_done})"
            return f"start stage {stage.name}"
        return "nothing: every stage is done (re-running skips them all)"


def _seconds(record: dict[str, Any]) -> Optional[float]:
    try:
        start = datetime.fromisoformat(record["started_at"])
        end = datetime.fromisoformat(record["ended_at"]) if record.get("ended_at") else None
    except (KeyError, TypeError, ValueError):
        return None
    if end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def _total_steps(record: dict[str, Any]) -> Optional[int]:
    settings = record.get("settings") or {}
    for key in ("total_steps", "smoke.total_steps"):
        value = settings.get(key)
        if isinstance(value, int):
            return value
    return record.get("steps") if record.get("status") == "done" else None


def load_run(path: Path | str) -> RunView:
    """The run directory at ``path``, read (raises RunDirError with what is missing)."""
    root = Path(path)
    paths = RunPaths(root)
    manifest_path = paths.manifest
    if not manifest_path.is_file():
        raise RunDirError(
            f"{root}: no manifest.json here; pass the output_dir of a run (`python -m lmmr1.main ... output_dir=DIR`)"
        )
    from lmmr1.run.manifest import ManifestError, read_manifest

    try:
        manifest = read_manifest(manifest_path)
    except ManifestError as exc:
        raise RunDirError(str(exc)) from None
    problems: list[str] = []
    metrics = read_jsonl(paths.metrics, problems)
    stages = []
    for record in manifest.get("stages", []):
        name = record.get("name", "?")
        steps = [m for m in metrics if m.get(STAGE_KEY) == name and (REWARD_KEY in m or SFT_LOSS_KEY in m)]
        rewards = [m[REWARD_KEY] for m in steps if REWARD_KEY in m]
        losses = [m[SFT_LOSS_KEY] for m in steps if SFT_LOSS_KEY in m]
        last = rewards[-1] if rewards else record.get("mean_reward_last")
        stages.append(
            StageView(
                name=name,
                status=record.get("status", "pending"),
                steps_done=len(steps),
                steps_total=_total_steps(record),
                last_reward=last,
                checkpoint=record.get("hf_export") or record.get("checkpoint_dir"),
                seconds=_seconds(record),
                record=record,
                last_loss=losses[-1] if losses else record.get("last_loss"),
            )
        )
    return RunView(root, manifest, metrics, stages, problems)


def turn_credit_rows(run: RunView, stage: str) -> list[dict[str, Any]]:
    """Episodes of a stage trained with algorithm=gigpo|turn_gae: per-turn rewards and advantages, by step."""
    return list(read_jsonl(RunPaths(run.path).stage(stage).turn_credit))


def reward_rows(run: RunView, stage: str) -> Iterator[dict[str, Any]]:
    """Scored responses of one stage, each with its ``step`` (1-based, from the policy version)."""
    for record in read_jsonl(RunPaths(run.path).stage(stage).reward_rows, run.problems):
        row = RewardRow.from_record(record)
        yield {
            **record,
            "step": "validation" if row.is_validation else row.training_step,
            "stage": stage,
        }
