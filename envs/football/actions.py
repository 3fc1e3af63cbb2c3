"""Google Research Football's action set, as both of ``lmmr1/Football-v0``'s engines and the model read it."""

from __future__ import annotations

import math
import re

# ---------------------------------------------------------------------------------------------
# GRF's action set: the 19 default actions (action_set_v1) in GRF's order, then builtin_ai (v2's 20th)
# ---------------------------------------------------------------------------------------------
ACTION_NAMES: tuple[str, ...] = (
    "idle",
    "left",
    "top_left",
    "top",
    "top_right",
    "right",
    "bottom_right",
    "bottom",
    "bottom_left",
    "long_pass",
    "high_pass",
    "short_pass",
    "shot",
    "sprint",
    "release_direction",
    "release_sprint",
    "sliding",
    "dribble",
    "release_dribble",
    "builtin_ai",
)
ACTION_INDEX = {name: i for i, name in enumerate(ACTION_NAMES)}
IDLE, SHOT, SPRINT, RELEASE_DIRECTION, RELEASE_SPRINT, SLIDING, DRIBBLE, RELEASE_DRIBBLE, BUILTIN_AI = (
    ACTION_INDEX[n]
    for n in (
        "idle",
        "shot",
        "sprint",
        "release_direction",
        "release_sprint",
        "sliding",
        "dribble",
        "release_dribble",
        "builtin_ai",
    )
)
PASSES = {ACTION_INDEX["long_pass"]: "long", ACTION_INDEX["high_pass"]: "high", ACTION_INDEX["short_pass"]: "short"}
# direction actions 1..8 -> unit vector (y grows downwards, "top" is -y, as in GRF)
_S = 1 / math.sqrt(2)
DIRECTIONS: dict[int, tuple[float, float]] = {
    1: (-1.0, 0.0),
    2: (-_S, -_S),
    3: (0.0, -1.0),
    4: (_S, -_S),
    5: (1.0, 0.0),
    6: (_S, _S),
    7: (0.0, 1.0),
    8: (-_S, _S),
}
# sticky_actions layout in GRF: 8 directions, sprint, dribble
STICKY_NAMES = (*ACTION_NAMES[1:9], "sprint", "dribble")


def action_from_text(text: str) -> int | None:
    """The action a model names in ``text`` (GRF's names, an ``action_`` prefix allowed), else None.

    Longest names first, so ``top_right`` is not read as ``right``. Shared by the online agent loop and
    the Football-Online benchmark, so training and evaluation read answers the same way.
    """
    answer = text.strip().lower()
    for name in sorted(ACTION_NAMES, key=len, reverse=True):
        if re.search(rf"\b(?:action_)?{name}\b", answer):
            return ACTION_NAMES.index(name)
    return None
