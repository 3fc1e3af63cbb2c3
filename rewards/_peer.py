"""math-verify, consulted for the pairs lmmr1's own parser cannot read (``_equiv.answers_equal``).

Runs only in the scoring worker pool (the slow path), whose parent kills a worker that overruns its
time limit; math-verify's own signal-based timeouts are therefore turned off (they only work in a
process's main thread, and the pool already bounds the time).

Written for math-verify 0.9.0 (``parse(..., parsing_timeout=None)``, ``verify(..., timeout_seconds=None)``).
"""

from __future__ import annotations

import logging


def math_verify_equal(gold: str, answer: str) -> bool:
    """math-verify's verdict on two extracted answers (each read as one math span)."""
    from math_verify import parse, verify

    logging.getLogger("math_verify").setLevel(logging.ERROR)  # its "timeout disabled" notice, per call
    gold_parsed = parse(f"${gold}$", parsing_timeout=None)
    answer_parsed = parse(f"${answer}$", parsing_timeout=None)
    if not gold_parsed or not answer_parsed:
        return False
    return bool(verify(gold_parsed, answer_parsed, timeout_seconds=None))
