"""Sokoban levels: the :class:`Level` position, XSB text and gym-sokoban's ``.npy`` arrays.

Levels travel as XSB text (``#`` wall, `` `` floor, ``.`` goal, ``$`` box, ``*`` box on goal, ``@`` player,
``+`` player on goal; ``-`` and ``_`` are read as floor). LMM-R1's level files are gym-sokoban ``room_state``
arrays saved with ``numpy.save`` (0 wall, 1 floor, 2 goal, 3 box on goal, 4 box, 5 player; a goal under the
player is not shown and is inferred); read them with :func:`load_npy_level`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

# gym-sokoban room_state codes (LMM-R1's .npy files)
NPY_WALL, NPY_FLOOR, NPY_GOAL, NPY_BOX_ON_GOAL, NPY_BOX, NPY_PLAYER, NPY_PLAYER_ON_GOAL = range(7)

XSB_CHARS = "#. $*@+\n"


class LevelError(ValueError):
    """An XSB text or level array that is not a playable Sokoban level."""


# ---------------------------------------------------------------------------------------------
# XSB
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Level:
    """A Sokoban position: static walls and goals, and the movable player and boxes."""

    height: int
    width: int
    walls: frozenset[int]  # flat indices r * width + c
    goals: frozenset[int]
    boxes: frozenset[int]
    player: int

    @property
    def shape(self) -> tuple[int, int]:
        return (self.height, self.width)

    def to_xsb(self) -> str:
        return format_xsb(self.height, self.width, self.walls, self.goals, self.boxes, self.player)


def format_xsb(
    height: int, width: int, walls: Iterable[int], goals: Iterable[int], boxes: Iterable[int], player: int
) -> str:
    """The whole room as XSB rows joined by newlines (trailing spaces kept: every row has ``width`` cells)."""
    cells = [" "] * (height * width)
    for i in walls:
        cells[i] = "#"
    for i in goals:
        cells[i] = "."
    for i in boxes:
        cells[i] = "*" if cells[i] == "." else "$"
    cells[player] = "+" if cells[player] == "." else "@"
    return "\n".join("".join(cells[r * width : (r + 1) * width]) for r in range(height))


def parse_xsb(text: str) -> Level:
    """Parse XSB text; rows shorter than the longest are padded with floor on the right."""
    rows = [row.rstrip("\r") for row in text.split("\n")]
    while rows and not rows[-1].strip():
        rows.pop()
    while rows and not rows[0].strip():
        rows.pop(0)
    if not rows:
        raise LevelError("empty XSB level")
    height, width = len(rows), max(len(r) for r in rows)
    walls, goals, boxes, players = set(), set(), set(), []
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            i = r * width + c
            if ch == "#":
                walls.add(i)
            elif ch in " -_":
                pass
            elif ch == ".":
                goals.add(i)
            elif ch == "$":
                boxes.add(i)
            elif ch == "*":
                boxes.add(i)
                goals.add(i)
            elif ch == "@":
                players.append(i)
            elif ch == "+":
                players.append(i)
                goals.add(i)
            else:
                raise LevelError(f"XSB row {r + 1}, column {c + 1}: unknown character {ch!r} (allowed: {XSB_CHARS!r})")
    if len(players) != 1:
        raise LevelError(f"XSB level must have exactly one player ('@' or '+'), found {len(players)}")
    if not boxes:
        raise LevelError("XSB level has no boxes")
    if len(boxes) != len(goals):
        raise LevelError(f"XSB level has {len(boxes)} boxes but {len(goals)} goals; they must be equal")
    return Level(height, width, frozenset(walls), frozenset(goals), frozenset(boxes), players[0])


def level_from_npy_array(room_state: np.ndarray, room_fixed: np.ndarray | None = None) -> Level:
    """Build a level from gym-sokoban arrays (``room_state``; ``room_fixed`` optional, it reveals a goal under the player)."""
    state = np.asarray(room_state)
    if state.ndim == 3 and state.shape[0] == 2 and room_fixed is None:  # stacked (room_fixed, room_state)
        room_fixed, state = state[0], state[1]
    if state.ndim != 2:
        raise LevelError(f"expected a 2-D gym-sokoban room_state array, got shape {state.shape}")
    height, width = state.shape
    walls, goals, boxes, players = set(), set(), set(), []
    for (r, c), v in np.ndenumerate(state.astype(int)):
        i = r * width + c
        if v == NPY_WALL:
            walls.add(i)
        elif v == NPY_GOAL:
            goals.add(i)
        elif v == NPY_BOX_ON_GOAL:
            goals.add(i)
            boxes.add(i)
        elif v == NPY_BOX:
            boxes.add(i)
        elif v == NPY_PLAYER:
            players.append(i)
        elif v == NPY_PLAYER_ON_GOAL:
            players.append(i)
            goals.add(i)
        elif v != NPY_FLOOR:
            raise LevelError(f"unknown gym-sokoban cell code {v} at row {r}, column {c}")
    if room_fixed is not None:
        fixed = np.asarray(room_fixed).astype(int)
        goals |= {r * width + c for (r, c), v in np.ndenumerate(fixed) if v == NPY_GOAL}
    if len(players) != 1:
        raise LevelError(f"level array must contain exactly one player (code 5), found {len(players)}")
    if room_fixed is None and len(boxes) == len(goals) + 1:
        # gym-sokoban's room_state shows a player standing on a goal as plain 5 (LMM-R1 saved only room_state);
        # its levels always have as many goals as boxes, so the missing goal is under the player.
        goals.add(players[0])
    if len(goals) != len(boxes):
        raise LevelError(
            f"level array has {len(boxes)} boxes but {len(goals)} goals (a goal hidden under the player is only "
            "known when room_fixed is given)"
        )
    return Level(height, width, frozenset(walls), frozenset(goals), frozenset(boxes), players[0])


def load_npy_level(path: str) -> str:
    """Read an LMM-R1 / gym-sokoban ``.npy`` level file and return it as XSB text."""
    return level_from_npy_array(np.load(path, allow_pickle=False)).to_xsb()


def level_to_npy_array(level: Level) -> np.ndarray:
    """The gym-sokoban ``room_state`` array of a level (the format LMM-R1 saved)."""
    out = np.full(level.height * level.width, NPY_FLOOR, dtype=np.uint8)
    out[list(level.walls)] = NPY_WALL
    out[list(level.goals)] = NPY_GOAL
    for b in level.boxes:
        out[b] = NPY_BOX_ON_GOAL if b in level.goals else NPY_BOX
    out[level.player] = NPY_PLAYER_ON_GOAL if level.player in level.goals else NPY_PLAYER
    return out.reshape(level.height, level.width)
