"""Golden values: the first steps of five smoke stages, pinned, so a numerical change cannot pass unnoticed.

A verl, transformers or torch upgrade (or an lmmr1 change) that alters how an advantage is normalised, a
loss aggregated or a value fitted changes these numbers. ``deterministic=true`` makes the runs repeatable:
each rollout sample has its own seed, and verl's batches are ordered by prompt and sample slot
(lmmr1.verl.determinism, lmmr1.verl.fixes); the smoke scale trains in float32.

* ``sanity`` (GRPO family): scores, policy loss, gradient norm, entropy of its first 3 steps;
* ``direct_rl_geo`` (GAE, a critic initialised from the actor): the same plus the value loss and values;
* ``sokoban_gigpo`` / ``sokoban_turn_gae`` (Sokoban-Online, multi-turn, with lmmr1's turn-level estimators):
  the episode and step advantages, the per-turn spread, the critic's loss. These two runs are also the
  end-to-end checks of the agent loop inside verl and of the estimators (:func:`_check_turn_credit`);
* ``fre_multi_lora`` (rank-8 LoRA on the tiny Qwen2.5-VL, an entropy bonus as its only gradient): also the
  end-to-end check of LoRA stages (:func:`_check_lora`).

**Re-pinning deliberately** (after a change you meant, e.g. an upgrade whose release notes explain it)::

    LMMR1_REPIN_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py

rewrites ``tests/golden/*.json`` from fresh runs; commit them with the reason. ``LMMR1_GOLDEN_EXTRA``
(space-separated overrides) is appended to both runs' command lines: a way to check by hand that a
perturbation (``stages.sanity.actor_lr=2e-3``, ``algorithm.loss_agg_mode=seq-mean-token-sum``) fails.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
STEPS = 3
# Bitwise-equal on one machine; another CPU (other SIMD kernels) may move a float in its last digits.
REL_TOL, ABS_TOL = 1e-3, 1e-6

COMMON = ["deterministic=true", "seed=42", "scale=smoke", "model=auto", "data=auto"]
RUNS: dict[str, dict] = {
    "sanity": {
        "args": ["+recipe=sanity", f"stages.sanity.smoke.total_steps={STEPS}", *COMMON],
        "stage": "sanity",
        "metrics": [
            "critic/score/mean",
            "critic/advantages/max",
            "actor/pg_loss",
            "actor/pg_clipfrac",
            "actor/grad_norm",
            "actor/entropy",
            "actor/ppo_kl",
        ],
    },
    "direct_rl_geo": {
        "args": ["+recipe=direct_rl_geo", *COMMON],
        "stage": "direct_rl_geo",
        "metrics": [
            "critic/score/mean",
            "response_length/mean",
            "actor/pg_loss",
            "actor/grad_norm",
            "actor/entropy",
            "critic/vf_loss",
            "critic/values/mean",
            "critic/advantages/max",
        ],
    },
    "sokoban_gigpo": {
        "args": ["+recipe=sokoban_online", "algorithm=gigpo", *COMMON],
        "stage": "sokoban_online",
        "check": lambda out: _check_turn_credit(out, "gigpo"),
        "metrics": [
            "critic/score/mean",
            "critic/advantages/max",
            "critic/advantages/min",
            "actor/pg_loss",
            "actor/grad_norm",
            "actor/entropy",
            "turn_credit/gigpo/episode_adv/std",
            "turn_credit/gigpo/step_adv/std",
            "turn_credit/gigpo/step_group_size/mean",
            "turn_credit/gigpo/turn_adv_spread/mean",
        ],
    },
    "sokoban_turn_gae": {
        "args": ["+recipe=sokoban_online", "algorithm=turn_gae", *COMMON],
        "stage": "sokoban_online",
        "check": lambda out: _check_turn_credit(out, "turn_gae"),
        "metrics": [
            "critic/score/mean",
            "critic/advantages/max",
            "actor/pg_loss",
            "actor/grad_norm",
            "critic/vf_loss",
            "critic/values/mean",
            "turn_credit/turn_gae/turn_adv_spread/mean",
        ],
    },
    "fre_multi_lora": {
        # the tiny model scores 0 on FRE-Multi's items: an entropy bonus gives the adapter a gradient to follow
        "args": [
            "+recipe=fre_multi_lora",
            "+stages.fre_multi.verl={actor_rollout_ref.actor.entropy_coeff: 0.01}",
            *COMMON,
        ],
        "stage": "fre_multi",
        "check": lambda out: _check_lora(out),
        "metrics": [
            "response_length/mean",
            "actor/grad_norm",
            "actor/entropy",
            "actor/pg_loss",
        ],
    },
}


def _check_lora(out: Path) -> None:
    """A LoRA stage trains its adapter, the rollout generates with it, and the export is adapter + merged model
    (issue 26): the vision tower bit-identical, the language model's adapted layers moved."""
    import torch
    from transformers import AutoModelForImageTextToText

    (stage,) = json.loads((out / "manifest.json").read_text())["stages"]
    assert stage["status"] == "done" and stage["settings"]["lora.rank"] == 8
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line.strip()]
    rows = [r for r in rows if "actor/grad_norm" in r]
    assert len(rows) == STEPS and all(r["actor/grad_norm"] > 0 for r in rows), rows
    # the rollout's log-probs are the trainer's: it generated with the adapted (merged) weights at every step
    assert all(r["training/rollout_probs_diff_max"] < 1e-3 for r in rows), rows
    export = Path(stage["hf_export"])
    adapter = json.loads((export.parent / "lora_adapter" / "adapter_config.json").read_text())
    assert (
        adapter["r"] == 8
        and adapter["lora_alpha"] == 16
        and (export.parent / "lora_adapter" / "adapter_model.safetensors").exists()
    )
    merged = AutoModelForImageTextToText.from_pretrained(str(export), dtype=torch.float32).state_dict()
    base = AutoModelForImageTextToText.from_pretrained(stage["init_model"], dtype=torch.float32).state_dict()
    assert set(merged) == set(base)
    visual = [k for k in merged if ".visual." in k]
    assert visual and all(torch.equal(merged[k], base[k]) for k in visual), "the vision tower moved"
    assert any(
        not torch.equal(merged[k], base[k]) for k in merged if "language_model" in k and k.endswith("proj.weight")
    )
    status = subprocess.run([sys.executable, "-m", "lmmr1.cli", "status", str(out)], capture_output=True, text=True)
    assert "model qwen2_5_vl" in status.stdout and "LoRA rank 8 alpha 16" in status.stdout, status.stdout


