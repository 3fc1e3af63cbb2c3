"""Views of a run's settings: what a stage trains (recorded in the manifest) and ``explain=true``'s table."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import fields, is_dataclass
from typing import Any, Optional

from lmmr1.config.schema import _RL_ONLY, _SFT_ONLY, LORA_OFF, RunConfig, ScaleSpec, StageSpec

# Settings added after run directories existed, with the value a stage recorded without them trained with:
# resuming such a stage compares a missing key as this value (lmmr1.run.curriculum).
SETTINGS_ADDED_LATER: dict[str, Any] = {
    "algorithm.policy_loss": "vanilla",
    "algorithm.overlong_buffer": 0.0,
    "algorithm.overlong_penalty": 1.0,
    "algorithm.overlong_filter": False,
    "algorithm.turn_gamma": 0.95,
    "algorithm.turn_lambda": 1.0,
    "algorithm.step_weight": 1.0,
    "algorithm.std_normalize": False,
    **LORA_OFF,
}


def stage_settings(run: RunConfig, stage: StageSpec) -> dict[str, Any]:
    """The settings that decide what a stage trains (flat, JSON-able), recorded in the manifest."""

    values = {k: v for k, v in dataclasses.asdict(stage).items() if k != "provenance"}
    flat: dict[str, Any] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict) and node:
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else str(key), value)
        else:
            flat[prefix] = list(node) if isinstance(node, tuple) else node

    walk("", values)
    # only what this kind of stage reads (an RL stage's record is what it was before SFT stages existed)
    if stage.kind == "rl":
        flat = {k: v for k, v in flat.items() if k != "kind" and not k.startswith(_SFT_ONLY)}
    else:
        flat = {k: v for k, v in flat.items() if not k.startswith(_RL_ONLY)}
    flat["model"] = run.model_path if stage.init == "model" else stage.init
    flat["scale"] = run.scale.name
    return json.loads(json.dumps(flat, default=str))


def explain_text(run: RunConfig, conflicts: Optional[list[str]] = None) -> str:
    """Every stage's effective settings with the layer that set each one (``explain=true``), and the raw verl
    keys that replace a value lmmr1 derives (``conflicts``, from :func:`lmmr1.verl.bridge.raw_key_conflicts`)."""
    lines = [
        f"# recipe {run.recipe}, model {run.model_path}",
        "# precedence: default < recipe < scale < stage block < command line",
        f"# scale {run.scale.name}: "
        + ", ".join(f"{f.name}={getattr(run.scale, f.name)}" for f in fields(ScaleSpec)[1:]),
    ]
    for stage in run.stages:
        lines.append(f"\n## stage {stage.name}")
        rows = [
            (key, _show(_value_of(stage, key)), layer)
            for key, layer in sorted(stage.provenance.items())
            if _applies(stage, key)
        ]
        width = max(len(r[0]) for r in rows)
        vwidth = min(48, max(len(r[1]) for r in rows))
        for key, value, layer in rows:
            lines.append(f"{key:<{width}}  {value:<{vwidth}}  {layer}")
        mine = [c for c in conflicts or [] if c.startswith(f"stages.{stage.name}.verl.")]
        if mine:
            lines.append("# raw verl keys over lmmr1's settings:")
            lines += [f"#   {c}" for c in mine]
    return "\n".join(lines) + "\n"


def _applies(stage: StageSpec, key: str) -> bool:
    """Whether this kind of stage reads the setting (an SFT stage has no reward, an RL stage no ``sft.*``)."""
    if stage.kind == "sft":
        return not key.startswith(_RL_ONLY)
    return key != "kind" and not key.startswith(_SFT_ONLY)


def _value_of(stage: StageSpec, key: str) -> Any:
    parts = key.split(".")
    if parts[0] == "verl":
        return stage.verl.get(".".join(parts[1:]))
    node: Any = stage
    for part in parts:
        node = getattr(node, part) if is_dataclass(node) else (node or {}).get(part)
    return node


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        value = list(value)
    text = json.dumps(value, default=str) if isinstance(value, (list, dict, str)) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."
