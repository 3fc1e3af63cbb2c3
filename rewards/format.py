"""``format``: LMM-R1's think/answer format check.

The response (stripped) must be exactly ``<think>A</think><answer>B</answer>`` where A has no
``</think>``, B has no ``</answer>``, and ``<think>`` and ``<answer>`` each occur once. This is the
original regex ``^<think>((?!</think>).)*</think><answer>((?!</answer>).)*</answer>$`` (dot matches
newline) plus its tag counts, checked with string operations so a huge response costs linear time.
"""

from __future__ import annotations

from typing import Any

from ._text import MAX_RESPONSE_CHARS, BadInput, check_text
from .contract import reward_contract


def format_ok(response: str) -> bool:
    s = response.strip()
    if s.count("<think>") != 1 or s.count("<answer>") != 1:
        return False
    if not s.startswith("<think>") or not s.endswith("</answer>"):
        return False
    close_think = s.find("</think>")
    if close_think < 0 or not s.startswith("<answer>", close_think + len("</think>")):
        return False
    body_start = close_think + len("</think>") + len("<answer>")
    body = s[body_start : len(s) - len("</answer>")]
    return "</answer>" not in body and body_start <= len(s) - len("</answer>")


@reward_contract(components=("format",), fast_path="self")
def format_reward(
    data_source: str | None,
    solution_str: str,
    ground_truth: Any = None,
    extra_info: dict | None = None,
    weight: float = 0.5,
    **kwargs: Any,
) -> dict[str, Any]:
    """{"score": weight or 0, "format": 1/0}."""
    try:
        response = check_text(solution_str, "response", MAX_RESPONSE_CHARS)
    except BadInput as exc:
        return {"score": 0.0, "format": 0.0, "error": str(exc)}
    ok = format_ok(response)
    return {"score": float(weight) * ok, "format": float(ok)}
