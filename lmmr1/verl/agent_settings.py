"""The settings of lmmr1's agent loops (``stages.NAME.agent_loops.<loop>.<key>``), without verl.

verl's ``AgentLoopBase`` accepts any constructor keyword and ignores the ones it does not know, so a misspelt
setting would be silently dropped. This table is the one list of each loop's settings and defaults: the
driver checks a run's settings against it before Ray starts (importing neither verl nor torch), and the
loops in :mod:`lmmr1.verl.agent_loops` take their values through :func:`take_settings`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lmmr1.typecheck import close_match
from lmmr1.verl.determinism import SEEDED_SINGLE_TURN

# every env loop: turns per episode (None: verl's multi_turn.max_assistant_turns, else the loop's own
# default), "auto" | "image" | "text" observations, and a cap on one model turn's tokens (None: no cap)
# and a penalty subtracted from the reward of a turn whose actions cannot be read (verl-agent's
# invalid_action_penalty_coef, VAGEN's format_penalty; 0: none)
_ENV_LOOP = {"max_turns": None, "observation": "auto", "max_tokens_per_turn": None, "invalid_penalty": 0.0}

LOOP_SETTINGS: dict[str, dict[str, Any]] = {
    SEEDED_SINGLE_TURN: {},
    "sokoban_online": {**_ENV_LOOP, "max_moves_per_turn": 5, "max_steps": 120, "tile_size": 16, "anchor": "board"},
    "football_online": {
        **_ENV_LOOP,
        "steps_per_action": 4,
        "max_steps": 400,
        "reward": "magebench",
        "engine": "lmmr1",
        "anchor": "grid",
    },
}
# the state key each loop records before a model turn for GiGPO's step groups (lmmr1.envs.anchors): the env's
# own key (Sokoban: the board, exact; football: a grid cell of ball and active player) or none
ANCHORS = {"sokoban_online": ("board", "none"), "football_online": ("grid", "none")}
# turns per episode when neither the setting nor verl's multi_turn.max_assistant_turns says
DEFAULT_MAX_TURNS = {"sokoban_online": 10, "football_online": 20}
_WHOLE = ("max_turns", "max_tokens_per_turn", "max_moves_per_turn", "max_steps", "steps_per_action", "tile_size")


def check_loop_settings(loop: str, settings: Mapping[str, Any]) -> None:
    """Raise ValueError naming the setting when a key is unknown or a value is not accepted."""
    known = list(LOOP_SETTINGS[loop])
    for key in settings:
        if key not in known:
            if not known:
                raise ValueError(f"takes no settings, got {', '.join(map(str, settings))}")
            raise ValueError(f"unknown setting {key!r}{close_match(str(key), known)}; accepted: {', '.join(known)}")
    observation = settings.get("observation", "auto")
    if observation not in ("auto", "image", "text"):
        raise ValueError(f"observation must be 'auto', 'image' or 'text', got {observation!r}")
    if loop in ANCHORS and settings.get("anchor", ANCHORS[loop][0]) not in ANCHORS[loop]:
        raise ValueError(f"anchor must be one of {', '.join(ANCHORS[loop])}, got {settings['anchor']!r}")
    penalty = settings.get("invalid_penalty", 0.0)
    if isinstance(penalty, bool) or not isinstance(penalty, (int, float)) or penalty < 0:
        raise ValueError(f"invalid_penalty must be a number >= 0, got {penalty!r}")
    for key in _WHOLE:
        value = settings.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{key} must be a whole number >= 1, got {value!r}")
    if loop == "football_online":
        from lmmr1.envs.football import ENGINES, REWARDS

        reward, engine = settings.get("reward", "magebench"), settings.get("engine", "lmmr1")
        if reward not in REWARDS:
            raise ValueError(f"reward must be one of {', '.join(REWARDS)}, got {reward!r}")
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
        if engine == "gfootball":
            if reward != "magebench":
                raise ValueError(
                    "engine 'gfootball' scores with reward 'magebench' only (lmmr1's reward needs its game)"
                )
            from lmmr1.envs.football.gfootball_engine import require_gfootball

            require_gfootball()  # the install instruction when GRF is absent


def check_agent_loop_settings(overrides: Mapping[str, Any]) -> None:
    """Every ``agent_loops.<loop>.<key>`` names a loop and a setting it takes, with an accepted value.

    Raises ValueError starting ``<loop>: `` and naming the setting.
    """
    for name, settings in overrides.items():
        if name not in LOOP_SETTINGS:
            raise ValueError(
                f"{name}: unknown agent loop{close_match(name, LOOP_SETTINGS)}; lmmr1's: {', '.join(LOOP_SETTINGS)}"
            )
        if not isinstance(settings, Mapping):
            raise ValueError(f"{name}: expected a mapping of settings, got {settings!r}")
        try:
            check_loop_settings(name, settings)
        except (ValueError, ModuleNotFoundError, RuntimeError) as exc:
            raise ValueError(f"{name}: {exc}") from None


def take_settings(loop: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Remove ``loop``'s settings from a constructor's ``kwargs`` (the rest is verl's) and return them all,
    defaults filled in, checked."""
    given = {key: kwargs.pop(key) for key in list(kwargs) if key in LOOP_SETTINGS[loop]}
    check_loop_settings(loop, given)
    return {**LOOP_SETTINGS[loop], **given}
