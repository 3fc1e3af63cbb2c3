"""MageBench's Football-Online on lmmr1's engine: scenario files read as data, its reward by hand, auto-acting."""

from __future__ import annotations

import math
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import lmmr1.envs  # noqa: F401
from lmmr1.envs.football import (
    ACTION_NAMES,
    FootballEnv,
    MageBenchReward,
    ScenarioError,
    load_scenario_file,
)
from lmmr1.envs.football.magebench import keep_moving, pass_clearness, shot_clearness, shot_distance

SCENARIO = Path(__file__).parent / "data" / "magebench_counter.py"
RIGHT = ACTION_NAMES.index("right")


def test_a_magebench_scenario_file_is_read_as_data_never_run(tmp_path):
    sc = load_scenario_file(SCENARIO)  # imports gfootball_engine at its top: never executed
    assert sc.ball == (0.02, -0.05) and sc.max_steps == 400
    assert len(sc.left) == 4 and len(sc.right) == 3 and sc.left[0][2] == 0 and sc.right[1][2] == 1  # GK, CB
    assert sc.end_on_possession_change and sc.end_on_out_of_play and sc.end_on_score
    assert "offsides=False" in sc.not_modelled
    # GRF gives the right team in its own frame: mirrored to the observation frame (keeper at x = +0.99)
    assert sc.right[0][:2] == (0.99, 0.0) and sc.right[1][:2] == (0.55, 0.1) and sc.right[2][:2] == (0.55, -0.15)
    assert dict(sc.grf_settings) == {"deterministic": False, "offsides": False, "right_team_difficulty": 0.0}
    assert sc.flags("left") == ((False, True),) * 4
    bad = tmp_path / "bad.py"
    bad.write_text("def build_scenario(builder):\n    import os\n    os.system('echo hi')\n")
    with pytest.raises(ScenarioError, match="bad.py:2: only builder calls"):
        load_scenario_file(bad)
    bad.write_text("def build_scenario(builder):\n    builder.SetBallPosition(0, 0)\n    builder.AddPlayer(0, 0, GK)\n")
    with pytest.raises(ScenarioError, match="bad.py:3: AddPlayer before SetTeam"):
        load_scenario_file(bad)


def test_addplayer_extras_are_read_by_position_and_keyword(tmp_path):
    f = tmp_path / "extras.py"
    f.write_text(
        "def build_scenario(builder):\n"
        "    builder.SetBallPosition(0.0, 0.0)\n"
        "    builder.SetTeam(Team.e_Left)\n"
        "    builder.AddPlayer(-1.0, 0.0, e_PlayerRole_GK, controllable=False)\n"
        "    builder.AddPlayer(0.0, 0.1, e_PlayerRole_CF)\n"
        "    builder.SetTeam(Team.e_Right)\n"
        "    builder.AddPlayer(-1.0, 0.0, e_PlayerRole_GK, True)\n"
    )
    sc = load_scenario_file(f)
    assert sc.flags("left") == ((False, False), (False, True)) and sc.flags("right") == ((True, True),)
    assert "AddPlayer(lazy=True, controllable=True) at line 7" in sc.not_modelled
    f.write_text(f.read_text().replace("controllable=False", "controllable=0"))
    with pytest.raises(ScenarioError, match="extras.py:4: AddPlayer's controllable must be True or False"):
        load_scenario_file(f)
    f.write_text(f.read_text().replace("controllable=0", "speed=2"))
    with pytest.raises(ScenarioError, match="unknown AddPlayer argument 'speed'"):
        load_scenario_file(f)


def test_the_file_loads_into_football_v0():
    env = gym.make("lmmr1/Football-v0", scenario=str(SCENARIO), reward="magebench")
    obs, info = env.reset(seed=0)
    assert info["scenario"] == "magebench_counter" and obs["left_team"].shape == (4, 2)
    assert obs["ball_owned_team"] == 0 and obs["frame"].ndim == 3


def _state(ball, right, owner=1, team=0, score=(0, 0), steps_left=390, left=None):
    return {
        "ball": np.array([*ball, 0.0]),
        "ball_owned_team": team,
        "ball_owned_player": owner,
        "right_team": np.array(right, float),
        "left_team": np.array(left if left is not None else [[-0.99, 0.0], [ball[0], ball[1]]], float),
        "score": np.array(score),
        "steps_left": np.array(steps_left),
    }


def test_magebench_reward_by_hand_on_constructed_states():
    """Each term against a hand computation of MageBench's formula (numbers worked out in the comments)."""
    right = [[0.99, 0.0], [0.5, 0.1], [0.3, -0.1]]
    r = MageBenchReward()
    assert r.step(_state((0.0, 0.0), right), RIGHT)[0] == 0.0  # first step: starting values only
    # carrier runs from x=0 to x=0.1: progress 0.8 x 0.1 = 0.08, no opponent passed -> x20 = 1.6
    reward, terms, done = r.step(_state((0.1, 0.0), right), RIGHT)
    assert reward == pytest.approx(1.6) and terms["progress"] == pytest.approx(1.6) and not done
    # to x=0.4: progress 0.8 x 0.3 = 0.24; passes the opponent at x=0.3: 1/11; total x20 = 4.8 + 1.818...
    reward, terms, _ = r.step(_state((0.4, 0.0), right), RIGHT)
    assert terms["opponents_passed"] == pytest.approx(20 / 11)
    assert reward == pytest.approx(20 * (0.24 + 1 / 11))
    # going back earns nothing (the best x stays 0.4)
    assert r.step(_state((0.35, 0.0), right), RIGHT)[0] == 0.0


