"""``lmmr1 data generate sokoban``: files, verl's parquet layout, reproducibility (through the sub-command parser)."""

from __future__ import annotations

import argparse
import io
import json

import gymnasium as gym
import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

import lmmr1.envs  # noqa: F401
from lmmr1.commands.data_sokoban import register_sokoban
from lmmr1.envs.sokoban import parse_xsb, solve
from lmmr1.prompts import SYSTEM_PROMPT


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="lmmr1 data")
    register_sokoban(parser.add_subparsers(dest="dataset"))
    args = parser.parse_args(["sokoban", *argv, "--quiet"])
    return args.data_func(args)


def test_writes_levels_frames_and_verl_parquet(tmp_path):
    out = tmp_path / "set"
    assert run(["--n", "12", "--dim", "7", "--boxes", "2", "--seed", "0", "--output", str(out), "--solve"]) == 0
    levels = [json.loads(line) for line in (out / "levels.jsonl").read_text().splitlines()]
    assert len(levels) == 12 and len({lv["xsb"] for lv in levels}) == 12
    for lv in levels:
        assert parse_xsb(lv["xsb"]).shape == (7, 7)
        assert lv["optimal_moves"] == len(solve(lv["xsb"])) > 0
        # the recorded seed regenerates the level in the environment
        assert gym.make("lmmr1/Sokoban-v0").reset(seed=lv["seed"])[1]["xsb"] == lv["xsb"]
        assert (out / "frames" / f"{lv['id']}.png").exists()

    rows = pq.read_table(out / "train.parquet").to_pylist()
    assert len(rows) == 12
    row = rows[0]
    assert set(row) == {"data_source", "prompt", "images", "reward_model", "extra_info", "agent_name"}
    assert row["data_source"] == "sokoban" and row["agent_name"] == "single_turn_agent"
    assert row["prompt"][0] == {"role": "system", "content": SYSTEM_PROMPT}
    assert row["prompt"][1]["role"] == "user" and row["prompt"][1]["content"].count("<image>") == 1
    assert "Left" in row["prompt"][1]["content"]
    assert row["reward_model"] == {"style": "rule", "ground_truth": levels[0]["xsb"]}
    assert row["extra_info"]["index"] == 0 and row["extra_info"]["id"] == levels[0]["id"]
    assert row["extra_info"]["seed"] == levels[0]["seed"]
    image = Image.open(io.BytesIO(row["images"][0]["bytes"]))
    assert image.size == (112, 112)
    assert (out / "frames" / f"{levels[0]['id']}.png").read_bytes() == row["images"][0]["bytes"]


def test_same_seed_same_set_and_prefix_stable(tmp_path):
    run(["--n", "6", "--seed", "3", "--output", str(tmp_path / "a")])
    run(["--n", "6", "--seed", "3", "--output", str(tmp_path / "b")])
    run(["--n", "9", "--seed", "3", "--output", str(tmp_path / "c")])
    run(["--n", "6", "--seed", "4", "--output", str(tmp_path / "d")])
    a, b, c, d = ((tmp_path / x / "levels.jsonl").read_text().splitlines() for x in "abcd")
    assert a == b and c[:6] == a and d != a
    assert (tmp_path / "a" / "train.parquet").read_bytes() == (tmp_path / "b" / "train.parquet").read_bytes()


def test_online_task_and_other_sizes(tmp_path):
    run(["--n", "3", "--dim", "8x9", "--boxes", "3", "--output", str(tmp_path), "--task", "online"])
    row = pq.read_table(tmp_path / "train.parquet").to_pylist()[0]
    assert row["agent_name"] == "sokoban_online"
    level = parse_xsb(row["reward_model"]["ground_truth"])
    assert level.shape == (8, 9) and len(level.boxes) == 3


@pytest.mark.parametrize("bad", [["--dim", "2"], ["--dim", "7x2"], ["--dim", "axb"]])
def test_bad_dim_is_rejected(bad, tmp_path, capsys):
    with pytest.raises(SystemExit):
        run([*bad, "--output", str(tmp_path)])
    assert "--dim" in capsys.readouterr().err


def test_min_moves_sets_a_difficulty_floor(tmp_path):
    run(["--n", "10", "--seed", "1", "--min-moves", "12", "--output", str(tmp_path)])
    levels = [json.loads(line) for line in (tmp_path / "levels.jsonl").read_text().splitlines()]
    assert all(lv["optimal_moves"] >= 12 for lv in levels)
    assert all(len(solve(lv["xsb"])) == lv["optimal_moves"] for lv in levels)


def test_football_rows_for_the_online_loop(tmp_path):
    from lmmr1.commands.data_sokoban import register_football
    from lmmr1.envs.football import FootballEnv

    parser = argparse.ArgumentParser(prog="lmmr1 data")
    register_football(parser.add_subparsers(dest="dataset"))
    args = parser.parse_args(["football", "--n", "3", "--scenario", "5_vs_5", "--output", str(tmp_path), "--quiet"])
    assert args.data_func(args) == 0
    rows = pq.read_table(tmp_path / "train.parquet").to_pylist()
    assert [r["agent_name"] for r in rows] == ["football_online"] * 3
    extra = rows[1]["extra_info"]
    assert extra["scenario"] == "5_vs_5" and extra["index"] == 1
    frame = FootballEnv(scenario="5_vs_5").reset(seed=extra["seed"])[0]["frame"]
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(rows[1]["images"][0]["bytes"]))), frame)
    assert rows[0]["prompt"][1]["content"].startswith("<image>") and "short_pass" in rows[0]["prompt"][1]["content"]
