"""Where the final answer is in a response, in a fixed, documented order.

1. the last complete ``<answer>...</answer>`` span (its last ``\\boxed{}`` if it has one);
2. the last ``\\boxed{}`` outside ``<think>``;
3. the phrase after the last "the answer is" / "final answer:" (innermost when nested, as in MATH's
   few-shot line "Final Answer: The final answer is $100$. I hope it is correct."; "The largest $n$ is
   34" gives ``34``);
4. ``fallback="last_math"`` (default): whichever comes later of the last math span (``$...$``, ``\\(...\\)``,
   ``\\[...\\]``) and a closing sentence "... is 12." -- only when 1-3 found nothing;
   ``fallback="none"``: nothing.

Text inside ``<think>`` never counts. Every box of the region the answer came from is kept too, so a
grader may read one box per item of a multi-part answer (``\\boxed{(2,2)}`` and ``\\boxed{(6,2)}``).
Everything is linear in the input (no backtracking regexes over model output).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._text import brace_pairs

FALLBACKS = ("last_math", "none")
_TAIL_CHARS = 3000  # the fallbacks read only the end of a response


@dataclass(frozen=True)
class Extraction:
    answer: str | None
    source: str  # answer_boxed | answer_tag | boxed | answer_is | last_math | last_sentence | none
    boxes: tuple[str, ...] = ()  # every box in the region the answer came from, in order


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


_LAST_IS = re.compile(r"(?:^|\s)(?:is|are|equals|=)\s+([^\n]{1,80}?)\s*[.!]?\s*$")


def _refine_phrase(phrase: str) -> str:
    """ "The largest $n$ is 34" -> "34": the value after the last "is" of an answer sentence."""
    m = _LAST_IS.search(phrase)
    if m and "$" not in m.group(1) and re.search(r"\d", m.group(1)) and not re.search(r"\d", phrase[: m.start()]):
        return m.group(1)
    return phrase


_MATH_SPAN = re.compile(
    r"\$\$([^$]{1,500})\$\$|\$([^$]{1,500})\$|\\\(((?:(?!\\\)).){1,500})\\\)|\\\[((?:(?!\\\]).){1,500})\\\]", re.DOTALL
)


def _fallback(visible: str) -> tuple[str | None, str]:
    tail = visible[-_TAIL_CHARS:]
    math_at, math_text = -1, None
    for m in _MATH_SPAN.finditer(tail):
        math_at, math_text = m.start(), next(g for g in m.groups() if g is not None)
    sentence_at, sentence = -1, None
    last_line = tail.rstrip().rsplit("\n", 1)[-1]
    m = _LAST_IS.search(last_line)
    if m and re.search(r"\d", m.group(1)) and "$" not in m.group(1):
        sentence_at, sentence = len(tail) - len(last_line) + m.start(1), m.group(1)
    if sentence_at > math_at:
        return sentence, "last_sentence"
    if math_text is not None and math_text.strip():
        return math_text, "last_math"
    return None, "none"


def extract(response: str, fallback: str = "last_math") -> Extraction:
    """The model's final answer, where it came from, and the boxes around it (see the module docstring)."""
    if fallback not in FALLBACKS:
        raise ValueError(f"fallback must be one of {FALLBACKS}, got {fallback!r}")
    visible = strip_think(response)
    span = answer_span(visible)
    if span is not None:
        boxes = tuple(boxed_all(span))
        if boxes:
            return Extraction(boxes[-1], "answer_boxed", boxes)
        return Extraction(span, "answer_tag")
    boxes = tuple(boxed_all(visible))
    if boxes:
        return Extraction(boxes[-1], "boxed", boxes)
    phrase = answer_is(visible)
    if phrase:
        boxes = tuple(boxed_all(phrase))
        if boxes:
            return Extraction(boxes[-1], "answer_is", boxes)
        return Extraction(_refine_phrase(phrase), "answer_is")
    if fallback == "last_math":
        answer, source = _fallback(visible)
        return Extraction(answer, source)
    return Extraction(None, "none")


def extract_answer(response: str, fallback: str = "last_math") -> tuple[str | None, str]:
    """``(answer, source)`` of :func:`extract`."""
    found = extract(response, fallback)
    return found.answer, found.source
