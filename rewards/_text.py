"""Text helpers shared by the rewards: input checks and answer extraction.

Everything here is linear in the input (no backtracking regexes over model output), so it is safe to
run in-process before any time-limited work.
"""

from __future__ import annotations

import re

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
    m = _BAD_CONTROL.search(value)
    if m:
        raise BadInput(f"{what} contains control character {m.group()!r} at offset {m.start()}")
    return value


def strip_think(text: str) -> str:
    """Remove ``<think>...</think>`` spans; an unclosed ``<think>`` hides everything after it."""
    out = []
    pos = 0
    while True:
        start = text.find("<think>", pos)
        if start < 0:
            out.append(text[pos:])
            break
        out.append(text[pos:start])
        end = text.find("</think>", start)
        if end < 0:
            break
        pos = end + len("</think>")
    result = "".join(out)
    # a lone closing tag: the reasoning had no opening tag (common with chat templates that open it)
    close = result.rfind("</think>")
    if close >= 0:
        result = result[close + len("</think>") :]
    return result


def answer_span(text: str) -> str | None:
    """Content of the last complete ``<answer>...</answer>`` span, or None."""
    end = text.rfind("</answer>")
    if end < 0:
        return None
    start = text.rfind("<answer>", 0, end)
    if start < 0:
        return None
    return text[start + len("<answer>") : end]


_BOXED = re.compile(r"\\(?:boxed|fbox)\s*")


def brace_pairs(text: str) -> dict[int, int]:
    """Index of each ``{`` -> index just past its matching ``}``, in one pass (escaped braces skipped)."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            stack.append(i)
        elif ch == "}" and stack:
            pairs[stack.pop()] = i + 1
        i += 1
    return pairs


def brace_pairs_balanced(text: str) -> bool:
    depth = 0
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return False
        i += 1
    return depth == 0


def boxed_all(text: str) -> list[str]:
    """Contents of every ``\\boxed{...}`` (and ``\\boxed 5``), in order; linear in the text."""
    found = []
    pairs: dict[int, int] | None = None
    for m in _BOXED.finditer(text):
        j = m.end()
        if j < len(text) and text[j] == "{":
            if pairs is None:
                pairs = brace_pairs(text)
            end = pairs.get(j, -1)
            if end > 0:
                found.append(text[j + 1 : end - 1])
        elif m.group().endswith(" ") or (j < len(text) and text[j].isalnum()):
            k = j
            while k < len(text) and not text[k].isspace() and text[k] not in "$.,":
                k += 1
            if k > j:
                found.append(text[j:k])
    return found


_ANSWER_IS = re.compile(r"(?:final\s+answer|the\s+answer|answer)\s*(?:is|:|=)\s*:?\s*(.{1,300})", re.IGNORECASE)


def answer_is(text: str) -> str | None:
    """The phrase after the last "the answer is" / "final answer:", cut at the end of the sentence."""
    last = None
    for m in _ANSWER_IS.finditer(text[-5000:]):
        last = m
    if last is None:
        return None
    tail = last.group(1)
    tail = tail.split("\n", 1)[0]
    # a nested phrase ("Final Answer: The final answer is $100$. I hope it is correct."): take the innermost
    for _ in range(3):
        inner = _ANSWER_IS.search(tail)
        if inner is None:
            break
        tail = inner.group(1)
    # end of sentence: a period followed by space/end, not a decimal point
    m = re.search(r"\.(?=\s|$)", tail)
    if m:
        tail = tail[: m.start()]
    return tail.strip()


def extract_answer(response: str) -> tuple[str | None, str]:
    """The model's final answer and where it came from.

    Order: the ``<answer>`` span (its last ``\\boxed{}`` if it has one), then the last ``\\boxed{}``
    outside ``<think>``, then "the answer is ...". Text inside ``<think>`` never counts.
    """
    visible = strip_think(response)
    span = answer_span(visible)
    if span is not None:
        boxes = boxed_all(span)
        if boxes:
            return boxes[-1], "answer_boxed"
        return span, "answer_tag"
    boxes = boxed_all(visible)
    if boxes:
        return boxes[-1], "boxed"
    phrase = answer_is(visible)
    if phrase:
        boxes = boxed_all(phrase)
        return (boxes[-1] if boxes else phrase), "answer_is"
    return None, "none"
