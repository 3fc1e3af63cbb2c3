"""The run manifest (``output_dir/manifest.json``): what each stage did, so a run can resume.

Written atomically after every change, so a crash or Ctrl-C never leaves a half-written file, and a
second run of the same command reads it to skip finished stages and resume the rest.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from lmmr1.cache import CACHED_PATH
from lmmr1.errors import UserError

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
STATUSES = (PENDING, RUNNING, DONE, FAILED)


_PATH_FIELDS = ("init_model", "init_adapter", "checkpoint_dir", "hf_export")


def _rebase(data: dict[str, Any], root: Path) -> None:
    """A run directory copied or moved elsewhere: its recorded paths follow it (they were absolute)."""
    old = data.get("output_dir")
    if not old:  # written before the manifest recorded its folder: STAGE/checkpoints tells it
        for stage in data.get("stages", []):
            checkpoints = stage.get("checkpoint_dir")
            if isinstance(checkpoints, str) and Path(checkpoints).name == "checkpoints":
                old = str(Path(checkpoints).parents[1])
                break
    if not old or Path(old) == root:
        return
    prefix = str(old).rstrip("/") + "/"
    for stage in data.get("stages", []):
        for key in _PATH_FIELDS:
            value = stage.get(key)
            if isinstance(value, str) and value.startswith(prefix):
                stage[key] = str(root / value[len(prefix) :])


def portable(value: Any) -> Any:
    """A recorded setting with the machine-specific part of cache paths removed (``cache:TAIL``).

    A run directory carried to another machine (another ``$LMMR1_CACHE``) records the same bundled data
    and tiny model under another absolute path; compared this way it is not "run with other settings".
    """
    if isinstance(value, str):
        match = CACHED_PATH.match(value)
        return f"cache:{match.group('tail')}" if match else value
    if isinstance(value, list):
        return [portable(v) for v in value]
    if isinstance(value, dict):
        return {k: portable(v) for k, v in value.items()}
    return value


class ManifestError(UserError, ValueError):
    """``manifest.json`` is not one lmmr1 wrote (wrong shape), not JSON, or another recipe's."""


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest's JSON, checked for the shape lmmr1 writes; ManifestError says what is wrong and what to do."""
    fix = "move it away (or use another output_dir) to start a fresh run"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ManifestError(f"{path} is not a text file; {fix}") from None
    except json.JSONDecodeError as exc:
        raise ManifestError(f"{path} is not valid JSON ({exc}); {fix}") from None
    if not isinstance(data, dict) or not isinstance(data.get("stages", []), list):
        raise ManifestError(f"{path} is not an lmmr1 manifest (expected {{recipe, stages: [...]}}); {fix}")
    for i, stage in enumerate(data.get("stages", [])):
        if not isinstance(stage, dict) or not isinstance(stage.get("name"), str):
            raise ManifestError(f"{path}: stages[{i}] is not a stage record (needs a 'name'); {fix}")
        if stage.get("status", PENDING) not in STATUSES:
            raise ManifestError(
                f"{path}: stages[{i}].status = {stage.get('status')!r}, expected one of {', '.join(STATUSES)}; {fix}"
            )
    _rebase(data, path.parent)
    return data


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
    # lora.continue_previous: the previous stage's adapter this stage went on training (on init_model)
    init_adapter: Optional[str] = None
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
            data = read_manifest(path)
            if data.get("recipe") != recipe:
                raise ManifestError(
                    f"{path} belongs to recipe '{data.get('recipe')}', not '{recipe}'. "
                    "Use another output_dir=... (or delete that directory) to start this recipe."
                )
            fields_known = set(StageRecord.__dataclass_fields__)
            known = {
                s["name"]: StageRecord(**{k: v for k, v in s.items() if k in fields_known})
                for s in data.get("stages", [])
            }
            stages = [known.get(name, StageRecord(name)) for name in stage_names]
            extra = {k: v for k, v in data.items() if k not in ("recipe", "stages", "output_dir")}
            return cls(recipe, path, stages, extra)
        return cls(recipe, path, [StageRecord(name) for name in stage_names])

    def record(self, name: str) -> StageRecord:
        for record in self.stages:
            if record.name == name:
                return record
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "recipe": self.recipe,
            **self.extra,
            "output_dir": str(self.path.parent),  # where the paths below were written (see _rebase)
            "stages": [asdict(s) for s in self.stages],
        }

    def save(self) -> None:
        from lmmr1.outputs import write_text

        write_text(self.path, json.dumps(self.to_dict(), indent=2) + "\n")  # whole, with the umask's mode
