"""Football-Online played by a scripted policy: the engine chosen is the one played and the one reported."""

from __future__ import annotations

import pytest

from lmmr1.eval.benchmarks.agents import FootballOnline
from lmmr1.eval.core import GenSettings, Item


def _shooter(messages, images, settings):
    assert images and images[0].startswith(b"\x89PNG")  # the model is shown the frame
    return "<answer>shot</answer>"


def _play(engine: str, frame: str = "2d"):
    bench = FootballOnline()
    item = Item("g0", "", None, meta={"scenario": "academy_empty_goal_close", "seed": 0})
    return bench, bench.play(
        item, _shooter, "lmm_r1", GenSettings(max_new_tokens=16), steps=40, engine=engine, frame=frame
    )


def test_football_online_on_lmmr1s_engine_is_labelled_as_not_grf():
    bench, result = _play("lmmr1")
    assert result["engine"] == "lmmr1"
    summary = bench.aggregate([result])
    assert "not Google Research Football" in summary["environment"] and summary["n"] == 1


def test_football_online_on_grf_is_labelled_with_grfs_version():
    pytest.importorskip("gfootball_engine")
    bench, result = _play("gfootball")
    assert result["engine"] == "gfootball" and result["correct"]  # a shot from 0.77 scores on the empty goal
    assert bench.aggregate([result])["environment"].startswith("Google Research Football 2.10.2")
    assert "lmmr1's 2D frame" in bench.aggregate([result])["environment"]
    bench, result = _play("gfootball", frame="grf")  # as MageBench: GRF's own render, 1280x720
    assert result["correct"] and "GRF's 3D frame 1280x720" in bench.aggregate([result])["environment"]


def test_eval_refuses_the_grf_engine_where_grf_is_missing(monkeypatch, tmp_path, capsys):
    import lmmr1.envs.football.gfootball_engine as grf
    from lmmr1.cli import main

    monkeypatch.setattr(grf, "gfootball_available", lambda: False)
    argv = ["eval", "--model", str(tmp_path), "--benchmarks", "football_online", "--football-engine", "gfootball"]
    code = main([*argv, "--data-dir", str(tmp_path), "--output", str(tmp_path / "out")])
    assert code == 2
    assert "--football-engine gfootball: engine='gfootball' needs Google Research Football" in capsys.readouterr().err
    argv = ["eval", "--model", str(tmp_path), "--football-frame", "grf", "--data-dir", str(tmp_path)]
    assert main([*argv, "--output", str(tmp_path / "out")]) == 2
    assert "--football-frame grf is GRF's own render: add --football-engine gfootball" in capsys.readouterr().err
