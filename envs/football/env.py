"""``lmmr1/Football-v0``: the gymnasium environment around a football engine (spaces, reward, frame).

The game itself is an engine (``engine.FootballEngine``): lmmr1's 2D game (``game``) or Google Research
Football (``gfootball_engine``, when installed: ``scripts/install_gfootball.sh``). Scenarios are in
``scenarios``, the frame in ``render``, MageBench's reward and auto-acting rule in ``magebench``.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .actions import ACTION_INDEX, ACTION_NAMES
from .engine import ENGINES, FootballEngine
from .game import LMMR1Engine
from .magebench import AutoActing, MageBenchReward
from .render import _Renderer
from .scenarios import Scenario

REWARDS = ("lmmr1", "magebench")
FRAMES = ("2d", "grf")  # lmmr1's 2D picture (both engines) or GRF's own 3D render (engine="gfootball")
ANCHOR_CELL = 0.25  # side of a cell of the grid FootballEnv.anchor_key puts the ball and the active player on


class FootballEnv(gym.Env):
    """Football (soccer) in 2D, controlled like Google Research Football.

    ## Description
    Two teams, a ball, kick-off, throw-ins, goal kicks, corners and goals on a pitch with GRF's coordinates
    (x in [-1, 1], y in [-0.42, 0.42]; goals at x = +-1 with |y| < 0.044). The agent controls one player of
    the left team at a time (``active``: the left player nearest the ball, or the ball carrier); the others
    and the right team play simple scripted football (press the ball, hold a shape, pass and shoot).
    Scenarios: ``academy_empty_goal_close``, ``academy_run_to_score_with_keeper`` and
    ``academy_3_vs_1_with_keeper`` (GRF's names, positions and roles), ``5_vs_5`` and ``11_vs_11`` (lmmr1's).

    ## Action Space
    ``Discrete(20)``: GRF's 19 default actions in GRF's order - idle, left, top_left, top, top_right, right,
    bottom_right, bottom, bottom_left, long_pass, high_pass, short_pass, shot, sprint, release_direction,
    release_sprint, sliding, dribble, release_dribble - then builtin_ai (index 19), as ``ACTION_NAMES``.
    Directions, sprint and dribble are sticky until released, as in GRF; builtin_ai lets the scripted
    player logic act for one step.

    ## Observation Space
    A ``Dict`` with GRF's raw field names: ``ball``, ``ball_direction``, ``ball_rotation``, ``ball_owned_team``
    (-1 none, 0 left, 1 right), ``ball_owned_player``, ``left_team``, ``left_team_direction``,
    ``left_team_tired_factor``, ``left_team_yellow_card``, ``left_team_active``, ``left_team_roles`` (and the
    same six ``right_team*`` fields), ``active``, ``designated``, ``sticky_actions`` (10 flags, GRF's order),
    ``score``, ``steps_left``, ``game_mode`` (GRF's numbering) - plus ``frame``, the rendered RGB image
    (``frame_size`` = (width, height), 336x168 by default).

    ## Rewards
    ``reward="magebench"``: MageBench's Football-Online reward, exactly its formula (``magebench``; x20
    scale, a steal ends the task). ``reward="lmmr1"`` (default on lmmr1's engine): a shaped reward in the spirit of MageBench's,
    on a smaller scale, summed per step (``info["reward_terms"]`` has each term):

    * ``progress``: 0.8 x the gain of the ball's best x so far while the left team has it;
    * ``opponents_passed``: 1.0 x the change in the number of opponents behind the ball (x below the ball's),
      divided by the team size, while the left team has it;
    * ``goal``: +2 for a goal scored, -2 for a goal conceded;
    * ``possession_lost``: -1.0 x (steps left / max steps) when the right team takes the ball (losing it
      early costs more);
    * ``pass``: +0.2 for a completed pass to a teammate, decaying by x0.75 per completed pass;
    * ``shot``: when shooting, 0.5 x clearance x distance factor (clearance: distance from the shot line to the
      nearest opponent, scaled to [0, 1] at 0.1; distance factor 1 inside 0.3 of the goal line, falling to
      0 at the half-way line), at most 2/3.

    ``auto_acting=True``: MageBench's auto-acting rule (a repeated move is held while the way is clear, up
    to 10 steps; a pass or shot plays on until a teammate receives the ball): one ``step`` may run several
    game steps (``info["substeps"]``), their rewards summed.

    ## Starting State
    ``scenario``: a built-in name (``SCENARIOS``), a GRF / MageBench scenario file (``.py``, read as data),
    or a ``Scenario``. The scenario's positions; the ball at its spot; small position noise from ``self.np_random``.

    ## Engines
    ``engine="lmmr1"`` (default): the game above, numpy only. ``engine="gfootball"``: Google Research Football
    itself (``gfootball_engine``; install with ``scripts/install_gfootball.sh``), same observation keys and
    dtypes, same action indices (GRF's action set v2), the same 2D frame drawn from GRF's positions, and
    MageBench's reward (``reward="magebench"``, its default there; lmmr1's reward needs this game's events
    and is refused). Scenario names GRF ships run GRF's own files; other scenarios are handed to GRF from
    their data. Without GRF installed, ``engine="gfootball"`` fails with the install instruction.
    ``frame="grf"`` shows GRF's own 3D render instead of the 2D picture (what MageBench's models saw, e.g.
    ``frame_size=(1280, 720)``): software OpenGL, a few steps per second, one such environment per process.

    ## Episode End
    Terminated on a goal (academy scenarios, ``end_on_score``), on the ball going out of play or to the
    other team (academy scenarios); truncated after ``max_steps`` (400 for academy scenarios, as MageBench's
    Football-Online; 3000 for full games).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(
        self,
        scenario: str | Scenario = "academy_3_vs_1_with_keeper",
        max_steps: int | None = None,
        frame_size: tuple[int, int] = (336, 168),
        render_mode: str | None = None,
        engine: str = "lmmr1",
        reward: str | None = None,
        auto_acting: bool = False,
        frame: str = "2d",
    ):
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
        if frame not in FRAMES:
            raise ValueError(f"frame must be one of {FRAMES}, got {frame!r}")
        if frame == "grf" and engine != "gfootball":
            raise ValueError("frame='grf' is Google Research Football's own render: it needs engine='gfootball'")
        if reward is None:  # each engine's natural reward: GRF has no lmmr1 game events, MageBench's needs none
            reward = "magebench" if engine == "gfootball" else "lmmr1"
        if reward not in REWARDS:
            raise ValueError(f"reward must be one of {REWARDS}, got {reward!r}")
        if engine == "gfootball" and reward != "magebench":
            raise ValueError(
                f"reward={reward!r} is computed from lmmr1's engine's own events (pass completions, shot aim), "
                "which GRF does not report: with engine='gfootball' use reward='magebench' (computed from the "
                "observation; the default)"
            )
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be 'rgb_array' or None, got {render_mode!r}")
        self.engine = engine
        self.game: FootballEngine
        if engine == "gfootball":
            from .gfootball_engine import GRFEngine

            self.game = GRFEngine(scenario, max_steps, render=frame == "grf", resolution=frame_size)
        else:
            self.game = LMMR1Engine(scenario, max_steps)
        self.scenario_name, self.scenario = self.game.scenario_name, self.game.scenario
        self.max_steps = self.game.max_steps
        self.n_left, self.n_right = self.game.n_left, self.game.n_right
        self.left_roles, self.right_roles = self.game.left_roles, self.game.right_roles
        self.reward_name = reward
        self.frame = frame
        self.auto_acting = bool(auto_acting)
        self._magebench = None
        self.frame_size = (int(frame_size[0]), int(frame_size[1]))
        self.render_mode = render_mode
        self.action_space = spaces.Discrete(len(ACTION_NAMES))
        self.observation_space = self._build_observation_space()
        self._renderer = _Renderer(self.frame_size)
        self._last_obs: dict[str, Any] | None = None

    # -- spaces ---------------------------------------------------------------------------------
    def _build_observation_space(self) -> spaces.Dict:
        def pos(n):
            return spaces.Box(-2.0, 2.0, (n, 2), np.float32)

        def vec(shape):
            return spaces.Box(-1.0, 1.0, shape, np.float32)

        w, h = self.frame_size
        team = {}
        for side, n in (("left", self.n_left), ("right", self.n_right)):
            team[f"{side}_team"] = pos(n)
            team[f"{side}_team_direction"] = vec((n, 2))
            team[f"{side}_team_tired_factor"] = spaces.Box(0.0, 1.0, (n,), np.float32)
            team[f"{side}_team_yellow_card"] = spaces.MultiBinary(n)
            team[f"{side}_team_active"] = spaces.MultiBinary(n)
            team[f"{side}_team_roles"] = spaces.MultiDiscrete([10] * n)
        return spaces.Dict(
            {
                "ball": spaces.Box(
                    np.array([-2, -2, 0], np.float32), np.array([2, 2, 2], np.float32), dtype=np.float32
                ),
                "ball_direction": vec((3,)),
                "ball_rotation": spaces.Box(-np.pi, np.pi, (3,), np.float32),
                "ball_owned_team": spaces.Discrete(3, start=-1),
                "ball_owned_player": spaces.Discrete(max(self.n_left, self.n_right) + 1, start=-1),
                **team,
                "active": spaces.Discrete(self.n_left),
                "designated": spaces.Discrete(self.n_left),
                "sticky_actions": spaces.MultiBinary(10),
                "score": spaces.Box(0, 1000, (2,), np.int64),
                "steps_left": spaces.Box(0, self.max_steps + 1, (), np.int64),  # GRF: +1 at reset
                "game_mode": spaces.Discrete(7),
                "frame": spaces.Box(0, 255, (h, w, 3), np.uint8),
            }
        )

    def anchor_key(self) -> str:
        """A coarse state for GiGPO's step groups (lmmr1.envs.anchors): football's positions are continuous, so
        two episodes are almost never in the exact same state. The key is the ball's cell on a grid of
        ``ANCHOR_CELL`` (x over [-1, 1], y over [-0.42, 0.42]: 8 x 4 cells), which team holds it, the game mode,
        the score and the active player's cell: states a policy should act alike in."""
        obs = self._last_obs
        if obs is None:
            raise RuntimeError("call reset() before anchor_key()")

        def cell(x: float, y: float) -> str:
            return f"{int(np.floor((x + 1.0) / ANCHOR_CELL))},{int(np.floor((y + 0.42) / ANCHOR_CELL))}"

        ball = obs["ball"]
        active = obs["left_team"][int(obs["active"])]
        score = tuple(int(v) for v in obs["score"])
        return (
            f"ball {cell(float(ball[0]), float(ball[1]))} owner {int(obs['ball_owned_team'])} "
            f"mode {int(obs['game_mode'])} score {score[0]}-{score[1]} active {cell(float(active[0]), float(active[1]))}"
        )

    # -- gymnasium API --------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self._magebench = MageBenchReward(episode_steps=self.max_steps) if self.reward_name == "magebench" else None
        self._auto = AutoActing()
        self.game.new_episode(self.np_random)
        self._last_obs = self._obs()
        return self._last_obs, self._info({})

    def step(self, action: int):
        if self._last_obs is None:
            raise RuntimeError("call reset() before step()")
        action = int(action)
        if not 0 <= action < len(ACTION_NAMES):
            raise ValueError(f"action must be in 0..{len(ACTION_NAMES) - 1}, got {action}")
        if not self.auto_acting:
            return self._step_once(action)
        total, terms_sum, last = 0.0, {}, None
        substeps = 0

        def once(a: int):
            nonlocal total, last, substeps
            last = self._step_once(a)
            total += last[1]
            substeps += 1
            for k, v in last[4]["reward_terms"].items():
                terms_sum[k] = terms_sum.get(k, 0.0) + v
            return last[0], bool(last[2] or last[3])

        self._auto.run(action, self._last_obs, once)
        obs, _, terminated, truncated, info = last
        info["reward_terms"] = terms_sum
        info["substeps"] = substeps
        return obs, total, terminated, truncated, info

    def _step_once(self, action: int):
        """One game step. The engine says whether the scenario's rules end the episode (a goal, the ball out
        of play or lost); ``max_steps`` steps truncate it, counted here on both engines (GRF's own clock starts
        at -1, so its game_duration would allow one step more)."""
        terminated, terms = self.game.play(action)
        obs = self._obs()
        if self._magebench is not None:
            reward, terms, task_done = self._magebench.step(obs, action)
            terminated = terminated or task_done
        else:
            reward = float(sum(terms.values()))
        truncated = not terminated and self.game.steps >= self.max_steps
        self._last_obs = obs
        return obs, reward, terminated, truncated, self._info(terms)

    def render(self):
        if self.render_mode == "rgb_array" and self._last_obs is not None:
            return self._last_obs["frame"].copy()
        return None

    def close(self):
        if getattr(self, "game", None) is not None:
            self.game.close()
        super().close()

    # -- observation ----------------------------------------------------------------------------
    def _obs(self) -> dict[str, Any]:
        obs = self.game.observation()
        own = self.game.own_frame() if self.frame == "grf" else None
        if own is not None:
            obs["frame"] = own
        else:
            p = self.game.positions()
            obs["frame"] = self._renderer.draw_positions(
                p.left, p.right, self.left_roles, self.right_roles, p.active, p.ball, p.score
            )
        return obs

    def _info(self, terms: dict[str, float]) -> dict[str, Any]:
        obs = self._last_obs
        return {
            "score": tuple(int(v) for v in obs["score"]),
            "steps": self.game.steps,
            "game_mode": int(obs["game_mode"]),
            "reward_terms": dict(terms),
            "scenario": self.scenario_name,
            "engine": self.engine,
        }


# ---------------------------------------------------------------------------------------------
# scripted policies (baselines for tests and benchmarks)
# ---------------------------------------------------------------------------------------------
def scripted_attacker(obs: dict[str, Any]) -> int:
    """Run at goal with the ball, shoot when close; without the ball, run at it. A naive baseline for tests
    and benchmarks, played on both engines (its goal shares on each: benchmarks/results/envs.md)."""
    ball = obs["ball"]
    me = obs["left_team"][obs["active"]]
    if obs["ball_owned_team"] == 0 and obs["ball_owned_player"] == obs["active"]:
        if ball[0] > 0.72 and abs(ball[1]) < 0.2:
            return ACTION_INDEX["shot"]
        if abs(ball[1]) > 0.08:
            return ACTION_INDEX["top_right"] if ball[1] > 0 else ACTION_INDEX["bottom_right"]
        return ACTION_INDEX["right"]
    dx, dy = ball[0] - me[0], ball[1] - me[1]
    angle = math.atan2(dy, dx)  # y down: atan2 with screen orientation
    # map the angle to the nearest of the 8 GRF directions
    octant = int(round(angle / (math.pi / 4))) % 8
    return (5, 6, 7, 8, 1, 2, 3, 4)[octant]


__all__ = ["FRAMES", "REWARDS", "FootballEnv", "scripted_attacker"]
