"""math-verify configured exactly as LMM-R1 configured it (its remote reward server's ``verify_math``).

Written from the published configuration (parse of the gold with ``LatexExtractionConfig()`` in
first-match mode; the response parsed with boxed-first extraction, ``nits=False``,
``malformed_operators=False``, ``basic_latex/equations/boxed/units=True``,
``try_extract_without_anchor=False``; gold wrapped in ``$...$``; 1.0 when the gold answer cannot be
parsed or ``verify`` raises). ``status`` says which branch decided, so the benchmark can also report
math-verify without the silent 1.0.
"""

from __future__ import annotations

import logging
import warnings

from latex2sympy2_extended import NormalizationConfig
from math_verify import LatexExtractionConfig, parse, verify

for _name in ("math_verify", "latex2sympy2_extended"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)
warnings.filterwarnings("ignore")

_ANSWER_CONFIG = [
    LatexExtractionConfig(
        normalization_config=NormalizationConfig(
            nits=False, malformed_operators=False, basic_latex=True, equations=True, boxed=True, units=True
        ),
        boxed_match_priority=0,
        try_extract_without_anchor=False,
    )
]


def wrap_gold(answer: str) -> str:
    answer = answer.strip()
    return answer if answer.startswith("$") else "$" + answer + "$"


def verify_math(content: str, sol: str) -> tuple[float, str]:
    """(reward, status) with status in {"verified", "gold_unparsed", "verify_error"}."""
    gold_parsed = parse(sol, extraction_mode="first_match", extraction_config=[LatexExtractionConfig()])
    if len(gold_parsed) == 0:
        return 1.0, "gold_unparsed"
    answer_parsed = parse(content, extraction_config=_ANSWER_CONFIG, extraction_mode="first_match")
    try:
        return float(verify(answer_parsed, gold_parsed)), "verified"
    except Exception:
        return 1.0, "verify_error"


def lmm_r1_accuracy(response: str, gold: str) -> tuple[float, str]:
    return verify_math(response, wrap_gold(gold))
