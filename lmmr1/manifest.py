"""The run manifest (``output_dir/manifest.json``): what each stage did, so a run can resume.

Written atomically after every change, so a crash or Ctrl-C never leaves a half-written file, and a
second run of the same command reads it to skip finished stages and resume the rest.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class StageRecord:
    name: str
    status: str = PENDING
    attempts: int = 0
    started_at: Optional[str] = None
    ended_at: Optional[str] = None
    init_model: Optional[str] = None
    checkpoint_dir: Optional[str] = None
    hf_export: Optional[str] = None
    steps: Optional[int] = None
    mean_reward_last: Optional[float] = None
    # SFT stages: the training loss of the first step (of the stage's first attempt) and of the last one
    first_loss: Optional[float] = None
    last_loss: Optional[float] = None
    error: Optional[str] = None
    # the stage's effective settings when it (last) started: a re-run with other settings is refused
    settings: Optional[dict[str, Any]] = None


@dataclass
class Manifest:
    recipe: str
    path: Path
    stages: list[StageRecord] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load_or_create(cls, path: Path, recipe: str, stage_names: list[str]) -> Manifest:
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path} is not valid JSON ({exc}); move it away to start a fresh run") from None
            if data.get("recipe") != recipe:
                raise ValueError(
                    f"{path} belongs to recipe '{data.get('recipe')}', not '{recipe}'. "
                    "Use another output_dir=... (or delete that directory) to start this recipe."
                )
            fields_known = set(StageRecord.__dataclass_fields__)
            known = {
                s["name"]: StageRecord(**{k: v for k, v in s.items() if k in fields_known})
                for s in data.get("stages", [])
            }
            stages = [known.get(name, StageRecord(name)) for name in stage_names]
            extra = {k: v for k, v in data.items() if k not in ("recipe", "stages")}
            return cls(recipe, path, stages, extra)
        return cls(recipe, path, [StageRecord(name) for name in stage_names])

    def record(self, name: str) -> StageRecord:
        for record in self.stages:
            if record.name == name:
                return record
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {"recipe": self.recipe, **self.extra, "stages": [asdict(s) for s in self.stages]}

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".manifest-", dir=self.path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh, indent=2)
            fh.write("\n")
        os.replace(tmp, self.path)