def _check_turn_credit(out: Path, estimator: str) -> None:
    """The multi-turn loop played several turns inside verl, and the estimator credited turns apart."""
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["stages"][0]["status"] == "done"
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line.strip()]
    rows = [r for r in rows if "critic/score/mean" in r]
    assert len(rows) == STEPS
    # verl counts user + assistant messages: 4 means the model acted, saw the new state, and acted again
    assert max(r["num_turns/max"] for r in rows) >= 4
    prefix = f"turn_credit/{estimator}"
    assert all(r[f"{prefix}/turn_adv_spread/max"] > 0 for r in rows), rows  # turns of an episode differ
    if estimator == "gigpo":
        assert all(r[f"{prefix}/step_group_size/mean"] > 1 for r in rows)
    else:
        assert all("critic/vf_loss" in r for r in rows)
    episodes = [json.loads(line) for line in (out / "sokoban_online" / "turn_credit.jsonl").read_text().splitlines()]
    assert {e["step"] for e in episodes} == set(range(1, STEPS + 1))
    assert any(len({t["advantage"] for t in e["turns"]}) > 1 for e in episodes)
    # lmmr1 view shows each episode's turns: reward -> advantage
    from lmmr1.report.html_view import build_html
    from lmmr1.report.run_dir import load_run

    page, _ = build_html(load_run(out))
    newest = episodes[-1]["turns"][0]
    assert "<h2>Turn credit</h2>" in page and f"{newest['reward']:+.3f} → <b>{newest['advantage']:+.3f}</b>" in page


