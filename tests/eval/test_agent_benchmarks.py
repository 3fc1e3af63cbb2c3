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
    argv = [
        "eval",
        "--model",
        str(tmp_path),
        "--benchmarks",
        "football_online",
        "--option",
        "football_online.engine=gfootball",
    ]
    code = main([*argv, "--data-dir", str(tmp_path), "--output", str(tmp_path / "out")])
    assert code == 2
    assert (
        "--option football_online.engine=gfootball: engine='gfootball' needs Google Research Football"
        in capsys.readouterr().err
    )
    argv = ["eval", "--model", str(tmp_path), "--option", "football_online.frame=grf", "--data-dir", str(tmp_path)]
    assert main([*argv, "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "football_online.frame=grf is GRF's own render: add --option football_online.engine=gfootball" in err
    # the flags of lmmr1 0.x still read as the same options
    argv = ["eval", "--model", str(tmp_path), "--football-frame", "grf", "--data-dir", str(tmp_path)]
    assert main([*argv, "--output", str(tmp_path / "out")]) == 2
    assert "add --option football_online.engine=gfootball" in capsys.readouterr().err


def test_benchmark_options_are_checked_by_name_value_and_benchmark(tmp_path, capsys):
    from lmmr1.cli import main

    base = ["eval", "--model", str(tmp_path), "--data-dir", str(tmp_path), "--output", str(tmp_path / "out")]
    cases = [
        (["--option", "football_online.stepz=3"], "football_online has no option 'stepz' (did you mean 'steps'?)"),
        (["--option", "football_online.steps=0"], "--option football_online.steps=0: a whole number >= 1"),
        (["--option", "football_online.engine=grf"], "football_online.engine=grf: accepted: lmmr1, gfootball"),
        (
            ["--benchmarks", "math500", "--option", "football_online.steps=3"],
            "'football_online' is not among --benchmarks",
        ),
        (["--option", "steps=3"], "expected BENCHMARK.KEY=VALUE"),
        (["--option", "math500.limit=3"], "math500 has no option 'limit'"),
    ]
    for extra, message in cases:
        assert main([*base, *extra]) == 2, extra
        assert message in capsys.readouterr().err, (extra, message)
