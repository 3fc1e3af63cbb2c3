"""``math``: 1.0 when the model's final answer is mathematically equal to the gold answer.

Extraction (``_extract``, in this order): the ``<answer>`` span (its last ``\\boxed{}`` if any), then the
last ``\\boxed{}``, then "the answer is ...", then (``fallback="last_math"``) the last math span or a
closing "... is 12." sentence; never from inside ``<think>``. Hedged answers ("3 or 4" for gold 3, every
option of a multiple-choice question) and empty boxes score 0.

Arguments (a stage's ``reward.kwargs``):

* ``boxes``: ``"all"`` (default) -- a gold of k > 1 items (``(2,2), (6,2)``, ``\\pm 3``) may be answered by
  one box per item, the last k boxes read as the list; ``"last"`` -- only the last box counts.
* ``fallback``: ``"last_math"`` (default) or ``"none"`` (a response without an answer tag, box or answer
  phrase scores 0: the stricter policy when the format itself is what a stage trains).
* ``approximate``: ``False`` (default) -- only exact values: ``3.14`` is not ``\\pi`` and ``0.333`` is not
  ``\\frac{1}{3}``, as MATH's graders and math-verify judge, so a training reward never teaches a policy to
  stop giving exact forms; ``True`` -- a decimal with at least two places and three significant digits equals
  the irrational or non-terminating value it rounds (``1.41`` for ``\\sqrt{2}``; evaluation turns it on for
  questions that ask for a decimal or a rounded value).
* ``math_verify``: ``True`` (default) -- pairs lmmr1's parser cannot read (matrix expressions) are decided
  by math-verify in the time-limited worker; ``False`` -- they score 0.

``math_reward.fast_path`` answers in-process without sympy and returns None when only the symbolic
comparison can decide; the scorer then sends the pair to its time-limited worker pool, which calls
``math_reward`` itself. Called directly (no scorer), ``math_reward`` does everything in-process.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from . import _equiv as E
from . import _latex as L
from ._extract import FALLBACKS, _refine_phrase, answer_is, boxed_all, extract
from ._normalize import compact, normalize
from ._reading import clean_response, readings
from ._structure import parse_answer
from ._text import (
    MAX_GOLD_CHARS,
    MAX_RESPONSE_CHARS,
    BadInput,
    brace_pairs_balanced,
    check_text,
)
from .contract import reward_contract, slow_allowed

BOX_POLICIES = ("all", "last")
_HEDGE = re.compile(r"(?:\\text\s*\{\s*or\s*\}|(?<![A-Za-z])or(?![A-Za-z])|\\lor(?![A-Za-z])|\\vee(?![A-Za-z]))")
_OPTION_MARK = re.compile(r"(?:^|[\s,;(/])\(?([A-J])(?:\)|[.:]|(?=\s*(?:,|/|;|$|and\b|&)))")
_SINGLE_LETTER_GOLD = re.compile(r"^\(?([A-J])\)?$")


def _gold_answers(ground_truth: Any) -> list[str]:
    golds = list(ground_truth) if isinstance(ground_truth, (list, tuple)) else [ground_truth]
    out = []
    for gold in golds:
        text = check_text(gold, "ground_truth", MAX_GOLD_CHARS)
        boxes = boxed_all(text)
        if boxes:
            text = boxes[-1]
        elif " " in text.strip() and re.search(r"[A-Za-z]{3}", text):
            phrase = answer_is(clean_response(text))  # a gold written as prose: "The answer is 2500."
            if phrase:
                text = _refine_phrase(phrase)
        out.append(text)
    if not out or not any(normalize(g).text for g in out):
        raise BadInput("ground_truth is empty")
    for g in out:
        if not brace_pairs_balanced(g):
            raise BadInput(f"ground_truth {g[:60]!r} has unbalanced braces")
    return out


_LIST_MARK = re.compile(r"[,;]|\\(?:pm|mp|lor|vee)(?![A-Za-z])|(?<![A-Za-z])(?:or|and)(?![A-Za-z])")


def _items(gold: str) -> int:
    """How many items a gold answer lists (``1, 2`` -> 2, ``\\pm 3`` -> 2, ``(1, 2)`` -> 1)."""
    if not _LIST_MARK.search(gold):
        return 1
    try:
        value = parse_answer(normalize(gold).text)
    except (L.GuardError, RecursionError):
        return 1
    return len(value[1]) if value[0] == "set" else 1


def _is_hedged(answer: str, gold: str, gold_items: int) -> bool:
    if gold_items < 2 and _HEDGE.search(answer) and not _HEDGE.search(gold):
        return True
    gold_letter = _SINGLE_LETTER_GOLD.match(normalize(gold).text)
    if gold_letter:
        letters = {m.group(1) for m in _OPTION_MARK.finditer(normalize(answer).text)}
        if len(letters) > 1:
            return True
    return False


def _check_policies(boxes: str, fallback: str) -> None:
    if boxes not in BOX_POLICIES:
        raise ValueError(f"math reward: boxes must be one of {BOX_POLICIES}, got {boxes!r}")
    if fallback not in FALLBACKS:
        raise ValueError(f"math reward: fallback must be one of {FALLBACKS}, got {fallback!r}")


def grade(
    solution_str: Any,
    ground_truth: Any,
    allow_slow: bool = True,
    boxes: str = "all",
    fallback: str = "last_math",
    math_verify: bool = True,
    approximate: bool = False,
) -> dict[str, Any]:
    """{"score", "acc"} plus "error" when the pair could not be scored; raises E.NeedSlow in fast mode."""
    _check_policies(boxes, fallback)
    try:
        response = check_text(solution_str, "response", MAX_RESPONSE_CHARS)
        golds = _gold_answers(ground_truth)
    except BadInput as exc:
        return {"score": 0.0, "acc": 0.0, "error": str(exc)}
    found = extract(response, fallback)
    answer = found.answer
    if answer is None or not answer.strip():
        return {"score": 0.0, "acc": 0.0}
    if len(answer) > L.MAX_EXPR_CHARS:
        answer_compact = compact(answer)
        ok = any(compact(g) == answer_compact for g in golds)
        return {"score": float(ok), "acc": float(ok)}
    for gold in golds:
        letter = _SINGLE_LETTER_GOLD.match(normalize(gold).text)
        if letter and re.fullmatch(r"\(?([a-j])\)?", normalize(answer).text.strip()):
            # an option letter written in lower case (\\boxed{c} for C): the same option
            ok = normalize(answer).text.strip("()").upper() == letter.group(1)
            return {"score": float(ok), "acc": float(ok)}
        # the gold's item count matters only for several boxes or an "or" in the answer: parse it lazily
        gold_items = _items(gold) if len(found.boxes) >= 2 or _HEDGE.search(answer) else 1
        candidates = [answer]
        if boxes == "all" and 2 <= gold_items <= len(found.boxes):
            candidates.append(", ".join(found.boxes[-gold_items:]))  # one box per item
        candidates += readings(answer)[1:]  # "3(4+1) = 15" -> 15, "\\frac{\\sqrt2}2 \\approx 0.707" -> each side
        for candidate in candidates:
            if _is_hedged(candidate, gold, gold_items):
                continue
            try:
                if E.answers_equal(gold, candidate, allow_slow, math_verify, approximate):
                    return {"score": 1.0, "acc": 1.0}
            except E.NeedSlow:
                raise
            except L.GuardError as exc:
                return {"score": 0.0, "acc": 0.0, "error": f"unsafe expression: {exc}"}
            except RecursionError:
                return {"score": 0.0, "acc": 0.0, "error": "unsafe expression: nested too deeply"}
            except Exception as exc:  # sympy's own failures on odd input: not equal, but say why
                if allow_slow:
                    return {"score": 0.0, "acc": 0.0, "error": f"comparison failed: {type(exc).__name__}"}
                raise E.NeedSlow() from exc
    return {"score": 0.0, "acc": 0.0}


@reward_contract(components=("acc",), fast_path="in_process")
def math_reward(
    data_source: str | None,
    solution_str: str,
    ground_truth: Any,
    extra_info: dict | None = None,
    boxes: Literal["all", "last"] = "all",
    fallback: Literal["last_math", "none"] = "last_math",
    math_verify: bool = True,
    approximate: bool = False,
    **kwargs: Any,
) -> dict[str, Any]:
    """Accuracy reward: {"score": 0/1, "acc": 0/1} (+ "error" with a reason)."""
    return grade(solution_str, ground_truth, slow_allowed(), boxes, fallback, math_verify, approximate)
