"""``choice``: multiple-choice answers (a letter).

The gold answer is a letter ("B", "(B)") or a list of letters when several are right (all must be
given, nothing else). The model's choice is read from the ``<answer>`` span, else the last ``\\boxed{}``,
else "the answer is (B)". Answers naming more letters than the gold (hedging, listing every option)
score 0. With ``extra_info["choices"]`` (the option texts, in letter order), an answer that quotes the
right option's text instead of its letter also counts.

Keyword arguments: ``letters`` (default "ABCDEFGHIJ").
"""

from __future__ import annotations

import re
from typing import Any

from ._extract import extract_answer
from ._options import option_letters
from ._text import MAX_GOLD_CHARS, MAX_RESPONSE_CHARS, BadInput, check_text
from .contract import reward_contract


@reward_contract(components=("acc",), fast_path="self")
def choice_reward(
    data_source: str | None,
    solution_str: str,
    ground_truth: Any,
    extra_info: dict | None = None,
    letters: str = "ABCDEFGHIJ",
    **kwargs: Any,
) -> dict[str, Any]:
    try:
        response = check_text(solution_str, "response", MAX_RESPONSE_CHARS)
        golds = ground_truth if isinstance(ground_truth, (list, tuple)) else [ground_truth]
        gold_set = set()
        for g in golds:
            found = option_letters(check_text(g, "ground_truth", MAX_GOLD_CHARS).strip().upper(), letters)
            if len(found) != 1:
                raise BadInput(f"ground_truth {g!r} is not a single option letter")
            gold_set.add(found[0])
    except BadInput as exc:
        return {"score": 0.0, "acc": 0.0, "error": str(exc)}
    answer, _ = extract_answer(response)
    if answer is None:
        return {"score": 0.0, "acc": 0.0}
    given = set(option_letters(answer.strip(), letters))
    if not given and extra_info and isinstance(extra_info, dict) and extra_info.get("choices") is not None:
        wanted = re.sub(r"\s+", " ", answer).strip().casefold()
        for letter, option in zip(letters, list(extra_info["choices"])):
            if re.sub(r"\s+", " ", str(option)).strip().casefold() == wanted:
                given = {letter}
                break
    ok = given == gold_set
    return {"score": float(ok), "acc": float(ok)}
