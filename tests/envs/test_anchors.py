"""Anchor keys (lmmr1.envs.anchors): what GiGPO groups turns by, per environment."""

from __future__ import annotations

import gymnasium as gym

import lmmr1.envs  # noqa: F401  (registers the envs)
from lmmr1.envs.anchors import AnchorKeyed, anchor_key
from lmmr1.envs.football import FootballEnv
from lmmr1.envs.football.env import ANCHOR_CELL
from lmmr1.envs.sokoban import ACTION_NAMES, SokobanEnv

LEVEL = "#######\n#@ $ .#\n#######"


def test_sokoban_anchor_is_the_board_and_repeats_when_the_state_does():
    env = SokobanEnv(level=LEVEL, obs_mode="text")
    env.reset()
    start = anchor_key(env)
    env.step(ACTION_NAMES.index("right"))
    moved = anchor_key(env)
    env.step(ACTION_NAMES.index("left"))
    assert moved != start and anchor_key(env) == start  # back where it began: the same key
    assert "@" in start and "$" in start  # the player and the box are part of it


def test_football_anchor_is_a_grid_cell_key_equal_for_the_same_state_and_through_wrappers():
    a, b = FootballEnv(), gym.make("lmmr1/Football-v0")
    a.reset(seed=3)
    b.reset(seed=3)
    assert isinstance(a, AnchorKeyed) and anchor_key(a) == anchor_key(b)  # gym.make's wrappers are unwrapped
    key = anchor_key(a)
    assert key.startswith("ball ") and " owner " in key and " mode " in key and " active " in key
    # the ball a whole cell further changes the key (the key reads the env's last observation)
    a._last_obs["ball"][0] += ANCHOR_CELL
    assert anchor_key(a) != key


def test_an_env_without_anchor_key_has_none():
    env = gym.make("CartPole-v1")
    env.reset(seed=0)
    assert anchor_key(env) is None
