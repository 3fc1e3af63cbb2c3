"""Text helpers shared by the rewards: input checks and brace matching (extraction is in ``_extract``).

Everything here is linear in the input (no backtracking regexes over model output), so it is safe to
run in-process before any time-limited work.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

MAX_RESPONSE_CHARS = 200_000  # ~50k tokens; a longer response scores 0 with a reason
MAX_GOLD_CHARS = 10_000

_BAD_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class BadInput(ValueError):
    """The input cannot be scored (the reason is reported, the score is 0)."""


def check_text(value: object, what: str, limit: int) -> str:
    """Return ``value`` as text or raise BadInput with a reason a user can act on."""
    if value is None:
        raise BadInput(f"{what} is missing")
    if not isinstance(value, str):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        else:
            raise BadInput(f"{what} is a {type(value).__name__}, not a string")
    if len(value) > limit:
        raise BadInput(f"{what} is too long ({len(value)} characters, limit {limit})")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput(f"{what} is not valid text (lone surrogate)") from None
    # a control character (a form feed in a model's output) separates words; it does not make the text unreadable
    return _BAD_CONTROL.sub(" ", value)


def _braces(text: str) -> Iterator[tuple[int, str]]:
    """``(index, "{" or "}")`` of each brace not escaped by a backslash, left to right."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{" or ch == "}":
            yield i, ch
        i += 1


def brace_pairs(text: str) -> dict[int, int]:
    """Index of each ``{`` -> index just past its matching ``}``, in one pass (escaped braces skipped)."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for i, ch in _braces(text):
        if ch == "{":
            stack.append(i)
        elif stack:
            pairs[stack.pop()] = i + 1
    return pairs


def brace_pairs_balanced(text: str) -> bool:
    depth = 0
    for _, ch in _braces(text):
        depth += 1 if ch == "{" else -1
        if depth < 0:
            return False
    return depth == 0
