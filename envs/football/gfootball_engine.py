"""Google Research Football (GRF) behind ``lmmr1/Football-v0``: ``engine="gfootball"``.

Why: Table 3 of the paper (Football-Online) was measured in MageBench on GRF. lmmr1's own engine is a fast
2D game with GRF's interface; this module runs the real game behind the same environment, so a policy
trained on lmmr1's engine can be scored on GRF (and the two compared) without changing a line.

GRF is a C++ game with Python bindings (package ``gfootball``, written against 2.10.2); it has no wheel for
current Pythons and builds from source in about 5 minutes on 2 cores: ``scripts/install_gfootball.sh`` installs it on
a Debian-like machine. GRF's Python package speaks the old ``gym`` API; lmmr1 drives its core class
(``gfootball.env.football_env_core.FootballEnvCore``) directly and converts the raw observation to
``lmmr1/Football-v0``'s keys and dtypes. The frame is lmmr1's 2D picture drawn from GRF's positions (GRF's
own 3D render needs OpenGL and a display), so a model sees the same picture on both engines.

Scenarios: a name GRF ships (``academy_3_vs_1_with_keeper``, ``11_vs_11_stochastic``, ...) runs GRF's own
scenario; anything else (lmmr1's built-in ``11_vs_11``, a MageBench file read as data, a ``Scenario``) is
handed to GRF as a scenario module built from the data, which lmmr1 registers under
``gfootball.scenarios.lmmr1_<digest>`` in this process (GRF imports scenarios by that name). ``max_steps``
sets GRF's ``game_duration`` either way.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import io
import logging
import sys
import tempfile
import types
from typing import Any

import numpy as np

from .engine import Positions
from .scenarios import ROLE_NAMES, SCENARIOS, Scenario, resolve_scenario

INSTALL_HINT = (
    "engine='gfootball' needs Google Research Football: run scripts/install_gfootball.sh (Debian/Ubuntu: "
    "system packages, then a ~5-minute C++ build into .venv), or use engine='lmmr1' (the built-in game)"
)
WRITTEN_FOR = ("2.10.2",)  # gfootball versions this adapter was written for and checked against
ACTION_SET = "v2"  # GRF's 19 default actions + builtin_ai: the order of lmmr1's ACTION_NAMES
logger = logging.getLogger(__name__)


def gfootball_available() -> bool:
    return importlib.util.find_spec("gfootball") is not None


def require_gfootball() -> str:
    """The installed gfootball version; ModuleNotFoundError with the install instruction when it is absent,
    RuntimeError when it is a version this adapter was not written for."""
    if not gfootball_available():
        raise ModuleNotFoundError(INSTALL_HINT)
    version = importlib.metadata.version("gfootball")
    if version not in WRITTEN_FOR:
        raise RuntimeError(
            f"engine='gfootball': gfootball {version} is installed, but lmmr1's adapter was written for and "
            f"checked against {', '.join(WRITTEN_FOR)} (it drives GRF's core class, whose interface is not "
            "public): install one of those (scripts/install_gfootball.sh) or use engine='lmmr1'"
        )
    return version


def _import_grf() -> None:
    """Import gfootball once, keeping the old ``gym`` package's import-time notice (it prints a deprecation
    banner to stderr; gfootball imports gym in its ``__init__``) off the console and in the debug log."""
    if "gfootball.env" in sys.modules:
        return
    captured = io.StringIO()
    with contextlib.redirect_stderr(captured):
        import gfootball.env  # noqa: F401
    if captured.getvalue().strip():
        logger.debug("gfootball import printed: %s", captured.getvalue().strip())


def grf_scenario_names() -> list[str]:
    """The scenarios the installed GRF ships (``gfootball/scenarios/*.py``)."""
    require_gfootball()
    _import_grf()
    from gfootball.env import scenario_builder

    return sorted(n for n in scenario_builder.all_scenarios() if not n.startswith("test_"))


def _scenario_module(level: str, build) -> str:
    """Register ``build`` as GRF scenario ``level`` (GRF imports ``gfootball.scenarios.<level>``)."""
    import gfootball.scenarios as grf_scenarios

    name = f"{grf_scenarios.__name__}.{level}"
    module = types.ModuleType(name, "a GRF scenario built by lmmr1 from scenario data")
    module.build_scenario = build
    sys.modules[name] = module
    return level


def _builder_from_data(scenario: Scenario, max_steps: int):
    """GRF's ``build_scenario(builder)`` for a ``Scenario`` (right team mirrored back to its own frame)."""
    import gfootball_engine as libgame

    roles = [getattr(libgame.e_PlayerRole, f"e_PlayerRole_{name}") for name in ROLE_NAMES]

    def build_scenario(builder) -> None:
        cfg = builder.config()
        cfg.game_duration = int(max_steps)
        cfg.end_episode_on_score = bool(scenario.end_on_score)
        cfg.end_episode_on_out_of_play = bool(scenario.end_on_out_of_play)
        cfg.end_episode_on_possession_change = bool(scenario.end_on_possession_change)
        settings = dict(scenario.grf_settings)
        settings.setdefault("deterministic", False)
        settings.setdefault("offsides", False)
        for key, value in settings.items():
            setattr(cfg, key, value)
        builder.SetBallPosition(float(scenario.ball[0]), float(scenario.ball[1]))
        for team, side, sign in ((libgame.e_Team.e_Left, "left", 1.0), (libgame.e_Team.e_Right, "right", -1.0)):
            builder.SetTeam(team)
            players = scenario.left if side == "left" else scenario.right
            for (x, y, role), (lazy, controllable) in zip(players, scenario.flags(side)):
                builder.AddPlayer(sign * float(x), sign * float(y), roles[int(role)], bool(lazy), bool(controllable))

    return build_scenario


def _builder_around_grf(level: str, max_steps: int):
    """GRF's own scenario ``level`` with ``game_duration`` set to ``max_steps``."""
    import importlib

    original = importlib.import_module(f"gfootball.scenarios.{level}")

    def build_scenario(builder) -> None:
        original.build_scenario(builder)
        builder.config().game_duration = int(max_steps)

    return build_scenario


def _digest(*parts: Any) -> str:
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:12]


class GRFEngine:
    """One GRF game (a ``FootballEnvCore``) controlled through the left team's active player.

    ``scenario``: a GRF scenario name, one of lmmr1's built-in names, a scenario file or a ``Scenario``;
    ``max_steps``: the episode length (GRF's ``game_duration``; None = the scenario's own);
    ``render``: GRF's own 3D frame at ``resolution`` (width, height) in every observation (``frame``, RGB),
    what MageBench showed its models; software OpenGL, a few steps per second, one such game per process.
    """

    def __init__(
        self,
        scenario: str | Scenario,
        max_steps: int | None = None,
        render: bool = False,
        resolution: tuple[int, int] = (1280, 720),
    ):
        self.version = require_gfootball()
        _import_grf()
        from gfootball.env import config as grf_config
        from gfootball.env import football_env_core

        grf_names = grf_scenario_names()
        if isinstance(scenario, str) and scenario in grf_names:
            self.scenario_name, self.scenario = scenario, SCENARIOS.get(scenario)
            steps = int(max_steps) if max_steps is not None else self._grf_duration(scenario)
            level = _scenario_module(f"lmmr1_{_digest('grf', scenario, steps)}", _builder_around_grf(scenario, steps))
        else:
            try:
                self.scenario_name, self.scenario = resolve_scenario(scenario)
            except ValueError as exc:
                raise ValueError(f"{exc}; with engine='gfootball' also GRF's: {', '.join(grf_names)}") from None
            steps = int(max_steps) if max_steps is not None else self.scenario.max_steps
            level = _scenario_module(
                f"lmmr1_{_digest('data', self.scenario, steps)}", _builder_from_data(self.scenario, steps)
            )
        self.max_steps = steps
        self.level = level
        # GRF writes traces only when asked (dump_* below are off); its trace folder is still set aside
        self._traces = tempfile.TemporaryDirectory(prefix="lmmr1-grf-")
        self._config = grf_config.Config(
            {
                "level": level,
                "action_set": ACTION_SET,
                "players": ["agent:left_players=1"],
                "real_time": False,
                "dump_full_episodes": False,
                "dump_scores": False,
                "write_video": False,
                "tracesdir": self._traces.name,
                "game_engine_random_seed": 0,
                "reverse_team_processing": False,
                "render_resolution_x": int(resolution[0]),
                "render_resolution_y": int(resolution[1]),
            }
        )
        self._core = football_env_core.FootballEnvCore(self._config)
        self.render = bool(render)
        if self.render:
            pooled = football_env_core._unused_rendering_engine  # GRF keeps its renderer for the next game
            if pooled is not None:
                made = (int(pooled.game_config.render_resolution_x), int(pooled.game_config.render_resolution_y))
                if made != (int(resolution[0]), int(resolution[1])):
                    self._core.close()
                    raise RuntimeError(
                        f"frame='grf': GRF's renderer in this process was made at {made[0]}x{made[1]} and cannot "
                        f"change size; use frame_size={made} here, or a new process for "
                        f"{int(resolution[0])}x{int(resolution[1])}"
                    )
            try:
                self._core.render("rgb_array")  # GRF moves the game to its (single) rendering engine
            except AssertionError as exc:
                self._core.close()
                raise RuntimeError(
                    f"frame='grf': {exc} Close the other environment rendering GRF's frame (env.close()), run "
                    "one per process, or use frame='2d'"
                ) from None
        raw = self._core.observation()
        self.n_left, self.n_right = len(raw["left_team"]), len(raw["right_team"])
        self.left_roles = np.asarray(raw["left_team_roles"], np.int64)
        self.right_roles = np.asarray(raw["right_team_roles"], np.int64)
        self.steps = 0

    @staticmethod
    def _grf_duration(level: str) -> int:
        from gfootball.env import config as grf_config

        return int(grf_config.Config({"level": level}).ScenarioConfig().game_duration)

    def reset(self, seed: int) -> dict[str, Any]:
        """A new episode; ``seed`` sets GRF's game engine seed (and which team GRF processes first)."""
        seed = int(seed) % 2_000_000_000
        self._config["game_engine_random_seed"] = seed
        self._config["reverse_team_processing"] = bool(seed % 2)
        self._core.reset()
        self.steps = 0
        return self._core.observation()

    def step(self, action: int) -> tuple[dict[str, Any], bool]:
        """One GRF step of the active player's ``action`` (lmmr1's / GRF v2's index); (raw obs, done)."""
        raw, _, done, _ = self._core.step([int(action)])
        self.steps += 1
        return self._core.observation() if raw is None else raw, bool(done)

    # -- the engine interface (engine.FootballEngine) -------------------------------------------------
    name = "gfootball"

    def new_episode(self, rng: np.random.Generator) -> None:
        """GRF's engine seed drawn from the environment's generator: reset(seed=s) replays, later resets vary."""
        self._raw = self.reset(int(rng.integers(0, 2_000_000_000)))

    def play(self, action: int) -> tuple[bool, None]:
        """GRF ends the episode by its scenario rules (score, out of play, possession change); it reports no
        lmmr1 reward terms (the environment scores GRF with MageBench's reward)."""
        self._raw, done = self.step(action)
        return done, None

    def observation(self) -> dict[str, Any]:
        return observation_from_grf(self._raw)

    def positions(self) -> Positions:
        obs = observation_from_grf(self._raw)
        return Positions(obs["left_team"], obs["right_team"], obs["active"], obs["ball"], obs["score"])

    def own_frame(self) -> np.ndarray | None:
        return grf_frame(self._raw) if self.render else None

    def close(self) -> None:
        if getattr(self, "_core", None) is not None:
            self._core.close()
            self._core = None
        if getattr(self, "_traces", None) is not None:
            self._traces.cleanup()
            self._traces = None


def grf_frame(raw: dict[str, Any]) -> np.ndarray:
    """GRF's rendered frame as RGB: the core keeps it in BGR order (its own ``render("rgb_array")`` swaps the
    channels the same way)."""
    return np.ascontiguousarray(np.asarray(raw["frame"], np.uint8)[..., ::-1])


def observation_from_grf(raw: dict[str, Any]) -> dict[str, Any]:
    """``lmmr1/Football-v0``'s observation (minus the frame) from GRF's raw one: same keys and dtypes as
    lmmr1's engine, values clipped to the observation space's bounds (the values GRF's own environment
    reports, checked in tests/envs/test_football_gfootball.py)."""
    f32 = np.float32
    active = int(raw["left_agent_controlled_player"][0]) if raw["left_agent_controlled_player"] else 0
    designated = int(raw.get("left_team_designated_player", active))
    obs: dict[str, Any] = {
        "ball": np.clip(np.asarray(raw["ball"], float), [-2, -2, 0], [2, 2, 2]).astype(f32),
        "ball_direction": np.clip(np.asarray(raw["ball_direction"], float), -1, 1).astype(f32),
        "ball_rotation": np.clip(np.asarray(raw["ball_rotation"], float), -np.pi, np.pi).astype(f32),
        "ball_owned_team": int(raw["ball_owned_team"]),
        "ball_owned_player": int(raw["ball_owned_player"]),
        "active": active,
        "designated": designated if designated >= 0 else active,
        "sticky_actions": np.asarray(raw["left_agent_sticky_actions"][0], np.int8),
        "score": np.asarray(raw["score"], np.int64),
        "steps_left": np.array(max(int(raw["steps_left"]), 0), np.int64),  # GRF's: game_duration + 1 at reset
        "game_mode": int(raw["game_mode"]),
    }
    for side in ("left", "right"):
        obs[f"{side}_team"] = np.clip(np.asarray(raw[f"{side}_team"], float), -2, 2).astype(f32)
        obs[f"{side}_team_direction"] = np.clip(np.asarray(raw[f"{side}_team_direction"], float), -1, 1).astype(f32)
        obs[f"{side}_team_tired_factor"] = np.clip(np.asarray(raw[f"{side}_team_tired_factor"], float), 0, 1).astype(
            f32
        )
        obs[f"{side}_team_yellow_card"] = np.asarray(raw[f"{side}_team_yellow_card"], np.int8)
        obs[f"{side}_team_active"] = np.asarray(raw[f"{side}_team_active"], np.int8)
        obs[f"{side}_team_roles"] = np.asarray(raw[f"{side}_team_roles"], np.int64)
    return obs
