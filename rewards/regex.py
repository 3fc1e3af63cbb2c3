"""``regex``: extract with a configurable pattern, then a normalised exact match.

Keyword arguments (from the recipe): ``pattern`` (default: the ``<answer>`` span; the first group, or
the whole match, is the answer), ``match`` ("last" or "first" occurrence), ``case_sensitive`` (False),
``strip_think`` (True: text inside ``<think>`` never counts). The gold answer may be a list of
acceptable answers. Normalisation collapses whitespace and drops surrounding quotes and final punctuation.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ._extract import strip_think
from ._text import MAX_GOLD_CHARS, MAX_RESPONSE_CHARS, BadInput, check_text
from .contract import reward_contract

DEFAULT_PATTERN = r"<answer>(.*?)</answer>"


@lru_cache(maxsize=64)
def _compile(pattern: str, flags: int) -> re.Pattern[str]:
    return re.compile(pattern, flags)


def normalize_text(text: str, case_sensitive: bool = False) -> str:
    t = re.sub(r"\s+", " ", text).strip()
    t = t.strip("\"'`").strip()
    t = re.sub(r"[.!?。]+$", "", t).strip()
    return t if case_sensitive else t.casefold()


def extract(
    response: str, pattern: str = DEFAULT_PATTERN, match: str = "last", do_strip_think: bool = True
) -> str | None:
    text = strip_think(response) if do_strip_think else response
    found = list(_compile(pattern, re.DOTALL).finditer(text))
    if not found:
        return None
    m = found[-1] if match == "last" else found[0]
    return m.group(1) if m.re.groups else m.group(0)


def regex_reward(
    data_source: str | None,
    solution_str: str,
    ground_truth: Any,
    extra_info: dict | None = None,
    pattern: str = DEFAULT_PATTERN,
    match: str = "last",
    case_sensitive: bool = False,
    strip_think: bool = True,
    **kwargs: Any,
) -> dict[str, Any]:
    if match not in ("last", "first"):
        raise ValueError(f"regex reward: match must be 'last' or 'first', got {match!r}")
    try:
        response = check_text(solution_str, "response", MAX_RESPONSE_CHARS)
        golds = ground_truth if isinstance(ground_truth, (list, tuple)) else [ground_truth]
        golds = [check_text(g, "ground_truth", MAX_GOLD_CHARS) for g in golds]
    except BadInput as exc:
        return {"score": 0.0, "acc": 0.0, "error": str(exc)}
    answer = extract(response, pattern, match, strip_think)
    if answer is None:
        return {"score": 0.0, "acc": 0.0}
    got = normalize_text(answer, case_sensitive)
    ok = bool(got) and any(got == normalize_text(g, case_sensitive) for g in golds)
    return {"score": float(ok), "acc": float(ok)}


# A user pattern could backtrack badly on a long response, so regex runs in the time-limited pool
# unless it uses the default pattern (linear).
def _fast_path(
    data_source: Any, solution_str: Any, ground_truth: Any, extra_info: Any = None, **kwargs: Any
) -> dict[str, Any] | None:
    if kwargs.get("pattern", DEFAULT_PATTERN) != DEFAULT_PATTERN:
        return None
    return regex_reward(data_source, solution_str, ground_truth, extra_info, **kwargs)


regex_reward = reward_contract(components=("acc",), fast_path=_fast_path)(regex_reward)
