"""``lmm_r1``: format + accuracy, combined as LMM-R1 combined them.

score = ``format_weight`` x format (0/1) + accuracy (0/1), so with the default weight 0.5 rewards lie in
{0, 0.5, 1, 1.5}. The original gave accuracy 1.0 whenever the gold answer could not be parsed (a silent
hole that rewards anything); here that is a choice, ``bad_gold``:

* ``"zero"`` (default): accuracy 0 and an ``error`` naming the bad gold answer;
* ``"one"``: the original behaviour (accuracy 1.0), still reported in ``error``.

``boxes``, ``fallback``, ``approximate`` and ``math_verify`` are the accuracy part's policies, as in the
``math`` reward.
"""

from __future__ import annotations

from typing import Any, Literal

from .contract import reward_contract, slow_allowed
from .format import format_reward
from .math import grade

BAD_GOLD_POLICIES = ("zero", "one")


def _combine(fmt: dict, acc: dict, format_weight: float, bad_gold: str) -> dict[str, Any]:
    if bad_gold not in BAD_GOLD_POLICIES:
        raise ValueError(f"bad_gold must be one of {BAD_GOLD_POLICIES}, got {bad_gold!r}")
    acc_value = float(acc["acc"])
    error = acc.get("error") or fmt.get("error")
    if bad_gold == "one" and str(acc.get("error", "")).startswith("ground_truth"):
        acc_value = 1.0
    out: dict[str, Any] = {
        "score": float(format_weight) * fmt["format"] + acc_value,
        "acc": acc_value,
        "format": fmt["format"],
    }
    if error:
        out["error"] = error
    return out


@reward_contract(components=("acc", "format"), fast_path="in_process")
def lmm_r1_reward(
    data_source: str | None,
    solution_str: str,
    ground_truth: Any,
    extra_info: dict | None = None,
    format_weight: float = 0.5,
    bad_gold: Literal["zero", "one"] = "zero",
    boxes: Literal["all", "last"] = "all",
    fallback: Literal["last_math", "none"] = "last_math",
    approximate: bool = False,
    math_verify: bool = True,
    **kwargs: Any,
) -> dict[str, Any]:
    acc = grade(solution_str, ground_truth, slow_allowed(), boxes, fallback, math_verify, approximate)
    fmt = format_reward(data_source, solution_str, weight=1.0)
    return _combine(fmt, acc, format_weight, bad_gold)
