"""``lmmr1/Football-v0``: football with Google Research Football's interface (one module per job).

* ``env``: the gymnasium environment (``FootballEnv``: spaces, reward, frame) around an engine;
* ``engine``: what an engine gives the environment (``FootballEngine``); ``game``: lmmr1's 2D game, one engine;
* ``actions``: GRF's action set and how a model's answer names an action;
* ``scenarios``: built-in scenarios and GRF / MageBench scenario files, read as data;
* ``render``: the RGB frame a model sees;
* ``magebench``: MageBench's Football-Online reward and auto-acting rule (``reward="magebench"``,
  ``auto_acting=True``);
* ``gfootball_engine``: the real GRF engine (``engine="gfootball"``), when installed.
"""

from .actions import ACTION_INDEX, ACTION_NAMES, action_from_text
from .engine import ENGINES, FootballEngine
from .env import FRAMES, REWARDS, FootballEnv, scripted_attacker
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
    "FootballEngine",
    "FootballEnv",
    "MageBenchReward",
    "Scenario",
    "ScenarioError",
    "action_from_text",
    "load_scenario_file",
    "resolve_scenario",
    "scripted_attacker",
]
