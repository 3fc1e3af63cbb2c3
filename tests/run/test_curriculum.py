"""Resume safety: a stage started under other settings is not silently resumed or skipped."""

from __future__ import annotations

import dataclasses

import pytest
from hydra import compose, initialize_config_module

from lmmr1.config import ConfigError, stage_settings
from lmmr1.run import manifest as mf
from lmmr1.run.curriculum import _check_settings_unchanged
from lmmr1.run.settings import build_run_config


def _run(tmp_path, *extra):
    with initialize_config_module(config_module="lmmr1.recipes", version_base="1.3"):
        cfg = compose(
            config_name="config",
            overrides=[
                "+recipe=mgt_geo",
                "scale=paper",
                "model=qwen2_5_vl_3b",
                "data=lmm_r1",
                f"output_dir={tmp_path}",
                *extra,
            ],
        )
    return build_run_config(cfg, list(extra), check_files=False)


@pytest.mark.parametrize("status", [mf.FAILED, mf.DONE, mf.RUNNING])
def test_changed_settings_of_a_started_stage_are_refused_with_the_changes(tmp_path, status):
    before = _run(tmp_path)
    manifest = mf.Manifest.load_or_create(tmp_path / "manifest.json", "mgt_geo", ["fre_text", "mgt_geo"])
    record = manifest.record("fre_text")
    record.status, record.settings = status, stage_settings(before, before.stage("fre_text"))
    manifest.save()
    _check_settings_unchanged(
        before, mf.Manifest.load_or_create(tmp_path / "manifest.json", "mgt_geo", ["fre_text", "mgt_geo"])
    )
    after = _run(tmp_path, "stages.fre_text.actor_lr=1e-6")
    loaded = mf.Manifest.load_or_create(tmp_path / "manifest.json", "mgt_geo", ["fre_text", "mgt_geo"])
    with pytest.raises(ConfigError, match=r"stage fre_text .* ran with other settings: actor_lr: 4e-07 -> 1e-06"):
        _check_settings_unchanged(after, loaded)
    _check_settings_unchanged(dataclasses.replace(after, on_settings_change="keep"), loaded)  # warns, continues


def test_a_pending_stage_is_free_to_change(tmp_path):
    run = _run(tmp_path, "stages.mgt_geo.actor_lr=2e-6")
    manifest = mf.Manifest.load_or_create(tmp_path / "manifest.json", "mgt_geo", ["fre_text", "mgt_geo"])
    manifest.record("mgt_geo").settings = {"actor_lr": 1.0}
    _check_settings_unchanged(run, manifest)


def test_bad_on_settings_change_value_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="on_settings_change = 'maybe'"):
        _run(tmp_path, "on_settings_change=maybe")


def test_restart_from_archives_the_stage_and_later_ones_then_the_changed_settings_are_accepted(tmp_path):
    import json

    from lmmr1.run.curriculum import archive_from

    before = _run(tmp_path)
    manifest = mf.Manifest.load_or_create(tmp_path / "manifest.json", "mgt_geo", ["fre_text", "mgt_geo"])
    for name in ("fre_text", "mgt_geo"):
        record = manifest.record(name)
        record.status, record.settings = mf.DONE, stage_settings(before, before.stage(name))
        (tmp_path / name / "checkpoints").mkdir(parents=True)
        (tmp_path / name / "checkpoints" / "marker").write_text(name)
    manifest.save()
    (tmp_path / "metrics.jsonl").write_text(
        "".join(json.dumps({"stage": s, "step": 1}) + "\n" for s in ("fre_text", "mgt_geo"))
    )
    after = _run(tmp_path, "stages.mgt_geo.actor_lr=3e-6", "restart_from=mgt_geo")
    assert after.restart_from == "mgt_geo"
    loaded = mf.Manifest.load_or_create(tmp_path / "manifest.json", "mgt_geo", ["fre_text", "mgt_geo"])
    with pytest.raises(ConfigError, match="restart_from=mgt_geo"):
        _check_settings_unchanged(after, loaded)
    archive = archive_from(after, loaded, "mgt_geo")
    _check_settings_unchanged(after, loaded)  # mgt_geo is pending again: accepted
    assert loaded.record("fre_text").status == mf.DONE and loaded.record("mgt_geo").status == mf.PENDING
    assert (archive / "mgt_geo" / "checkpoints" / "marker").read_text() == "mgt_geo"  # archived, not deleted
    assert (tmp_path / "fre_text" / "checkpoints" / "marker").exists() and not (tmp_path / "mgt_geo").exists()
    assert [json.loads(x)["stage"] for x in (tmp_path / "metrics.jsonl").read_text().splitlines()] == ["fre_text"]
    assert json.loads((archive / "metrics.jsonl").read_text())["stage"] == "mgt_geo"


def test_restart_from_an_unknown_stage_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="restart_from = 'mgt_ge'.*did you mean 'mgt_geo'"):
        _run(tmp_path, "restart_from=mgt_ge")


def test_an_earlier_attempts_raw_metrics_are_set_aside_not_relayed_again(tmp_path):
    from lmmr1.run.curriculum import _set_aside
    from lmmr1.run.layout import StagePaths

    stage = StagePaths(tmp_path)
    raw = tmp_path / "verl_metrics.jsonl"
    _set_aside(stage, 1)  # nothing there: nothing to do
    raw.write_text('{"step": 1, "data": {"train/loss": 6.9}}\n')
    _set_aside(stage, 0)  # a first attempt keeps whatever is there
    assert raw.exists()
    _set_aside(stage, 2)
    assert not raw.exists()
    assert (tmp_path / "verl_metrics.attempt-2.jsonl").read_text().startswith('{"step": 1')


def test_steps_logged_by_verl_but_not_relayed_before_a_kill_are_recovered_once(tmp_path):
    import json

    from lmmr1.run.stage import recover_steps

    raw = tmp_path / "verl_metrics.attempt-1.jsonl"
    raw.write_text(
        "".join(
            json.dumps(r) + "\n"
            for r in [
                {"step": 1, "data": {"train/loss": 6.9}},
                {"step": 2, "data": {"train/loss": 6.8}},
                {"step": 2, "data": {"val/loss": 6.7}},
                {"step": 3, "data": {"train/loss": 6.6}},  # after the checkpoint: trained again, not recovered
            ]
        )
    )
    target = tmp_path / "metrics.jsonl"
    target.write_text(json.dumps({"stage": "sft", "step": 1, "train/loss": 6.9}) + "\n")
    assert recover_steps(raw, target, "sft", up_to=2) == 2
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [(r["step"], "train/loss" in r) for r in lines] == [(1, True), (2, True), (2, False)]
    assert recover_steps(raw, target, "sft", up_to=2) == 0  # idempotent
