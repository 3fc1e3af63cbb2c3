"""``engine="gfootball"``: Google Research Football behind ``lmmr1/Football-v0``, checked against GRF itself.

These run where gfootball is installed (``scripts/install_gfootball.sh``; CI has no GRF build and skips
them, and tests/envs/test_football_magebench.py checks the install instruction there). The reference is GRF's
own environment class (``gfootball.env.football_env.FootballEnv``) and GRF executing a scenario file, which
lmmr1 did not write: lmmr1's adapter must report the same observation step by step.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("gfootball_engine")

from lmmr1.envs.football import ACTION_NAMES, FootballEnv, scripted_attacker  # noqa: E402
from lmmr1.envs.football.gfootball_engine import GRFEngine, _import_grf, observation_from_grf  # noqa: E402

SCENARIO_FILE = Path(__file__).parent / "data" / "magebench_counter.py"


def _grf_reference(level: str, seed: int):
    """GRF's own single-agent environment (old gym API: reset() -> [obs], step([a]) -> 4 values)."""
    _import_grf()
    from gfootball.env import config, football_env

    return football_env.FootballEnv(
        config.Config(
            {
                "level": level,
                "action_set": "v2",
                "players": ["agent:left_players=1"],
                "game_engine_random_seed": seed,
                "reverse_team_processing": bool(seed % 2),
            }
        )
    )


def _differences(ours: dict, theirs: dict) -> list[str]:
    out = []
    for key in sorted(set(ours) - {"frame"}):  # every key lmmr1 reports is one of GRF's raw observation
        a, b = np.asarray(ours[key], float), np.asarray(theirs[key], float)
        if a.shape != b.shape or not np.allclose(a, b, atol=1e-6):
            out.append(f"{key}: ours {a.round(4).tolist()} GRF {b.round(4).tolist()}")
    return out


def _play_side_by_side(ours: GRFEngine, theirs, seed: int, steps: int) -> int:
    obs = observation_from_grf(ours.reset(seed))
    ref = theirs.reset()[0]
    assert _differences(obs, ref) == []
    for step in range(steps):
        action = scripted_attacker(obs)
        raw, done = ours.step(action)
        obs = observation_from_grf(raw)
        ref, _, ref_done, _ = theirs.step([action])
        assert _differences(obs, ref[0]) == [], f"step {step + 1} ({ACTION_NAMES[action]})"
        assert done == ref_done
        if done:
            return step + 1
    return steps


@pytest.mark.parametrize("level", ["academy_3_vs_1_with_keeper", "academy_run_to_score_with_keeper"])
def test_observations_equal_grfs_own_environment_step_by_step(level):
    ours = GRFEngine(level)
    for seed in (0, 7):
        played = _play_side_by_side(ours, _grf_reference(level, seed), seed, 120)
        assert played >= 10
    ours.close()


