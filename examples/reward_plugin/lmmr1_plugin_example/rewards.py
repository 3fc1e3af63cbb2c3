"""``contains_answer``: 1.0 when the gold answer appears in the model's final answer.

A reward is a plain function with verl's custom-reward signature; returning a dict lets it report
named components, and declaring them in ``components`` makes lmmr1 log them as training metrics.
``fast_path`` (optional) marks the function as cheap and safe to run in-process; without it lmmr1 runs
the reward in its time-limited worker pool.
"""

from __future__ import annotations

import re
from typing import Any


def _final_part(response: str) -> str:
    """The ``<answer>`` span if there is one, else the text after any ``</think>``."""
    m = re.search(r"<answer>(.*?)</answer>", response, re.DOTALL)
    if m:
        return m.group(1)
    return response.rsplit("</think>", 1)[-1]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def contains_answer(
    data_source: str | None,
    solution_str: str,
    ground_truth: Any,
    extra_info: dict | None = None,
    weight: float = 1.0,
    **kwargs: Any,
) -> dict[str, float]:
    gold = _norm(str(ground_truth))
    hit = bool(gold) and gold in _norm(_final_part(str(solution_str)))
    return {"score": weight * float(hit), "acc": float(hit)}


contains_answer.components = ("acc",)
contains_answer.fast_path = contains_answer