def test_pass_and_shot_terms_by_hand():
    right = [[0.99, 0.0], [0.6, 0.0]]
    r = MageBenchReward()
    r.step(_state((0.2, 0.0), right, owner=1), 11)  # first step
    r.step(_state((0.2, 0.0), right, owner=1), 11)  # short pass played by player 1
    # player 2 receives at (0.3, 0.1): pass clearness = min over opponents of d / (10 max(cos, 0) + 1)
    ball = np.array([0.3, 0.1])
    to_goal = np.array([1.0, 0.0]) - ball
    expected = []
    for opp in right:
        v = np.array(opp) - ball
        d = float(np.linalg.norm(v))
        expected.append(d / (10 * max(float(v @ to_goal) / d / float(np.linalg.norm(to_goal)), 0) + 1))
    state = _state((0.3, 0.1), right, owner=2, left=[[-0.99, 0], [0.2, 0], [0.3, 0.1]])
    assert pass_clearness(state) == pytest.approx(min(expected))
    _, terms, _ = r.step(state, RIGHT)
    assert terms["pass"] == pytest.approx(20 * 20 * min(expected))  # l5 = 20, first pass scale 1, x20
    # a shot from x=0.8 (distance 0.2 < 0.3: factor 1) with the keeper on the line: capped at 2/3 x 20
    state = _state((0.8, 0.0), right, owner=2, left=[[-0.99, 0], [0.2, 0], [0.8, 0.0]])
    assert shot_distance(state) == 1.0
    _, terms, _ = r.step(state, 12)
    assert terms["shot"] == pytest.approx(20 * min(100 * shot_clearness(state), 2 / 3))


def test_a_steal_ends_the_task_with_magebench_sign():
    r = MageBenchReward()
    right = [[0.99, 0.0], [0.5, 0.0]]
    r.step(_state((0.1, 0.0), right), RIGHT)
    # the right team takes the ball with 300 of 400 steps left: MageBench adds 1 - 300/400 = 0.25 (x20 = 5)
    reward, terms, done = r.step(_state((0.2, 0.0), right, owner=1, team=1, steps_left=300), RIGHT)
    assert done and terms["steal"] == pytest.approx(5.0) and reward == pytest.approx(5.0)


def test_a_scripted_episode_matches_the_formula_step_by_step():
    """The environment's reward with reward='magebench' equals MageBenchReward replayed on its observations."""
    env = FootballEnv(scenario=str(SCENARIO), reward="magebench")
    obs, _ = env.reset(seed=3)
    replay = MageBenchReward()
    total = 0.0
    for t in range(60):
        action = RIGHT if t < 40 else ACTION_NAMES.index("shot")
        obs, reward, terminated, truncated, info = env.step(action)
        expected, _, _ = replay.step(obs, action)
        assert reward == pytest.approx(expected), t
        total += reward
        if terminated or truncated:
            break
    assert total > 0  # running at goal earns progress


def test_auto_acting_holds_a_repeated_move():
    env = FootballEnv(scenario=str(SCENARIO), reward="magebench", auto_acting=True)
    obs, _ = env.reset(seed=0)
    _, _, _, _, info = env.step(RIGHT)
    assert info["substeps"] == 1  # a new direction: one step
    _, _, _, _, info = env.step(RIGHT)
    assert 1 <= info["substeps"] <= 10  # the same direction again: held while the way is clear
    # MageBench's test of a clear way, on hand-built states: carrier at x=0 running right at 0.01 per step
    clear = _state((0.0, 0.0), [[0.99, 0.0]], left=[[-0.99, 0.0], [0.0, 0.0]])
    clear.update(left_team_direction=np.array([[0.0, 0.0], [0.01, 0.0]]), right_team_direction=np.zeros((1, 2)))
    assert keep_moving(clear)
    blocked = dict(clear, right_team=np.array([[0.03, 0.0]]))  # an opponent 3 steps ahead on the path
    assert not keep_moving(blocked)
    near_line = dict(clear, left_team=np.array([[-0.99, 0.0], [0.98, 0.0]]))  # would leave the pitch
    assert not keep_moving(near_line)


def test_unknown_engine_reward_and_missing_gfootball_are_clear_errors(monkeypatch):
    with pytest.raises(ValueError, match="reward must be one of"):
        FootballEnv(reward="scoring")
    with pytest.raises(ValueError, match="engine must be one of"):
        FootballEnv(engine="unity")
    import lmmr1.envs.football.gfootball_engine as grf

    with monkeypatch.context() as m:  # as on a machine without GRF (CI), whether or not this one has it
        m.setattr(grf, "gfootball_available", lambda: False)
        with pytest.raises(ModuleNotFoundError, match="run scripts/install_gfootball.sh"):
            FootballEnv(engine="gfootball")
    with monkeypatch.context() as m:  # a GRF the adapter was not written for is refused, naming both versions
        m.setattr(grf, "gfootball_available", lambda: True)
        m.setattr(grf.importlib.metadata, "version", lambda name: "2.9.0")
        with pytest.raises(RuntimeError, match=r"gfootball 2\.9\.0 is installed.*checked against 2\.10\.2"):
            FootballEnv(engine="gfootball")
    assert math.isfinite(FootballEnv(scenario=str(SCENARIO)).reset(seed=0)[0]["ball"][0])
