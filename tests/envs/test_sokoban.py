"""Sokoban: classic rules on hand-written XSB levels, gym-sokoban's rewards, and the level generator."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import lmmr1.envs  # noqa: F401  (registers the ids)
from lmmr1.envs.sokoban import (
    ACTION_NAMES,
    LevelError,
    SokobanGame,
    generate_level,
    level_from_npy_array,
    level_to_npy_array,
    load_npy_level,
    parse_xsb,
    solve,
)

UP, DOWN, LEFT, RIGHT = range(4)


def play(xsb: str, moves: list[int]) -> tuple[SokobanGame, list[float]]:
    game = SokobanGame(xsb)
    rewards = [game.step(m)[0] for m in moves]
    return game, rewards


def test_action_names_and_order():
    assert ACTION_NAMES == ("up", "down", "left", "right")
    assert gym.make("lmmr1/Sokoban-v0").action_space == gym.spaces.Discrete(4)


# ----------------------------------------------------------------------------------- XSB round trip
def test_xsb_round_trip_keeps_every_cell_and_size():
    xsb = "#######\n#.@ # #\n#$* $ #\n#   $ #\n# ..  #\n#  *  #\n#######"
    level = parse_xsb(xsb)
    assert level.shape == (7, 7)
    assert len(level.boxes) == len(level.goals) == 5
    assert level.to_xsb() == xsb


def test_xsb_player_on_goal_and_ragged_rows():
    level = parse_xsb("#####\n#+$ #\n####")
    assert level.shape == (3, 5)
    assert level.player in level.goals
    assert level.to_xsb() == "#####\n#+$ #\n#### "  # padded to the room's width


@pytest.mark.parametrize(
    "bad,message",
    [
        ("#####\n#@$ #\n#####", "goals"),
        ("#####\n# $.#\n#####", "player"),
        ("#####\n#@$.x\n#####", "unknown character"),
        ("#####\n#@ .#\n#####", "no boxes"),
    ],
)
def test_xsb_errors_say_what_is_wrong(bad, message):
    with pytest.raises(LevelError, match=message):
        parse_xsb(bad)


# ----------------------------------------------------------------------------------- classic rules
def test_walk_and_push_one_box():
    game, rewards = play("#######\n#@ $ .#\n#######", [RIGHT, RIGHT])
    assert game.to_xsb() == "#######\n#  @$.#\n#######"
    assert rewards == pytest.approx([-0.1, -0.1])


def test_wall_blocks_and_still_costs_a_step():
    game, rewards = play("#####\n#@$.#\n#####", [UP, LEFT])
    assert game.to_xsb() == "#####\n#@$.#\n#####"
    assert game.steps == 2 and rewards == pytest.approx([-0.1, -0.1])


def test_cannot_push_two_boxes_or_into_a_wall():
    game, _ = play("#######\n#@$$..#\n#######", [RIGHT])
    assert game.to_xsb() == "#######\n#@$$..#\n#######"
    game, _ = play("#####\n# .##\n#@$ #\n#####", [RIGHT, RIGHT])
    assert game.to_xsb() == "#####\n# .##\n# @$#\n#####"  # the box stops at the wall
    game, _ = play("#####\n#.  #\n#@$ #\n#####", [RIGHT, RIGHT])
    assert "$#" in game.to_xsb()


def test_cannot_pull():
    game, _ = play("######\n#.$@ #\n######", [RIGHT])
    assert game.to_xsb() == "######\n#.$ @#\n######"


def test_rewards_on_off_and_finish_like_gym_sokoban():
    # box onto goal: -0.1 + 1 ; off again: -0.1 - 1
    game, rewards = play("########\n#@$. . #\n#   $  #\n########", [RIGHT, RIGHT])
    assert rewards == pytest.approx([0.9, -1.1])
    # last box onto its goal: -0.1 + 1 + 10, and the game is solved
    game, rewards = play("######\n#@$.*#\n######", [RIGHT])
    assert rewards == pytest.approx([10.9]) and game.solved


def test_player_may_walk_over_goals():
    game, _ = play("######\n#@.  #\n#$$ .#\n######", [RIGHT])
    assert game.to_xsb() == "######\n# +  #\n#$$ .#\n######"
    game, _ = play("######\n# +  #\n#$$ .#\n######", [LEFT])
    assert game.to_xsb() == "######\n#@.  #\n#$$ .#\n######"


def test_open_room_edge_acts_as_a_wall():
    game, _ = play("@$.", [LEFT, RIGHT])
    assert game.to_xsb() == " @*" and game.solved


# ----------------------------------------------------------------------------------- env API
def test_env_loads_xsb_and_reports_xsb_in_info():
    xsb = "######\n#@$ .#\n######"
    env = gym.make("lmmr1/Sokoban-v0", level=xsb, obs_mode="both")
    obs, info = env.reset(seed=0)
    assert info["xsb"] == xsb == obs["text"]
    assert obs["image"].shape == (3 * 16, 6 * 16, 3)
    obs, reward, terminated, truncated, info = env.step(RIGHT)
    assert info["xsb"] == "######\n# @$.#\n######" and reward == pytest.approx(-0.1)
    obs, reward, terminated, truncated, info = env.step(RIGHT)
    assert terminated and not truncated and reward == pytest.approx(10.9)


def test_reset_options_level_and_size_mismatch():
    env = gym.make("lmmr1/Sokoban-v0")
    obs, info = env.reset(options={"level": "#######\n#@$ . #\n#     #\n#     #\n#     #\n#     #\n#######"})
    assert info["xsb"].startswith("#######\n#@$ . #")
    with pytest.raises(LevelError, match="dim_room"):
        env.reset(options={"level": "#####\n#@$.#\n#####"})
    # text observations have no fixed size
    text_env = gym.make("lmmr1/Sokoban-v0", obs_mode="text")
    obs, _ = text_env.reset(options={"level": "#####\n#@$.#\n#####"})
    assert obs == "#####\n#@$.#\n#####"


def test_truncation_at_max_steps():
    env = gym.make("lmmr1/Sokoban-v0", max_steps=3, level="#######\n#@$ . #\n#######")
    env.reset()
    flags = [env.step(UP)[2:4] for _ in range(3)]
    assert flags == [(False, False), (False, False), (False, True)]


def test_frame_updates_match_a_fresh_render():
    env = gym.make("lmmr1/Sokoban-v0", obs_mode="both").unwrapped
    env.reset(seed=11)
    rng = np.random.default_rng(0)
    for action in rng.integers(0, 4, 60):
        obs, *_ = env.step(int(action))
        fresh = gym.make("lmmr1/Sokoban-v0", obs_mode="rgb", level=obs["text"]).unwrapped
        assert np.array_equal(obs["image"], fresh.reset()[0])


def test_npy_levels_in_gym_sokoban_codes(tmp_path):
    # gym-sokoban room_state: 0 wall, 1 floor, 2 goal, 3 box on goal, 4 box, 5 player
    room = np.array([[0, 0, 0, 0, 0, 0], [0, 5, 4, 1, 2, 0], [0, 1, 3, 1, 1, 0], [0, 0, 0, 0, 0, 0]])
    path = tmp_path / "level.npy"
    np.save(path, room)
    assert load_npy_level(str(path)) == "######\n#@$ .#\n# *  #\n######"
    assert np.array_equal(level_to_npy_array(level_from_npy_array(room)), room)
    # LMM-R1 saved only room_state, where a player on a goal is a plain 5: the missing goal is under the player
    hidden = np.array([[0, 0, 0, 0, 0], [0, 5, 4, 1, 0], [0, 0, 0, 0, 0]])
    assert level_from_npy_array(hidden).to_xsb() == "#####\n#+$ #\n#####"
    with_fixed = level_from_npy_array(hidden, room_fixed=np.array([[0] * 5, [0, 2, 1, 1, 0], [0] * 5]))
    assert with_fixed.to_xsb() == "#####\n#+$ #\n#####"
    env = gym.make("lmmr1/Sokoban-v0", obs_mode="text")
    obs, _ = env.reset(options={"level": room})
    assert obs == "######\n#@$ .#\n# *  #\n######"


# ----------------------------------------------------------------------------------- generator
@pytest.mark.parametrize("generator", ["dfs", "walk"])
def test_generated_levels_are_solvable_and_unsolved(generator):
    for seed in range(100):
        for dim, boxes in (((7, 7), 2), ((7, 7), 3)):
            xsb = generate_level(np.random.default_rng(seed), dim, boxes, generator=generator)
            level = parse_xsb(xsb)
            assert level.shape == dim and len(level.boxes) == boxes
            assert not (level.boxes & level.goals), "a generated level starts with every box off its goal"
            if generator == "dfs":  # as gym-sokoban: the player does not start on a goal either
                assert level.player not in level.goals
            moves = solve(level)
            assert moves, f"seed {seed}: unsolvable level\n{xsb}"
            game = SokobanGame(level)
            for m in moves:
                game.step(m)
            assert game.solved


def test_generated_levels_are_mostly_distinct_and_reproducible():
    levels = [gym.make("lmmr1/Sokoban-v0").reset(seed=s)[1]["xsb"] for s in range(200)]
    assert len(set(levels)) >= 0.95 * len(levels)
    again = [gym.make("lmmr1/Sokoban-v0").reset(seed=s)[1]["xsb"] for s in range(0, 200, 20)]
    assert again == levels[::20]
    env = gym.make("lmmr1/Sokoban-v0")
    a = env.reset(seed=3)[0]
    env.reset(seed=4)
    assert np.array_equal(env.reset(seed=3)[0], a)


def test_generator_uses_only_the_given_rng():
    import random

    random.seed(1)
    np.random.seed(1)
    first = generate_level(np.random.default_rng(42))
    random.seed(2)
    np.random.seed(2)
    assert generate_level(np.random.default_rng(42)) == first


def test_the_default_generator_makes_harder_levels_than_the_walk_and_the_choice_is_checked():
    """gym-sokoban's method (``dfs``, the default) against lmmr1's earlier random walks, same seeds: the
    distribution measured against gym-sokoban itself is in benchmarks/results/envs.md."""

    def mean_moves(generator: str) -> float:
        return float(
            np.mean(
                [
                    len(solve(generate_level(np.random.default_rng(s), (7, 7), 2, generator=generator)))
                    for s in range(40)
                ]
            )
        )

    assert mean_moves("dfs") > 1.1 * mean_moves("walk")
    with pytest.raises(ValueError, match="generator must be one of"):
        generate_level(np.random.default_rng(0), generator="bfs")
    with pytest.raises(ValueError, match="generator must be one of"):
        gym.make("lmmr1/Sokoban-v0", generator="bfs")
    # the env passes its generator on: same seed, other method, other level
    walk, dfs = (gym.make("lmmr1/Sokoban-v0", generator=g).reset(seed=1)[1]["xsb"] for g in ("walk", "dfs"))
    assert walk != dfs and dfs == gym.make("lmmr1/Sokoban-v0").reset(seed=1)[1]["xsb"]


@pytest.mark.slow
def test_larger_rooms_are_solvable():
    for seed in range(20):
        xsb = generate_level(np.random.default_rng(seed), (10, 10), 3)
        assert solve(xsb, max_states=3_000_000), xsb


def test_solver_finds_shortest_and_reports_impossible():
    assert solve("#######\n#@ $ .#\n#######") == [RIGHT, RIGHT, RIGHT]
    assert solve("#####\n#.  #\n#$  #\n#@  #\n#####") == [UP]
    assert solve("#####\n#$ .#\n# @ #\n#####") is None  # box stuck in a corner
