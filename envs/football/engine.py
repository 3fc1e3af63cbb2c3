"""What ``FootballEnv`` needs of a football engine: two engines, one interface.

``game.LMMR1Engine`` is lmmr1's light 2D game (numpy only); ``gfootball_engine.GRFEngine`` drives Google
Research Football. Both give GRF's raw observation fields and coordinates, take GRF's action indices and
tell the environment when the scenario's rules end an episode; the environment (``env.FootballEnv``) owns
the spaces, the reward choice (MageBench's, from the observation, or lmmr1's, from the game's own events),
auto-acting and the frame a model sees. A third engine implements this protocol.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional, Protocol

import numpy as np

from .scenarios import Scenario

ENGINES = ("lmmr1", "gfootball")


class Positions(NamedTuple):
    """What the 2D frame is drawn from (the same picture on every engine)."""

    left: np.ndarray  # (N, 2) pitch coordinates
    right: np.ndarray  # (M, 2)
    active: int  # the controlled left player
    ball: np.ndarray  # (3,) x, y, height
    score: Any  # (left goals, right goals)


class FootballEngine(Protocol):
    name: str  # one of ENGINES
    scenario_name: str
    scenario: Optional[Scenario]
    max_steps: int
    n_left: int
    n_right: int
    left_roles: np.ndarray
    right_roles: np.ndarray
    steps: int  # game steps of the current episode

    def new_episode(self, rng: np.random.Generator) -> None:
        """Start an episode; every random draw comes from ``rng`` (the environment's ``np_random``)."""

    def play(self, action: int) -> tuple[bool, Optional[dict[str, float]]]:
        """One game step of the active player's ``action``: (ended by the scenario's rules, lmmr1's reward
        terms when this engine computes them, else None)."""

    def observation(self) -> dict[str, Any]:
        """GRF's raw observation fields (``frame`` excepted, which the environment draws)."""

    def positions(self) -> Positions:
        """Where the players and the ball are, for the 2D frame."""

    def own_frame(self) -> Optional[np.ndarray]:
        """The engine's own rendered RGB frame, when it renders one (GRF's 3D view), else None."""

    def close(self) -> None: ...
