"""``math``: 1.0 when the model's final answer is mathematically equal to the gold answer.

Extraction: the ``<answer>`` span (its last ``\\boxed{}`` if any), then the last ``\\boxed{}``, then
"the answer is ...", never from inside ``<think>``. Hedged answers ("3 or 4" for gold 3, every option of
a multiple-choice question) and empty boxes score 0.

``math_reward.fast_path`` answers in-process without sympy and returns None when only the symbolic
comparison can decide; the scorer then sends the pair to its time-limited worker pool, which calls
``math_reward`` itself. Called directly (no scorer), ``math_reward`` does everything in-process.
"""

from __future__ import annotations

import re
from typing import Any

from . import _equiv as E
from . import _latex as L
from ._text import (
    MAX_GOLD_CHARS,
    MAX_RESPONSE_CHARS,
    BadInput,
    boxed_all,
    brace_pairs_balanced,
    check_text,
    extract_answer,
)

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
        out.append(text)
    if not out or not any(E.normalize(g).text for g in out):
        raise BadInput("ground_truth is empty")
    for g in out:
        if not brace_pairs_balanced(g):
            raise BadInput(f"ground_truth {g[:60]!r} has unbalanced braces")
    return out


def _is_hedged(answer: str, gold: str) -> bool:
    if _HEDGE.search(answer) and not _HEDGE.search(gold):
        return True
    gold_letter = _SINGLE_LETTER_GOLD.match(E.normalize(gold).text)
    if gold_letter:
        letters = {m.group(1) for m in _OPTION_MARK.finditer(E.normalize(answer).text)}
        if len(letters) > 1:
            return True
    return False


def grade(solution_str: Any, ground_truth: Any, allow_slow: bool = True) -> dict[str, Any]:
    """{"score", "acc"} plus "error" when the pair could not be scored; raises E.NeedSlow in fast mode."""
    try:
        response = check_text(solution_str, "response", MAX_RESPONSE_CHARS)
        golds = _gold_answers(ground_truth)
    except BadInput as exc:
        return {"score": 0.0, "acc": 0.0, "error": str(exc)}
    answer, _source = extract_answer(response)
    if answer is None or not answer.strip():
        return {"score": 0.0, "acc": 0.0}
    if len(answer) > L.MAX_EXPR_CHARS:
        answer_compact = E.compact(answer)
        ok = any(E.compact(g) == answer_compact for g in golds)
        return {"score": float(ok), "acc": float(ok)}
    for gold in golds:
        if _is_hedged(answer, gold):
            continue
        try:
            if E.answers_equal(gold, answer, allow_slow=allow_slow):
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


def math_reward(
    data_source: str | None,
    solution_str: str,
    ground_truth: Any,
    extra_info: dict | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Accuracy reward: {"score": 0/1, "acc": 0/1} (+ "error" with a reason)."""
    return grade(solution_str, ground_truth, allow_slow=True)


def _fast_path(
    data_source: str | None,
    solution_str: str,
    ground_truth: Any,
    extra_info: dict | None = None,
    **kwargs: Any,
) -> dict[str, Any] | None:
    try:
        return grade(solution_str, ground_truth, allow_slow=False)
    except E.NeedSlow:
        return None


math_reward.fast_path = _fast_path  # type: ignore[attr-defined]
math_reward.components = ("acc",)  # type: ignore[attr-defined]
