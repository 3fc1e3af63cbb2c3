"""The time-limited scorer: pool timeouts, crash recovery, order, threads, per-source choice."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from lmmr1.rewards.scoring import Scorer, ScoringPlan


@pytest.fixture
def scorer_factory(misbehaving_on_path):
    made = []

    def make(spec, **kwargs):
        s = Scorer(spec, **kwargs)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


def test_a_stuck_reward_times_out_and_its_worker_is_replaced(scorer_factory):
    scorer = scorer_factory("misbehaving:sleepy", workers=1, timeout_s=1.0)
    assert scorer.score("x", "a", "a") == {"score": 1.0, "acc": 1.0, "timeout": 0}
    first_pid = scorer.pool.pids()
    out = scorer.score("x", "please sleep", "a")
    assert out["score"] == 0.0 and out["timeout"] == 1 and "timed out" in out["error"]
    assert out["acc"] == 0.0  # components are present even when the row failed
    assert scorer.score("x", "b", "b")["score"] == 1.0  # a fresh worker took over
    assert scorer.pool.pids() != first_pid and scorer.pool.replaced == 1


def test_a_crashing_worker_is_replaced_and_nothing_is_lost_or_reordered(scorer_factory):
    scorer = scorer_factory("misbehaving:crashy", workers=2, timeout_s=5.0)
    items = [("x", r, "ok", None) for r in ["ok", "crash", "no", "ok", "crash", "ok"]]
    results = scorer.score_many(items)
    assert [r["score"] for r in results] == [1.0, 0.0, 0.0, 1.0, 0.0, 1.0]
    assert [bool(r.get("error")) for r in results] == [False, True, False, False, True, False]
    assert "crashed" in results[1]["error"]


def test_score_many_keeps_order_with_mixed_fast_and_slow_rows(scorer_factory):
    scorer = scorer_factory("math", workers=2, timeout_s=10.0)
    rows = [
        ("m", "\\boxed{(x)!}", "x!", None),  # needs sympy (pool)
        ("m", "\\boxed{3}", "3", None),  # fast path
        ("m", "\\boxed{(y)!}", "x!", None),  # pool, not equal
        ("m", "\\boxed{4}", "3", None),
    ]
    assert [r["score"] for r in scorer.score_many(rows)] == [1.0, 1.0, 0.0, 0.0]


@pytest.mark.timeout(120)
def test_pathological_rows_never_stall_a_batch(scorer_factory):
    scorer = scorer_factory("lmm_r1", workers=2, timeout_s=2.0)
    nasty = [
        "\\boxed{2^{10^{10}}}",
        "\\boxed{9^{9^{9}}}",
        "\\boxed{" + "(" * 500 + "1" + ")" * 500 + "}",
        "\\boxed{" + "\\frac{1}{" * 300 + "2" + "}" * 300 + "}",
        "x" * 1_000_000,
        "\\boxed{3}\ud800",
        # quadratic traps for naive extraction (each must stay linear)
        "\\boxed{" * 25_000,
        "\\boxed{1}" * 20_000,
        "<think>" * 25_000,
        "<answer>" * 20_000 + "</answer>",
        "the answer is " * 12_000,
        "\\boxed{" + "9" * 1_990 + "}",
        "\\boxed{" + "2^" * 900 + "2}",
    ]
    results = scorer.score_many([("m", r, "3", None) for r in nasty] + [("m", "\\boxed{3}", "3", None)])
    assert [r["score"] for r in results] == [0.0] * len(nasty) + [1.0]
    assert all(r["timeout"] == 0 for r in results)  # decided quickly, not cut off by the time limit


def test_scoring_works_from_many_threads(scorer_factory):
    """verl calls rewards from executor threads: no signal.alarm, the pool is shared safely."""
    scorer = scorer_factory("misbehaving:sleepy", workers=2, timeout_s=1.0)
    inputs = [("x", str(i), str(i if i % 3 else -1), None) for i in range(24)] + [("x", "sleep", "0", None)]
    with ThreadPoolExecutor(max_workers=6) as ex:
        results = list(ex.map(lambda item: scorer.score(*item), inputs))
    assert [r["score"] for r in results[:-1]] == [0.0 if i % 3 == 0 else 1.0 for i in range(24)]
    assert results[-1]["timeout"] == 1
    assert threading.current_thread() is threading.main_thread()


def test_reward_is_chosen_per_data_source():
    spec = ScoringPlan.from_dict(
        {
            "name": "math",
            "kwargs": {},
            "by_source": {"mc": {"name": "choice"}, "fmt": {"name": "format", "kwargs": {"weight": 1.0}}},
        }
    )
    scorer = Scorer(spec)
    assert scorer.component_names() == ["acc", "format"]
    assert scorer.score("gsm8k", "\\boxed{2}", "2") == {"score": 1.0, "acc": 1.0, "format": 0.0, "timeout": 0}
    assert scorer.score("mc", "<answer>B</answer>", "B")["score"] == 1.0
    assert scorer.score("fmt", "<think>a</think><answer>b</answer>", "")["score"] == 1.0
    scorer.close()


def test_spec_errors_are_actionable():
    with pytest.raises(ValueError, match="unknown keys"):
        ScoringPlan.from_dict({"name": "math", "timeout": 3})
    with pytest.raises(ValueError, match="'name'"):
        ScoringPlan.from_dict({"kwargs": {}})
    from lmmr1.registry import RegistryError

    with pytest.raises(RegistryError, match="Installed: .*math"):
        Scorer({"name": "no_such_reward"})


def test_undeclared_components_are_found_by_a_probe(scorer_factory):
    """verl needs the same extra-info keys on every row, also for rewards that never declared them."""
    scorer = scorer_factory("misbehaving:undeclared", workers=1, timeout_s=2.0)
    assert scorer.component_names() == ["acc", "length"]
    ok = scorer.score("x", "abc", "abc")
    assert ok["acc"] == 1.0 and ok["length"] == 3.0
    failed = scorer.failed("misbehaving:undeclared", "boom")
    assert failed["acc"] == 0.0 and failed["length"] == 0.0 and failed["error"] == "boom"
