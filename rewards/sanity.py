"""Reward of the ``sanity`` recipe: repeat the digit shown in the prompt.

Graded so that a random policy gets a gradient: 1.0 when the response's first non-space character is
the gold digit, 0.5 when it is another digit, 0.0 otherwise. A trainer whose rollout, loss and weight
sync work together lifts the mean from near 0 within a few steps; a broken one stays flat.
"""

from __future__ import annotations

from typing import Any


def digit_reward(
    data_source: str, solution_str: str, ground_truth: str, extra_info: Any = None, **kwargs: Any
) -> dict[str, float]:
    text = (solution_str or "").lstrip()
    first = text[:1]
    if first and first == str(ground_truth).strip():
        score = 1.0
    elif first.isdigit():
        score = 0.5
    else:
        score = 0.0
    return {"score": score, "acc": float(score == 1.0), "is_digit": float(first.isdigit())}
