"""Reward of the ``sanity`` recipe: repeat the digit shown in the prompt.

Graded so that a random policy gets a gradient: 1.0 when the response (stripped) is exactly the gold
digit, 0.5 when it is exactly one other digit, 0.0 otherwise (including multi-digit tokens such as
"12"). A random tiny model almost never answers with a lone digit, so its mean starts near 0; a
trainer whose rollout, loss and weight sync work together lifts it past 0.5 within a few steps, a
broken one stays flat.
"""

from __future__ import annotations

from typing import Any

from .contract import reward_contract


@reward_contract(components=("acc", "is_digit"), fast_path="self")
def digit_reward(
    data_source: str, solution_str: str, ground_truth: str, extra_info: Any = None, **kwargs: Any
) -> dict[str, float]:
    text = (solution_str or "").strip()
    lone_digit = len(text) == 1 and text.isdigit()
    if lone_digit and text == str(ground_truth).strip():
        score = 1.0
    elif lone_digit:
        score = 0.5
    else:
        score = 0.0
    return {"score": score, "acc": float(score == 1.0), "is_digit": float(lone_digit)}


# Scoring hints for lmmr1's scorer: the components it returns, and that it is cheap and safe to run
# in-process (no parsing of model output beyond a strip), so no worker pool is needed.
