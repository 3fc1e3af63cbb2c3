"""Where the final answer is in a response, in a fixed, documented order.

The response is first cleaned (``_reading.clean_response``: end tokens, calculator annotations, markdown
emphasis, currency dollar signs, control characters). Then:

1. the last complete ``<answer>...</answer>`` span (its last ``\\boxed{}`` if it has one);
2. the last ``\\boxed{}`` outside ``<think>``;
3. the phrase after the last "the answer is" / "final answer:" / "the correct option is" / "答案：" (innermost
   when nested, as in MATH's few-shot line "Final Answer: The final answer is $100$. I hope it is
   correct."; "The largest $n$ is 34" gives ``34``; when the phrase ends the line, the next line), or a last
   line ``A: 16`` (few-shot GSM8K);
4. ``fallback="last_math"`` (default): whichever comes later of the last math span (``$...$``, ``\\(...\\)``,
   ``\\[...\\]``) and a closing sentence "... is 12." (on the last line that has a digit, so a closing
   "Let me know if you need more help." does not hide it); and, when nothing else is found, a short
   one-line response taken whole (``7``, ``(B) 3``, ``12 meters``) -- only when 1-3 found nothing;
   ``fallback="none"``: nothing.

Text inside ``<think>`` never counts. Every box of the region the answer came from is kept too, so a
grader may read one box per item of a multi-part answer (``\\boxed{(2,2)}`` and ``\\boxed{(6,2)}``).
Everything is linear in the input (no backtracking regexes over model output).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._reading import clean_response
from ._text import brace_pairs

FALLBACKS = ("last_math", "none")
_TAIL_CHARS = 3000  # the fallbacks read only the end of a response


@dataclass(frozen=True)
class Extraction:
    answer: str | None
    source: (
        str  # answer_boxed | answer_tag | boxed | answer_is | answer_line | last_math | last_sentence | whole | none
    )
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


_ANSWER_IS = re.compile(
    r"(?:final\s+answers?|the\s+(?:correct\s+|right\s+)?answers?|correct\s+(?:option|choice)|answers?|答案)"
    r"\s*(?:is|are|:|=|：|是|为)\s*[:：]?[ \t]*(.{0,300})",
    re.IGNORECASE | re.DOTALL,
)
_GSM8K_LINE = re.compile(r"^\s*(?:A\s*[:：]|####)\s*(\S.{0,200})$")  # few-shot "A: 72"; GSM8K's "#### 72"
_ANSWER_HEADING = re.compile(
    r"(?:^|\n)[ \t#*]*(?:final\s+answer|answer|答案)[ \t]*[:：]?[ \t]*\n+[ \t]*(\S[^\n]{0,200})", re.IGNORECASE
)  # a markdown heading "### Final Answer" with the answer on the next line


def answer_is(text: str) -> str | None:
    """The phrase after the last "the answer is" / "final answer:", cut at the end of the sentence."""
    last = None
    for m in _ANSWER_IS.finditer(text[-5000:]):
        last = m
    if last is None:
        return None
    tail = last.group(1)
    if not tail.split("\n", 1)[0].strip():  # "The final answer is:\n\n5": the answer is on the next line
        tail = tail.lstrip()
        items = _list_items(tail)
        if len(items) >= 2:  # "The answers are:\n- 2\n- 3": the list is the answer
            return ", ".join(items)
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


_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+(\S.*?)\s*$")


def _list_items(text: str) -> list[str]:
    """The items of a markdown list at the start of ``text`` ("- 2", "1. 3"), markers removed."""
    items = []
    for line in text.split("\n"):
        m = _LIST_ITEM.match(line)
        if not m:
            if line.strip():
                break
            continue
        items.append(m.group(1).rstrip(".,;"))
    return items


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


def _last_line_with_digit(tail: str) -> tuple[int, str]:
    """(offset, text) of the last of the final four non-empty lines that holds a digit."""
    end = len(tail.rstrip())
    for _ in range(4):
        start = tail.rfind("\n", 0, end) + 1
        line = tail[start:end]
        if line.strip() and re.search(r"\d", line):
            return start, line
        if start == 0:
            break
        end = start - 1
        while end > 0 and tail[end - 1] == "\n":
            end -= 1
    return -1, ""


_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+(?=\S)")
_END_NUMBER = re.compile(r"([-+]?\d[\d,]*(?:\.\d+)?%?)(?:\s+[A-Za-z°]+){0,2}\s*[.!]?\s*$")
_WORD = re.compile(r"[A-Za-z]{2,}")
_LEAD_NUMBER = re.compile(r"([-+]?\d(?:[\d,]*\d)?(?:\.\d+)?%?),?\s+[A-Za-z]")
_VERB = re.compile(r"(?:^|\s)(?:is|are|equals|=)\s+")
_ANY_NUMBER = re.compile(r"(?<![\w.^_])([-+]?\d[\d,]*(?:\.\d+)?%?)(?![\w^_])")


def _closing_value(line: str) -> tuple[int, str | None]:
    """(offset, value) stated by the last sentence of ``line`` that has a digit: "... is 12", or the number a
    sentence ends on ("so she pays 19", "he earns 2,400 dollars")."""
    start = 0
    sentence = line
    for piece in _SENTENCE_END.split(line):
        at = line.find(piece, start)
        start = at + len(piece)
        if re.search(r"\d", piece):
            sentence, sentence_start = piece, at
    if sentence is line:
        sentence_start = 0
    m = None
    for found in _VERB.finditer(sentence):  # the last "is / are / equals / =" whose tail states a number
        tail = _LAST_IS.match(sentence, found.start())
        if tail and re.search(r"\d", tail.group(1)):
            m = tail
    if m and re.search(r"\d", m.group(1)) and "$" not in m.group(1):
        value = m.group(1)
        if len(_WORD.findall(value)) < 2:
            return sentence_start + m.start(1), value
        lead = _LEAD_NUMBER.match(value)  # "are 56 pencils in total": the number the clause states
        if lead:
            return sentence_start + m.start(1), lead.group(1)
    if len(sentence.split()) >= 4:
        end = _END_NUMBER.search(sentence)
        if end:
            return sentence_start + end.start(1), end.group(1)
        numbers = list(_ANY_NUMBER.finditer(sentence))
        if len(numbers) == 1:  # "The ladder reaches 15 feet up the wall.": the one value the sentence states
            return sentence_start + numbers[0].start(1), numbers[0].group(1)
    if m and re.search(r"\d", m.group(1)) and "$" not in m.group(1):
        return sentence_start + m.start(1), m.group(1)
    return -1, None


def _fallback(visible: str) -> tuple[str | None, str]:
    tail = visible[-_TAIL_CHARS:]
    math_at, math_text = -1, None
    for m in _MATH_SPAN.finditer(tail):
        math_at, math_text = m.start(), next(g for g in m.groups() if g is not None)
    sentence_at, sentence = -1, None
    line_at, line = _last_line_with_digit(tail)
    if line:
        sentence_at, sentence = _closing_value(line)
        if sentence is not None:
            sentence_at += line_at
    if sentence is not None and sentence_at > math_at:
        return sentence, "last_sentence"
    if math_text is not None and math_text.strip():
        return math_text, "last_math"
    whole = visible.strip()
    if whole and "\n" not in whole and len(whole) <= 60:  # "7", "(B) 3", "12 meters", "C. Decrease"
        return whole.rstrip(".").strip(), "whole"
    return None, "none"


def extract(response: str, fallback: str = "last_math") -> Extraction:
    """The model's final answer, where it came from, and the boxes around it (see the module docstring)."""
    if fallback not in FALLBACKS:
        raise ValueError(f"fallback must be one of {FALLBACKS}, got {fallback!r}")
    visible = strip_think(clean_response(response))
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
    last_line = visible.rstrip().rsplit("\n", 1)[-1]
    gsm8k = _GSM8K_LINE.match(last_line)
    if gsm8k:
        return Extraction(gsm8k.group(1).strip().rstrip(".").strip(), "answer_line")
    headings = list(_ANSWER_HEADING.finditer(visible[-_TAIL_CHARS:]))
    if headings:
        heading = headings[-1]
        return Extraction(heading.group(1).strip().rstrip(".").strip(), "answer_line")
    if fallback == "last_math":
        answer, source = _fallback(visible)
        return Extraction(answer, source)
    return Extraction(None, "none")


def extract_answer(response: str, fallback: str = "last_math") -> tuple[str | None, str]:
    """``(answer, source)`` of :func:`extract`."""
    found = extract(response, fallback)
    return found.answer, found.source
