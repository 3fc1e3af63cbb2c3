"""``lmmr1/Football-v0``: football with Google Research Football's interface (one module per job).

* ``game``: the game and the gymnasium environment (``FootballEnv``), GRF's action set and observation keys;
* ``scenarios``: built-in scenarios and GRF / MageBench scenario files, read as data;
* ``render``: the RGB frame a model sees;
* ``magebench``: MageBench's Football-Online reward and auto-acting rule (``reward="magebench"``,
  ``auto_acting=True``);
* ``gfootball_engine``: the real GRF engine (``engine="gfootball"``), when installed.
"""

from .game import (
    ACTION_INDEX,
    ACTION_NAMES,
    ENGINES,
    FRAMES,
    REWARDS,
    FootballEnv,
    action_from_text,
    scripted_attacker,
)
from .magebench import AutoActing, MageBenchReward
from .scenarios import SCENARIOS, Scenario, ScenarioError, load_scenario_file, resolve_scenario

__all__ = [
    "ACTION_INDEX",
    "ACTION_NAMES",
    "ENGINES",
    "FRAMES",
    "REWARDS",
    "SCENARIOS",
    "AutoActing",
    "FootballEnv",
    "MageBenchReward",
    "Scenario",
    "ScenarioError",
    "action_from_text",
    "load_scenario_file",
    "resolve_scenario",
    "scripted_attacker",
]
