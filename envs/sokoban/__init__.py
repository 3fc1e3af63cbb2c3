"""Sokoban for vision-language policies: ``lmmr1/Sokoban-v0``.

Three layers, each usable alone:

* :class:`SokobanGame` - the rules on a flat grid (no rendering, no gymnasium API). The global reward
  (``lmmr1.rewards.sokoban``) replays move lists with it: a few microseconds per move.
* :func:`generate_level` - solvable levels by reverse play from a solved room, drawn only from a
  ``numpy.random.Generator`` (reproducible for a seed), about a millisecond for 7x7 with 2 boxes.
* :class:`SokobanEnv` - the gymnasium environment (image / XSB text observations, tile sprites).

One module a job: :mod:`.level` (the position, XSB, ``.npy``), :mod:`.game` (the rules), :mod:`.generate`,
:mod:`.solve`, :mod:`.render` (sprites) and :mod:`.env` (gymnasium).

Levels travel as XSB text (``#`` wall, `` `` floor, ``.`` goal, ``$`` box, ``*`` box on goal, ``@`` player,
``+`` player on goal; ``-`` and ``_`` are read as floor). LMM-R1's level files are gym-sokoban ``room_state``
arrays saved with ``numpy.save`` (0 wall, 1 floor, 2 goal, 3 box on goal, 4 box, 5 player; a goal under the
player is not shown and is inferred); read them with :func:`load_npy_level`. :func:`solve` is a small
breadth-first solver (exact shortest move count; used by the tests and ``lmmr1 data generate sokoban --solve``).
"""

from lmmr1.envs.sokoban.env import SokobanEnv
from lmmr1.envs.sokoban.game import (
    ACTION_DELTAS,
    ACTION_NAMES,
    BOX_OFF_TARGET_PENALTY,
    BOX_ON_TARGET_REWARD,
    DOWN,
    FINISHED_REWARD,
    LEFT,
    RIGHT,
    STEP_PENALTY,
    UP,
    SokobanGame,
)
from lmmr1.envs.sokoban.generate import GENERATORS, generate_level
from lmmr1.envs.sokoban.level import (
    XSB_CHARS,
    Level,
    LevelError,
    format_xsb,
    level_from_npy_array,
    level_to_npy_array,
    load_npy_level,
    parse_xsb,
)
from lmmr1.envs.sokoban.render import render_tiles, tile_sprites
from lmmr1.envs.sokoban.solve import solve

__all__ = [
    "ACTION_DELTAS",
    "ACTION_NAMES",
    "BOX_OFF_TARGET_PENALTY",
    "BOX_ON_TARGET_REWARD",
    "DOWN",
    "FINISHED_REWARD",
    "GENERATORS",
    "LEFT",
    "RIGHT",
    "STEP_PENALTY",
    "UP",
    "XSB_CHARS",
    "Level",
    "LevelError",
    "SokobanEnv",
    "SokobanGame",
    "format_xsb",
    "generate_level",
    "level_from_npy_array",
    "level_to_npy_array",
    "load_npy_level",
    "parse_xsb",
    "render_tiles",
    "solve",
    "tile_sprites",
]
