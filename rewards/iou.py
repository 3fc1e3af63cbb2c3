"""``iou``: grounding reward from bounding boxes.

Boxes are read from the ``<answer>`` span (else the whole response outside ``<think>``) as JSON
(``[x1, y1, x2, y2]``, a list of those, or objects with ``bbox_2d`` / ``bbox`` / ``box``) or as plain
text (``[10, 20, 30, 40]``, ``(10,20),(30,40)``). The gold answer is the same kind of text or a list.

Coordinates (keyword ``coords``):

* ``"absolute"`` (default): pixels. If ``extra_info`` carries the original ``image_size`` ([w, h]) and
  the processor's ``resized_size`` ([w, h]) — what Qwen2.5-VL sees after its smart resize — predicted
  boxes are mapped back to the original image (gold boxes are in original pixels);
* ``"normalized"``: both sides in [0, 1] (or [0, 1000] with ``scale=1000``).

Several boxes are matched one-to-one (best total IoU); the score is the summed IoU of the matches over
max(#predicted, #gold), so extra or missing boxes cost. ``threshold`` (e.g. 0.5) turns each match into
0/1 (hit if IoU >= threshold) instead of continuous IoU.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from typing import Any

from ._extract import answer_span, strip_think
from ._text import MAX_GOLD_CHARS, MAX_RESPONSE_CHARS, BadInput, check_text
from .contract import reward_contract

Box = tuple[float, float, float, float]
_NUM = r"[-+]?\d+(?:\.\d+)?"
_BRACKET_BOX = re.compile(rf"[\[(]\s*({_NUM})\s*,\s*({_NUM})\s*,\s*({_NUM})\s*,\s*({_NUM})\s*[\])]")
_POINT_PAIR = re.compile(rf"\(\s*({_NUM})\s*,\s*({_NUM})\s*\)\s*(?:,|to|-|and)?\s*\(\s*({_NUM})\s*,\s*({_NUM})\s*\)")
MAX_BOXES = 50


def _box(values: Sequence[Any]) -> Box:
    x1, y1, x2, y2 = (float(v) for v in values)
    return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


def _from_json(obj: Any) -> list[Box]:
    if isinstance(obj, dict):
        for key in ("bbox_2d", "bbox", "box", "boxes"):
            if key in obj:
                return _from_json(obj[key])
        return []
    if isinstance(obj, (list, tuple)):
        if len(obj) == 4 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in obj):
            return [_box(obj)]
        out: list[Box] = []
        for item in obj:
            out.extend(_from_json(item))
        return out
    return []


def parse_boxes(value: Any) -> list[Box]:
    if isinstance(value, (list, tuple, dict)):
        return _from_json(value)
    text = str(value).strip()
    m = re.search(r"```(?:json)?\s*(.*?)```", text, re.DOTALL)
    candidate = m.group(1) if m else text
    try:
        boxes = _from_json(json.loads(candidate))
        if boxes:
            return boxes
    except (ValueError, RecursionError):
        pass
    boxes = [_box(m.groups()) for m in _BRACKET_BOX.finditer(text)]
    if boxes:
        return boxes
    return [_box(m.groups()) for m in _POINT_PAIR.finditer(text)]


def box_iou(a: Box, b: Box) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def match_boxes(pred: list[Box], gold: list[Box], threshold: float | None = None) -> float:
    """Best one-to-one total (exhaustive for small sets, greedy beyond 7 boxes) over max(len)."""
    if not pred or not gold:
        return 0.0

    def value(p: Box, g: Box) -> float:
        v = box_iou(p, g)
        return float(v >= threshold) if threshold is not None else v

    table = [[value(p, g) for g in gold] for p in pred]
    small, large = (pred, gold) if len(pred) <= len(gold) else (gold, pred)
    transpose = small is gold
    if len(large) <= 7:
        best = 0.0
        for perm in itertools.permutations(range(len(large)), len(small)):
            total = sum(table[j][i] if transpose else table[i][j] for i, j in enumerate(perm))
            best = max(best, total)
    else:
        pairs = sorted(((table[i][j], i, j) for i in range(len(pred)) for j in range(len(gold))), reverse=True)
        used_p, used_g, best = set(), set(), 0.0
        for v, i, j in pairs:
            if i not in used_p and j not in used_g:
                used_p.add(i)
                used_g.add(j)
                best += v
    return best / max(len(pred), len(gold))


def _rescale(boxes: list[Box], extra_info: Any) -> list[Box]:
    if not isinstance(extra_info, dict):
        return boxes
    size, resized = extra_info.get("image_size"), extra_info.get("resized_size")
    if size is None or resized is None:
        return boxes
    sx = float(size[0]) / float(resized[0])
    sy = float(size[1]) / float(resized[1])
    return [(x1 * sx, y1 * sy, x2 * sx, y2 * sy) for x1, y1, x2, y2 in boxes]


@reward_contract(components=("iou",), fast_path="self")
def iou_reward(
    data_source: str | None,
    solution_str: str,
    ground_truth: Any,
    extra_info: dict | None = None,
    coords: str = "absolute",
    scale: float = 1.0,
    threshold: float | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    if coords not in ("absolute", "normalized"):
        raise ValueError(f"iou reward: coords must be 'absolute' or 'normalized', got {coords!r}")
    try:
        response = check_text(solution_str, "response", MAX_RESPONSE_CHARS)
        if isinstance(ground_truth, str):
            check_text(ground_truth, "ground_truth", MAX_GOLD_CHARS)
        gold = parse_boxes(ground_truth)
        if not gold:
            raise BadInput(f"no box found in ground_truth {str(ground_truth)[:80]!r}")
    except BadInput as exc:
        return {"score": 0.0, "iou": 0.0, "error": str(exc)}
    visible = strip_think(response)
    span = answer_span(visible)
    pred = parse_boxes(span if span is not None else visible)[:MAX_BOXES]
    if coords == "absolute":
        pred = _rescale(pred, extra_info)
    elif scale != 1.0:
        pred = [tuple(v / scale for v in b) for b in pred]  # type: ignore[misc]
        gold = [tuple(v / scale for v in b) for b in gold]  # type: ignore[misc]
    value = match_boxes(pred, gold[:MAX_BOXES], threshold)
    return {"score": value, "iou": value}
