"""Read a run directory (``output_dir``) for the tools that show it: ``lmmr1 status``, ``plot``, ``view``.

A run directory holds ``manifest.json`` (the stages and what each did), ``metrics.jsonl`` (one line per
training step, every stage, in order) and, per stage, ``STAGE/reward_rows.jsonl`` (every scored
response). Nothing here imports torch, Ray or verl, and nothing writes into the run directory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

from lmmr1.errors import UserError


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


def read_jsonl(path: Path, problems: Optional[list[str]] = None) -> list[dict[str, Any]]:
    """Complete JSON lines of a run's file. A last line without its newline (a run still writing, or killed)
    is left out quietly; any other line that is not a JSON object is left out and named in ``problems``
    as ``FILE:LINE: ...`` so that a view never shows fewer steps without saying why."""
    if not path.exists():
        return []
    data = path.read_bytes()
    complete = data[: data.rfind(b"\n") + 1]
    records = []
    for lineno, line in enumerate(complete.split(b"\n")[:-1], start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:  # JSON errors and bytes that are not UTF-8
            if problems is not None:
                problems.append(f"{path}:{lineno}: not a complete JSON line (left out)")
            continue
        if isinstance(record, dict):
            records.append(record)
        elif problems is not None:
            problems.append(f"{path}:{lineno}: not a JSON object (left out)")
    return records


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
    manifest_path = root / "manifest.json"
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
    metrics = read_jsonl(root / "metrics.jsonl", problems)
    stages = []
    for record in manifest.get("stages", []):
        name = record.get("name", "?")
        steps = [m for m in metrics if m.get("stage") == name and ("critic/score/mean" in m or "train/loss" in m)]
        rewards = [m["critic/score/mean"] for m in steps if "critic/score/mean" in m]
        losses = [m["train/loss"] for m in steps if "train/loss" in m]
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


def reward_rows(run: RunView, stage: str) -> Iterator[dict[str, Any]]:
    """Scored responses of one stage, each with its ``step`` (1-based, from the policy version)."""
    for row in read_jsonl(run.path / stage / "reward_rows.jsonl"):
        if str(row.get("data_source", "")).startswith("bench/"):
            row["step"] = "validation"
        else:
            version = row.get("weights_step")
            row["step"] = int(version) + 1 if isinstance(version, int) else None
        row["stage"] = stage
        yield row
