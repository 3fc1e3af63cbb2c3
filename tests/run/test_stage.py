"""Metrics relay, resume pruning, checkpoint discovery and the manifest."""

from __future__ import annotations

import json

import pytest

from lmmr1.run import manifest as mf
from lmmr1.run.layout import hf_export_of, latest_checkpoint
from lmmr1.run.stage import MetricsRelay, prune_metrics


def _verl_line(step: int, reward: float) -> str:
    return json.dumps({"step": step, "data": {"critic/score/mean": reward, "actor/pg_loss": 0.1}}) + "\n"


def test_relay_adds_stage_and_keeps_verl_names(tmp_path):
    source, target = tmp_path / "verl.jsonl", tmp_path / "metrics.jsonl"
    source.write_text(_verl_line(1, 0.25) + _verl_line(2, 0.5) + '{"step": 3, "data"')  # last line incomplete
    relay = MetricsRelay(source, target, "fre_text", total_steps=3)
    relay.poll()
    lines = [json.loads(l) for l in target.read_text().splitlines()]
    assert [(l["stage"], l["step"], l["critic/score/mean"]) for l in lines] == [
        ("fre_text", 1, 0.25),
        ("fre_text", 2, 0.5),
    ]
    with open(source, "a") as fh:
        fh.write(': {"critic/score/mean": 0.75}}\n')
    relay.poll()
    assert [json.loads(l)["step"] for l in target.read_text().splitlines()] == [1, 2, 3]
    assert len(relay.steps) == 3


def test_prune_drops_only_the_lost_tail_of_that_stage(tmp_path):
    target = tmp_path / "metrics.jsonl"
    rows = [
        {"stage": "a", "step": 1},
        {"stage": "a", "step": 2},
        {"stage": "b", "step": 1},
        {"stage": "b", "step": 2},
        {"stage": "b", "step": 3},
    ]
    target.write_text("".join(json.dumps(r) + "\n" for r in rows))
    prune_metrics(target, "b", keep_up_to=1)
    kept = [(r["stage"], r["step"]) for r in map(json.loads, target.read_text().splitlines())]
    assert kept == [("a", 1), ("a", 2), ("b", 1)]


def test_latest_checkpoint_and_hf_export(tmp_path):
    assert latest_checkpoint(tmp_path) == (None, None)
    step_dir = tmp_path / "global_step_4"
    hf = step_dir / "actor" / "huggingface"
    hf.mkdir(parents=True)
    (tmp_path / "latest_checkpointed_iteration.txt").write_text("4")
    assert latest_checkpoint(tmp_path) == (4, step_dir)
    assert hf_export_of(step_dir) is None  # config but no weights yet
    (hf / "config.json").write_text("{}")
    (hf / "model.safetensors").write_bytes(b"x")
    assert hf_export_of(step_dir) == hf


def test_manifest_round_trip_and_recipe_mismatch(tmp_path):
    path = tmp_path / "manifest.json"
    m = mf.Manifest.load_or_create(path, "fre_text", ["fre_text"])
    m.record("fre_text").status = mf.DONE
    m.save()
    again = mf.Manifest.load_or_create(path, "fre_text", ["fre_text"])
    assert again.record("fre_text").status == mf.DONE
    data = json.loads(path.read_text())
    assert set(data["stages"][0]) >= {
        "name",
        "status",
        "attempts",
        "started_at",
        "ended_at",
        "init_model",
        "checkpoint_dir",
        "hf_export",
    }
    with pytest.raises(ValueError, match="belongs to recipe 'fre_text'"):
        mf.Manifest.load_or_create(path, "sanity", ["sanity"])


def test_reward_rows_are_folded_into_the_next_training_step(tmp_path):
    source, target, rows = tmp_path / "verl.jsonl", tmp_path / "metrics.jsonl", tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"score": 9.0, "acc": 9.0}) + "\n")  # from an earlier attempt: ignored
    relay = MetricsRelay(source, target, "fre_text", total_steps=2, reward_log=rows)
    with open(rows, "a") as fh:
        fh.write(
            json.dumps({"data_source": "s", "score": 1.5, "acc": 1.0, "format": 0.5, "timeout": 0, "error": 0})
            + "\n"
            + json.dumps(
                {
                    "data_source": "s",
                    "score": 0.0,
                    "acc": 0.0,
                    "format": 0.0,
                    "timeout": 1,
                    "error": 1,
                    "reason": "timed out after 2s",
                }
            )
            + "\n"
        )
    source.write_text(_verl_line(1, 0.75))
    relay.poll()
    (line,) = [json.loads(l) for l in target.read_text().splitlines()]
    assert line["reward/acc/mean"] == 0.5 and line["reward/format/mean"] == 0.25
    assert line["reward/timeout/count"] == 1 and line["reward/error/count"] == 1
    assert line["reward/error/example"] == "timed out after 2s" and line["reward/rows"] == 2
    with open(source, "a") as fh:
        fh.write(_verl_line(2, 0.5))
    relay.poll()
    second = json.loads(target.read_text().splitlines()[-1])
    assert "reward/rows" not in second  # no new rows were scored for step 2


def test_reward_rows_of_two_steps_read_together_are_split_by_policy_version(tmp_path):
    source, target, rows = tmp_path / "verl.jsonl", tmp_path / "metrics.jsonl", tmp_path / "rows.jsonl"
    relay = MetricsRelay(source, target, "s", total_steps=2, reward_log=rows)
    rows.write_text(
        "".join(
            json.dumps({"score": s, "acc": s, "weights_step": w}) + "\n"
            for w, s in [(0, 1.0), (0, 1.0), (1, 0.0), (1, 0.0), (1, 0.0)]
        )
    )
    source.write_text(_verl_line(1, 1.0) + _verl_line(2, 0.0))
    relay.poll()
    first, second = [json.loads(l) for l in target.read_text().splitlines()]
    assert (first["reward/rows"], first["reward/acc/mean"]) == (2, 1.0)
    assert (second["reward/rows"], second["reward/acc/mean"]) == (3, 0.0)
