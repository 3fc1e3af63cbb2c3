"""``format_iou``: format + grounding accuracy, for R1-Onevision-style grounding rows.

score = ``format_weight`` x format (0/1) + IoU, the same combination ``lmm_r1`` uses for math answers, so a
stage mixing math rows (``lmm_r1``) and grounding rows (``format_iou``, picked with ``reward.by_source``)
scores both on one scale. ``acc`` is the IoU (continuous, or 0/1 with ``threshold``) so the per-step
accuracy curve covers both kinds of rows; ``coords``, ``scale`` and ``threshold`` are the ``iou`` reward's.
"""

from __future__ import annotations

from typing import Any, Literal

from .contract import reward_contract
from .format import format_reward
from .iou import iou_reward


@reward_contract(components=("acc", "format", "iou"), fast_path="self")
def format_iou_reward(
    data_source: str | None,
    solution_str: str,
    ground_truth: Any,
    extra_info: dict | None = None,
    format_weight: float = 0.5,
    coords: Literal["absolute", "normalized"] = "absolute",
    scale: float = 1.0,
    threshold: float | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    fmt = format_reward(data_source, solution_str, weight=1.0)
    box = iou_reward(
        data_source, solution_str, ground_truth, extra_info, coords=coords, scale=scale, threshold=threshold
    )
    out: dict[str, Any] = {
        "score": float(format_weight) * fmt["format"] + float(box["iou"]),
        "acc": float(box["iou"]),
        "format": fmt["format"],
        "iou": float(box["iou"]),
    }
    error = box.get("error") or fmt.get("error")
    if error:
        out["error"] = error
    return out