def pinned_steps(rows: list[dict], metrics: list[str], steps: int) -> dict[str, dict[str, float]]:
    """``{step: {metric: value}}`` for the first ``steps`` steps of verl's metric rows (``{"step", "data"}``)."""
    out: dict[str, dict[str, float]] = {}
    for row in rows:
        step = int(row["step"])
        if step > steps:
            continue
        data = row.get("data", row)
        values = {m: float(data[m]) for m in metrics if m in data}
        if values:
            out.setdefault(str(step), {}).update(values)
    return out


def differences(golden: dict[str, dict[str, float]], measured: dict[str, dict[str, float]]) -> list[str]:
    """Every pinned value that is missing or outside the tolerance, as ``step N metric: golden -> measured``."""
    problems = []
    for step, values in sorted(golden.items(), key=lambda kv: int(kv[0])):
        for metric, want in values.items():
            got = measured.get(step, {}).get(metric)
            if got is None:
                problems.append(f"step {step} {metric}: pinned {want!r}, not reported")
            elif not math.isclose(got, want, rel_tol=REL_TOL, abs_tol=ABS_TOL):
                problems.append(f"step {step} {metric}: pinned {want!r}, now {got!r}")
    return problems


def _run(name: str, tmp_path: Path, env: dict) -> dict[str, dict[str, float]]:
    spec = RUNS[name]
    out = tmp_path / name
    extra = os.environ.get("LMMR1_GOLDEN_EXTRA", "").split()
    args = [sys.executable, "-m", "lmmr1.main", *spec["args"], f"output_dir={out}", *extra]
    result = subprocess.run(args, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=1200)
    assert result.returncode == 0, result.stderr[-4000:]
    if "check" in spec:
        spec["check"](out)
    raw = out / spec["stage"] / "verl_metrics.jsonl"
    rows = [json.loads(line) for line in raw.read_text().splitlines() if line.strip()]
    return pinned_steps(rows, spec["metrics"], STEPS)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(RUNS))
def test_first_steps_match_the_pinned_values(name, tmp_path, lmmr1_env):
    measured = _run(name, tmp_path, lmmr1_env)
    assert len(measured) == STEPS, f"expected {STEPS} steps of metrics, got {sorted(measured)}"
    path = GOLDEN / f"{name}.json"
    if os.environ.get("LMMR1_REPIN_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        record = {"command": ["python", "-m", "lmmr1.main", *RUNS[name]["args"]], "steps": measured}
        path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return
    golden = json.loads(path.read_text(encoding="utf-8"))["steps"]
    problems = differences(golden, measured)
    assert not problems, (
        f"{name}: the first {STEPS} steps moved away from {path.name}:\n  "
        + "\n  ".join(problems)
        + "\nIf the change is intended, re-pin: LMMR1_REPIN_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py"
    )


# ------------------------------------------------------------------------------ the comparison itself
def test_the_comparison_reports_a_moved_value_and_a_missing_one():
    golden = {"1": {"actor/pg_loss": 0.0125, "critic/score/mean": 0.25}, "2": {"critic/vf_loss": 0.5}}
    measured = {"1": {"actor/pg_loss": 0.0131, "critic/score/mean": 0.25}}
    problems = differences(golden, measured)
    assert problems == [
        "step 1 actor/pg_loss: pinned 0.0125, now 0.0131",
        "step 2 critic/vf_loss: pinned 0.5, not reported",
    ]
    assert (
        differences(
            golden,
            {"1": {"actor/pg_loss": 0.0125 * (1 + 1e-5), "critic/score/mean": 0.25}, **{"2": {"critic/vf_loss": 0.5}}},
        )
        == []
    )


def test_pinned_steps_reads_verls_metric_rows():
    rows = [
        {"step": 1, "data": {"actor/pg_loss": 0.1, "timing_s/gen": 3.0}},
        {"step": 2, "data": {"actor/pg_loss": 0.2}},
        {"step": 4, "data": {"actor/pg_loss": 0.4}},
    ]
    assert pinned_steps(rows, ["actor/pg_loss"], 3) == {"1": {"actor/pg_loss": 0.1}, "2": {"actor/pg_loss": 0.2}}


def test_every_run_has_pinned_values():
    for name in RUNS:
        record = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
        assert len(record["steps"]) == STEPS and all(record["steps"].values()), name
