"""``stage_format``: LLaVA-CoT's four tagged reasoning stages, in order, each non-empty.

LLaVA-CoT (arXiv 2411.10440) trains answers of the form::

    <SUMMARY>...</SUMMARY><CAPTION>...</CAPTION><REASONING>...</REASONING><CONCLUSION>...</CONCLUSION>

A response is well formed (``stage_format`` 1) when, stripped, it is exactly those four blocks in that order:
each tag once, each block's text non-empty, no stage tag inside a block (no nesting), nothing but whitespace
between or around the blocks. ``stages`` is the share of the four that are well formed in order from the
first (a diagnostic: 0.5 means summary and caption were right and the reasoning was not). Tags are matched
as LLaVA-CoT writes them (upper case) unless ``case_sensitive`` is false.

``answer`` optionally grades the conclusion's text with another registered reward (``math``, ``choice``,
``lmm_r1``, ...; its ``acc`` component, or its score) against the ground truth: ``acc``. The score is
``format_weight x stage_format + acc``. With ``answer: none`` (the default) ``acc`` is 0 and the score is the
format alone.
"""

from __future__ import annotations

import re
from typing import Any

from ._text import MAX_RESPONSE_CHARS, BadInput, check_text
from .contract import NeedSlow, contract_of, reward_contract, slow_allowed

STAGES = ("SUMMARY", "CAPTION", "REASONING", "CONCLUSION")
_TAG = {
    True: re.compile(r"<(/?)(" + "|".join(STAGES) + r")>"),
    False: re.compile(r"<(/?)(" + "|".join(STAGES) + r")>", re.IGNORECASE),
}


def parse_stages(response: str, case_sensitive: bool = True) -> tuple[int, dict[str, str]]:
    """(how many stages are well formed in order from the first, {stage: text} of those), in linear time."""
    tokens = list(_TAG[case_sensitive].finditer(response))
    texts: dict[str, str] = {}
    position = 0  # end of the previous well-formed block
    for index, stage in enumerate(STAGES):
        if len(tokens) < 2 * index + 2:
            break
        opening, closing = tokens[2 * index], tokens[2 * index + 1]
        if opening.group(1) or opening.group(2).upper() != stage:
            break
        if not closing.group(1) or closing.group(2).upper() != stage:
            break  # another stage's tag before this one closed: nested, repeated or out of order
        if response[position : opening.start()].strip():
            break  # text outside the blocks
        text = response[opening.end() : closing.start()]
        if not text.strip():
            break
        texts[stage] = text.strip()
        position = closing.end()
    well_formed = len(texts)
    if well_formed == len(STAGES) and (len(tokens) != 2 * len(STAGES) or response[position:].strip()):
        well_formed = len(STAGES) - 1  # a fifth tag or trailing text: the conclusion does not end the answer
        texts.pop(STAGES[-1])
    return well_formed, texts


def _grade_conclusion(
    answer: str, conclusion: str, ground_truth: Any, data_source: Any, extra_info: Any, **kw: Any
) -> float:
    """The conclusion graded by the ``answer`` reward; in the scorer's in-process pass only through that reward's
    own fast path (slow work goes to the scorer's time-limited pool, as for the reward used alone)."""
    from . import get_reward

    grader = get_reward(answer)
    if slow_allowed():
        result = grader(data_source, conclusion, ground_truth, extra_info, **kw)
    else:
        fast = contract_of(grader).fast_path
        result = fast(data_source, conclusion, ground_truth, extra_info, **kw) if fast is not None else None
        if result is None:
            raise NeedSlow(f"the {answer!r} reward needs its slow path for this conclusion")
    if isinstance(result, dict):
        return float(result.get("acc", result.get("score", 0.0)))
    return float(result)


@reward_contract(components=("stage_format", "stages", "acc"), fast_path="in_process")
def stage_format_reward(
    data_source: str | None,
    solution_str: str,
    ground_truth: Any = None,
    extra_info: dict | None = None,
    format_weight: float = 1.0,
    answer: str = "none",
    answer_kwargs: dict | None = None,
    case_sensitive: bool = True,
    **kwargs: Any,
) -> dict[str, Any]:
    """{"score": format_weight x stage_format + acc, "stage_format": 1/0, "stages": 0..1, "acc": 0..1}."""
    try:
        response = check_text(solution_str, "response", MAX_RESPONSE_CHARS)
    except BadInput as exc:
        return {"score": 0.0, "stage_format": 0.0, "stages": 0.0, "acc": 0.0, "error": str(exc)}
    well_formed, texts = parse_stages(response.strip(), case_sensitive)
    ok = float(well_formed == len(STAGES))
    acc = 0.0
    if answer != "none" and "CONCLUSION" in texts:
        acc = _grade_conclusion(
            answer, texts["CONCLUSION"], ground_truth, data_source, extra_info, **(answer_kwargs or {})
        )
    return {
        "score": float(format_weight) * ok + acc,
        "stage_format": ok,
        "stages": well_formed / len(STAGES),
        "acc": acc,
    }
