"""``benchmark``: score a validation response the way ``lmmr1 eval`` scores it (registered reward).

Used for the ``bench/<name>`` rows that :mod:`lmmr1.eval.verl_rows` writes; the item travels in
``extra_info``, so the reward needs no dataset access. Returns ``{"score", "acc"}`` (1/0).
"""

from __future__ import annotations

import json
from typing import Any

from lmmr1.rewards.contract import reward_contract


@reward_contract(components=("acc",))
def benchmark_reward(
    data_source: Any, solution_str: str, ground_truth: Any, extra_info: dict | None = None, **kwargs: Any
) -> dict[str, float]:
    from lmmr1.eval import core
    from lmmr1.eval.core import Item
    from lmmr1.eval.runner import load_benchmark

    if not isinstance(extra_info, dict) or "benchmark" not in extra_info:
        return {"score": 0.0, "acc": 0.0, "error": "benchmark reward: extra_info has no 'benchmark' (not a bench/ row)"}
    core.IN_REWARD_WORKER = True  # already inside lmmr1's time-limited worker: compare in-process
    bench = load_benchmark(str(extra_info["benchmark"]))
    meta = extra_info.get("meta")
    item = Item(
        str(extra_info.get("id")),
        str(extra_info.get("question", "")),
        json.loads(ground_truth) if isinstance(ground_truth, str) else ground_truth,
        meta=json.loads(meta) if isinstance(meta, str) else dict(meta or {}),
    )
    protocol = str(extra_info.get("protocol", "rule"))
    ok = bool(bench.correct(item, bench.extract(item, solution_str or "", protocol)))
    return {"score": float(ok), "acc": float(ok)}
