"""The hand-written real-styles set (benchmarks/rewards/real_styles.jsonl), graded by lmmr1 and math-verify in
the same run (issue 22): lmmr1 accepts at least 95% of the right answers with at most 0.5% false acceptances,
and reads more right answers than math-verify; on every labelled set in benchmarks/ lmmr1 accepts no more
wrong answers than math-verify does."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "rewards"
sys.path.insert(0, str(BENCH))

from real_styles import lmmr1_verdicts, load, summary  # noqa: E402


def test_the_committed_set_is_what_its_source_writes():
    from real_styles_source import rows

    committed = [json.loads(x) for x in (BENCH / "real_styles.jsonl").read_text(encoding="utf-8").splitlines()]
    assert committed == rows()


def test_lmmr1_reads_real_styles_ahead_of_math_verify():
    pytest.importorskip("math_verify")
    from real_styles import math_verify_verdicts

    rows = load("real_styles.jsonl")
    ours = summary(rows, lmmr1_verdicts(rows))
    peer = summary(rows, math_verify_verdicts(rows)[0])
    assert ours["recall"] >= 95.0, ours
    assert ours["fa_rate"] <= 0.5, ours
    assert ours["recall"] > peer["recall"], (ours, peer)


@pytest.mark.parametrize("name", ["real_styles.jsonl", "forms.jsonl"])
def test_no_more_false_acceptances_than_math_verify(name):
    pytest.importorskip("math_verify")
    from real_styles import math_verify_verdicts

    rows = load(name)
    ours = summary(rows, lmmr1_verdicts(rows))
    peer = summary(rows, math_verify_verdicts(rows)[0])
    assert ours["false_acceptances"] <= peer["false_acceptances"], (ours, peer)