def test_a_magebench_file_read_as_data_plays_as_grf_running_the_file():
    """lmmr1 parses the file (never runs it) and rebuilds it for GRF, mirroring the right team back; GRF
    executing the same file must give the same game."""
    _import_grf()
    spec = importlib.util.spec_from_file_location("gfootball.scenarios.lmmr1_test_counter", SCENARIO_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # our own test file: trusted, executed here only as GRF would
    sys.modules[spec.name] = module
    ours = GRFEngine(str(SCENARIO_FILE))
    assert ours.scenario_name == "magebench_counter" and (ours.n_left, ours.n_right) == (4, 3)
    played = _play_side_by_side(ours, _grf_reference("lmmr1_test_counter", 3), 3, 150)
    assert played >= 10
    ours.close()


def test_football_v0_on_grf_has_the_interface_of_lmmr1s_engine():
    grf = FootballEnv(engine="gfootball", scenario="academy_3_vs_1_with_keeper", render_mode="rgb_array")
    light = FootballEnv(scenario="academy_3_vs_1_with_keeper", reward="magebench", render_mode="rgb_array")
    obs, info = grf.reset(seed=0)
    light_obs, _ = light.reset(seed=0)
    assert grf.reward_name == "magebench" and info["engine"] == "gfootball"  # GRF's default reward
    assert set(obs) == set(light_obs) and grf.action_space == light.action_space
    assert grf.observation_space.contains(obs)
    assert obs["frame"].shape == light_obs["frame"].shape and grf.render().shape == obs["frame"].shape
    for key in obs:
        assert np.asarray(obs[key]).dtype == np.asarray(light_obs[key]).dtype, key
    # "right" moves the controlled player towards the goal at x = +1 on both engines
    for env, start in ((grf, obs), (light, light_obs)):
        x0 = float(start["left_team"][start["active"]][0])
        for _ in range(5):
            after, *_ = env.step(ACTION_NAMES.index("right"))
        assert float(after["left_team"][after["active"]][0]) > x0 + 0.01
    grf.close()


def test_a_seed_replays_the_game_and_max_steps_truncates():
    env = FootballEnv(engine="gfootball", scenario="5_vs_5", max_steps=30)

    def play(seed):
        obs, _ = env.reset(seed=seed)
        balls = []
        for _ in range(30):
            obs, _, terminated, truncated, info = env.step(ACTION_NAMES.index("idle"))
            balls.append(obs["ball"].round(5).tolist())
            if terminated or truncated:
                break
        return balls, terminated, truncated, info

    first, second, other = play(4), play(4), play(5)
    assert first == second and first[0] != other[0] or first != other
    balls, terminated, truncated, info = first
    assert len(balls) == 30 and truncated and not terminated and info["steps"] == 30
    env.close()


def _shot_value(obs) -> float:
    """MageBench's shot term before scaling, written out: clearness (the best of five aim points on the goal
    mouth of the smallest distance from 100 points on the ball-to-aim line to an opponent) x distance factor
    (1 within 0.3 of the goal line, else 1 - distance), capped at 2/3."""
    ball = np.asarray(obs["ball"][:2], float)
    opponents = np.asarray(obs["right_team"], float)
    best = 0.0
    for aim_y in (-0.044, -0.02, 0.0, 0.022, 0.044):
        points = [ball + k / 100 * (np.array([1.0, aim_y]) - ball) for k in range(1, 101)]
        best = max(best, min(min(np.hypot(*(p - o)) for o in opponents) for p in points))
    distance = 1.0 - float(ball[0])
    factor = 1.0 if distance < 0.3 else max(1.0 - distance, 0.0)
    return min(100 * best * factor, 2 / 3)


def test_magebench_reward_of_a_scripted_grf_episode_by_hand():
    """The scripted attacker runs and shoots at the keeper's goal; every step's MageBench reward is recomputed
    here from GRF's observations by the formula (x20): progress = 0.8 x the ball's best-x gain while the left
    team owns it; the first shot by the owner = the shot value; a goal = 2 on a step whose score shows one;
    a steal = 1 - steps_left / 400 (ends the task). The first step only records the starting values."""
    env = FootballEnv(engine="gfootball", scenario="academy_empty_goal_close")
    obs, _ = env.reset(seed=1)
    best_x, first, shot_taken, last_owner = 0.0, True, False, -1
    total = expected = 0.0
    terms_seen = set()
    while True:
        action = scripted_attacker(obs)
        obs, reward, terminated, truncated, info = env.step(action)
        total += reward
        hand = 0.0
        owner_team, owner = int(obs["ball_owned_team"]), int(obs["ball_owned_player"])
        if first:
            best_x, first = float(obs["ball"][0]), False
        else:
            if owner_team == 0 and owner != -1 and obs["ball"][0] > best_x:
                hand += 0.8 * (float(obs["ball"][0]) - best_x)
                best_x = float(obs["ball"][0])
            if obs["score"][0] > 0:
                hand += 2.0
            if owner_team == 1 and not shot_taken:
                hand += 1.0 - float(obs["steps_left"]) / 400
            if owner != -1:
                last_owner = owner
            if action == ACTION_NAMES.index("shot") and owner_team == 0 and owner != -1 and not shot_taken:
                hand += _shot_value(obs)
                shot_taken = True
            if last_owner != owner and shot_taken:  # MageBench: the ball left the shooter, a new shot may count
                shot_taken = False
        terms_seen |= {k for k, v in info["reward_terms"].items() if v}
        expected += 20 * hand
        assert reward == pytest.approx(20 * hand, abs=1e-6), info["reward_terms"]
        if terminated or truncated:
            break
    assert terminated and tuple(obs["score"]) == (1, 0)
    assert {"progress", "shot", "goal"} <= terms_seen and total == pytest.approx(expected) and total > 40
    env.close()


def test_lmmr1s_reward_is_refused_on_grf():
    with pytest.raises(ValueError, match="with engine='gfootball' use reward='magebench'"):
        FootballEnv(engine="gfootball", reward="lmmr1")


def test_grfs_own_frame_is_rgb_and_one_rendering_game_per_process():
    """frame="grf": GRF's 3D render (what MageBench showed its models), RGB, at frame_size. 1280x720, the size
    lmmr1 eval uses: GRF's renderer keeps its first size for the whole process (the tests share one)."""
    with pytest.raises(ValueError, match="frame='grf' is Google Research Football's own render"):
        FootballEnv(frame="grf")
    env = FootballEnv(engine="gfootball", frame="grf", frame_size=(1280, 720), scenario="academy_3_vs_1_with_keeper")
    obs, _ = env.reset(seed=0)
    obs, *_ = env.step(ACTION_NAMES.index("right"))
    frame = obs["frame"]
    assert frame.shape == (720, 1280, 3) and env.observation_space.contains(obs)
    red, green, blue = (float(frame[..., c].mean()) for c in range(3))
    assert green > red and green > blue  # a grass pitch: the channels are in RGB order
    with pytest.raises(RuntimeError, match="one per process, or use frame='2d'"):
        FootballEnv(engine="gfootball", frame="grf", frame_size=(1280, 720))
    env.close()
    with pytest.raises(RuntimeError, match=r"renderer in this process was made at 1280x720 and cannot change size"):
        FootballEnv(engine="gfootball", frame="grf", frame_size=(160, 90))
    again = FootballEnv(engine="gfootball", frame="grf", frame_size=(1280, 720))  # the renderer is free again
    assert again.reset(seed=1)[0]["frame"].shape == (720, 1280, 3)
    again.close()


@pytest.mark.parametrize("kick", ["shot", "short_pass", "long_pass", "high_pass"])
def test_a_kick_leaves_the_foot_when_it_mostly_does_on_grf(kick):
    """GRF plays a kick after its animation, whose length depends on the run-up; lmmr1's engine holds the ball
    for GRF's most common length (KICK_WINDUP), which is also what lets MageBench's shot term be earned."""
    from collections import Counter

    def leaves_after(engine: str, run_up: int) -> int | None:
        env = FootballEnv(engine=engine, scenario="academy_empty_goal_close", reward="magebench")  # nobody near
        obs, _ = env.reset(seed=0)
        for _ in range(run_up):
            obs, *_ = env.step(ACTION_NAMES.index("right"))
        if obs["ball_owned_team"] != 0:
            return None
        obs, *_ = env.step(ACTION_NAMES.index(kick))
        steps = 1
        while obs["ball_owned_team"] == 0 and obs["ball_owned_player"] != -1 and steps < 20:
            obs, *_ = env.step(ACTION_NAMES.index("idle"))
            steps += 1
        env.close()
        return steps

    on_grf = Counter(n for k in range(1, 7) if (n := leaves_after("gfootball", k)) is not None)
    ours = {leaves_after("lmmr1", k) for k in range(1, 7)}
    assert ours == {on_grf.most_common(1)[0][0]}, (ours, on_grf)
