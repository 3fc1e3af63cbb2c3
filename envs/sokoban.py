"""Sokoban for vision-language policies: ``lmmr1/Sokoban-v0``.

Three layers, each usable alone:

* :class:`SokobanGame` - the rules on a flat grid (no rendering, no gymnasium API). The global reward
  (``lmmr1.rewards.sokoban``) replays move lists with it: a few microseconds per move.
* :func:`generate_level` - solvable levels by reverse play from a solved room, drawn only from a
  ``numpy.random.Generator`` (reproducible for a seed), about a millisecond for 7x7 with 2 boxes.
* :class:`SokobanEnv` - the gymnasium environment (image / XSB text observations, tile sprites).

Levels travel as XSB text (``#`` wall, `` `` floor, ``.`` goal, ``$`` box, ``*`` box on goal, ``@`` player,
``+`` player on goal; ``-`` and ``_`` are read as floor). LMM-R1's level files are gym-sokoban ``room_state``
arrays saved with ``numpy.save`` (0 wall, 1 floor, 2 goal, 3 box on goal, 4 box, 5 player; a goal under the
player is not shown and is inferred); read them with :func:`load_npy_level`. :func:`solve` is a small
breadth-first solver (exact shortest move count; used by the tests and ``lmmr1 data sokoban --solve``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# ---------------------------------------------------------------------------------------------
# actions
# ---------------------------------------------------------------------------------------------
UP, DOWN, LEFT, RIGHT = 0, 1, 2, 3
ACTION_NAMES: tuple[str, ...] = ("up", "down", "left", "right")
#: (row, column) change of each action
ACTION_DELTAS: tuple[tuple[int, int], ...] = ((-1, 0), (1, 0), (0, -1), (0, 1))

# gym-sokoban's reward constants (kept identical: LMM-R1's global reward replays with them)
STEP_PENALTY = -0.1
BOX_ON_TARGET_REWARD = 1.0
BOX_OFF_TARGET_PENALTY = -1.0
FINISHED_REWARD = 10.0

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


# ---------------------------------------------------------------------------------------------
# rules
# ---------------------------------------------------------------------------------------------
class SokobanGame:
    """Classic Sokoban rules with gym-sokoban's rewards, on a flat grid.

    The player moves one cell; moving into a box pushes it if the cell behind it is free floor (or goal).
    A move into a wall, the room's edge, or a box that cannot move leaves the state unchanged; every move
    still costs a step. ``step`` returns ``(reward, moved_player, moved_box)``.
    """

    __slots__ = ("height", "width", "walls", "goals", "boxes", "player", "steps", "boxes_on_goal", "_deltas")

    def __init__(self, level: Level | str):
        if isinstance(level, str):
            level = parse_xsb(level)
        self.height, self.width = level.height, level.width
        self.walls = level.walls
        self.goals = level.goals
        self.boxes = set(level.boxes)
        self.player = level.player
        self.steps = 0
        self.boxes_on_goal = len(self.boxes & self.goals)
        self._deltas = tuple(dr * self.width + dc for dr, dc in ACTION_DELTAS)

    @property
    def num_boxes(self) -> int:
        return len(self.boxes)

    @property
    def solved(self) -> bool:
        return self.boxes_on_goal == len(self.boxes)

    def _inside(self, i: int, action: int) -> bool:
        """Whether moving from flat index i by ``action`` stays inside the room."""
        r, c = divmod(i, self.width)
        dr, dc = ACTION_DELTAS[action]
        return 0 <= r + dr < self.height and 0 <= c + dc < self.width

    def step(self, action: int) -> tuple[float, bool, bool]:
        self.steps += 1
        moved_player = moved_box = False
        p = self.player
        if self._inside(p, action):
            target = p + self._deltas[action]
            if target not in self.walls:
                if target in self.boxes:
                    if self._inside(target, action):
                        beyond = target + self._deltas[action]
                        if beyond not in self.walls and beyond not in self.boxes:
                            self.boxes.remove(target)
                            self.boxes.add(beyond)
                            self.player = target
                            moved_player = moved_box = True
                else:
                    self.player = target
                    moved_player = True
        reward = STEP_PENALTY
        if moved_box:
            on_goal = len(self.boxes & self.goals)
            if on_goal > self.boxes_on_goal:
                reward += BOX_ON_TARGET_REWARD
            elif on_goal < self.boxes_on_goal:
                reward += BOX_OFF_TARGET_PENALTY
            self.boxes_on_goal = on_goal
            if self.solved:
                reward += FINISHED_REWARD
        return reward, moved_player, moved_box

    def level(self) -> Level:
        return Level(self.height, self.width, self.walls, self.goals, frozenset(self.boxes), self.player)

    def to_xsb(self) -> str:
        return format_xsb(self.height, self.width, self.walls, self.goals, self.boxes, self.player)


# ---------------------------------------------------------------------------------------------
# generation (reverse play)
# ---------------------------------------------------------------------------------------------
# Brushes carved around the walker: (row, column) offsets, all containing the centre so the room stays connected.
_BRUSHES: tuple[tuple[tuple[int, int], ...], ...] = (
    ((0, 0),),
    ((0, -1), (0, 0), (0, 1)),
    ((-1, 0), (0, 0), (1, 0)),
    ((0, 0), (0, 1), (1, 0)),
    ((0, 0), (0, -1), (1, 0), (1, -1)),
    ((0, 0), (-1, 0), (0, 1)),
)


# gym-sokoban's five 3x3 floor masks, as offsets from the walk's position (its public method)
_GYM_MASKS = (
    ((0, -1), (0, 0), (0, 1)),
    ((-1, 0), (0, 0), (1, 0)),
    ((0, -1), (0, 0), (1, 0)),
    ((0, -1), (0, 0), (1, -1), (1, 0)),
    ((0, 0), (0, 1), (1, 0)),
)
_WALK_DIRECTIONS = ((1, 0), (0, 1), (-1, 0), (0, -1))


def _carve_room_gym(rng: np.random.Generator, height: int, width: int, num_steps: int) -> list[int]:
    """Floor cells of a room carved as gym-sokoban carves one: a walk that changes direction with
    probability 0.35 per step, stamping one of five 3x3 masks at each position, inside a wall border."""
    floor = set()
    r = int(rng.integers(1, height))
    c = int(rng.integers(1, width))
    direction = _WALK_DIRECTIONS[int(rng.integers(4))]
    changes = rng.random(num_steps)
    new_dirs = rng.integers(0, 4, num_steps)
    masks = rng.integers(0, len(_GYM_MASKS), num_steps)
    for s in range(num_steps):
        if changes[s] < 0.35:
            direction = _WALK_DIRECTIONS[int(new_dirs[s])]
        r = min(max(r + direction[0], 1), height - 2)
        c = min(max(c + direction[1], 1), width - 2)
        for dr, dc in _GYM_MASKS[masks[s]]:
            rr, cc = r + dr, c + dc
            if 0 < rr < height - 1 and 0 < cc < width - 1:
                floor.add(rr * width + cc)
    return sorted(floor)


def _reverse_search(
    width: int, floor: set[int], goals: list[int], player: int, depth: int = 300, max_states: int = 300_000
) -> tuple[list[int], int, int] | None:
    """gym-sokoban's reverse play: a depth-first search from the solved room over 8 actions (pull up, down,
    left, right, then move up, down, left, right), each position scored on its first visit as (pulls on the
    path that reached it) x (total Manhattan displacement of the boxes from their goals), eligible only with
    every box and the player off the goals; the best is returned as (boxes, player, score).

    Same search as gym-sokoban's (depth limit 300, at most 300,000 positions), iterative rather than
    recursive, with positions hashed as integers; every position it returns is solvable by replaying the
    path forwards.
    """
    deltas = (-width, width, -1, 1)
    goal_set = frozenset(goals)
    goal_rc = [divmod(g, width) for g in goals]
    stride = max(floor) + 1
    # per cell: (next cell, cell behind) for each direction the player can step into
    steps: dict[int, list[tuple[int, int]]] = {}
    for cell in floor:
        steps[cell] = [(cell + d, cell - d) for d in deltas if cell + d in floor]
    seen: set[int] = set()
    best: tuple[list[int], int, int] | None = None
    best_score = 0
    mask0 = 0  # the boxes' start (the goals); a position with any box on a goal is not eligible
    for g in goals:
        mask0 |= 1 << g
    # Manhattan distance of every floor cell to each goal (box k belongs to goal k)
    dist = [{c: abs(c // width - gr) + abs(c % width - gc) for c in floor} for gr, gc in goal_rc]
    # stack entries: (player, boxes, box mask, pulls on the path, displacement, depth left)
    stack: list[tuple[int, tuple[int, ...], int, int, int, int]] = [(player, tuple(goals), mask0, 0, 0, depth)]
    pop, push = stack.pop, stack.append
    while stack:
        p, boxes, mask, pulls, disp, ttl = pop()
        ttl -= 1
        if ttl <= 0 or len(seen) >= max_states:
            continue
        key = mask * stride + p
        if key in seen:
            continue
        seen.add(key)
        if pulls * disp > best_score and p not in goal_set and not (mask & mask0):
            best_score, best = pulls * disp, (list(boxes), p, pulls * disp)
        moves = steps[p]
        # pushed in reverse so that they pop in gym-sokoban's order: pulls (up, down, left, right), then moves
        for nxt, _ in reversed(moves):
            if not (mask >> nxt) & 1:
                push((nxt, boxes, mask, pulls, disp, ttl))
        for nxt, behind in reversed(moves):
            if (mask >> nxt) & 1:
                continue
            if (mask >> behind) & 1:
                k = boxes.index(behind)
                d = dist[k]
                push(
                    (
                        nxt,
                        boxes[:k] + (p,) + boxes[k + 1 :],
                        (mask ^ (1 << behind)) | (1 << p),
                        pulls + 1,
                        disp + d[p] - d[behind],
                        ttl,
                    )
                )
            else:
                push((nxt, boxes, mask, pulls, disp, ttl))
    return best


def _carve_room(rng: np.random.Generator, height: int, width: int, num_steps: int) -> list[int]:
    """Floor cells (flat indices) of a connected room carved by a random walk inside a wall border."""
    floor = set()
    r = int(rng.integers(1, height - 1))
    c = int(rng.integers(1, width - 1))
    direction = int(rng.integers(4))
    draws = rng.random(num_steps * 2)
    dirs = rng.integers(0, 4, num_steps)
    brushes = rng.integers(0, len(_BRUSHES), num_steps)
    for s in range(num_steps):
        if draws[s] < 0.35:
            direction = int(dirs[s])
        dr, dc = ACTION_DELTAS[direction]
        r = min(max(r + dr, 1), height - 2)
        c = min(max(c + dc, 1), width - 2)
        for br, bc in _BRUSHES[brushes[s]]:
            rr, cc = r + br, c + bc
            if 0 < rr < height - 1 and 0 < cc < width - 1:
                floor.add(rr * width + cc)
    return sorted(floor)


def _reverse_play(
    rng: np.random.Generator,
    width: int,
    floor: set[int],
    goals: list[int],
    player: int,
    num_moves: int,
    p_seek: float = 0.5,
) -> tuple[list[int], int, int] | None:
    """Random walk of moves and pulls from the solved room; returns the hardest unsolved position seen.

    Each step, with probability ``p_seek`` the player pulls a box next to it (if it can), otherwise it moves in a
    random direction, avoiding an immediate undo of its last move (the walk then travels instead of dithering).
    Moving away from an adjacent box pulls it. Score of a position: total Manhattan displacement of the boxes
    from their goals times (1 + the number of times the pulled box changed); positions with a box on a goal are
    not eligible (as in gym-sokoban).
    """
    deltas = (-width, width, -1, 1)
    opposite = (1, 0, 3, 2)
    boxes = list(goals)  # box k starts on goal k
    where = {b: k for k, b in enumerate(boxes)}
    best: tuple[list[int], int, int] | None = None
    best_score = 0
    switches, last_pulled, last_action = 0, -1, -1
    goal_rc = [divmod(g, width) for g in goals]
    for u, v, w in rng.random((num_moves, 3)).tolist():
        action = -1
        if u < p_seek:
            pulls = [
                a
                for a in range(4)
                if player - deltas[a] in where and player + deltas[a] in floor and player + deltas[a] not in where
            ]
            if pulls:
                action = pulls[int(v * len(pulls))]
        if action < 0:
            action = int(w * 4)
            if last_action >= 0 and action == opposite[last_action]:
                action = int(v * 4)
        d = deltas[action]
        nxt = player + d
        if nxt not in floor or nxt in where:
            continue
        last_action = action
        behind = player - d
        k = where.get(behind)
        if k is not None:
            del where[behind]
            where[player] = k
            boxes[k] = player
            if k != last_pulled:
                switches += 1
                last_pulled = k
        player = nxt
        if k is None:
            continue
        if any(g in where for g in goals):
            continue  # a box sits on some goal: not eligible
        disp = 0
        for b, (gr, gc) in zip(boxes, goal_rc):
            br, bc = divmod(b, width)
            disp += abs(br - gr) + abs(bc - gc)
        score = disp * (1 + switches)
        if score > best_score:
            best_score = score
            best = (list(boxes), player, score)
    return best


GENERATORS = ("dfs", "walk")


def generate_level(
    rng: np.random.Generator,
    dim_room: Sequence[int] = (7, 7),
    num_boxes: int = 2,
    num_gen_steps: int | None = None,
    tries: int = 50,
    restarts: int = 2,
    generator: str = "dfs",
) -> str:
    """A solvable, unsolved level as XSB text, drawn only from ``rng``.

    Carve a connected room, put the player and the goals on floor (boxes on the goals: the solved
    position), then play backwards (moves and pulls); every position reached that way can be solved by
    replaying it forwards. ``generator``:

    * ``"dfs"`` (default): gym-sokoban's method and so its level distribution (its room masks, then its
      depth-first reverse search keeping the position with the highest pulls x box displacement);
    * ``"walk"``: a few random reverse walks (lmmr1's first generator): easier levels (about 75% of the
      optimal solution length of ``"dfs"`` levels), generated faster, for curricula that start easy.
    """
    if generator not in GENERATORS:
        raise ValueError(f"generator must be one of {GENERATORS}, got {generator!r}")
    height, width = int(dim_room[0]), int(dim_room[1])
    if height < 3 or width < 3:
        raise ValueError(f"dim_room must be at least (3, 3), got {tuple(dim_room)}")
    if num_gen_steps is None:
        num_gen_steps = int(1.7 * (height + width))
    for _ in range(tries):
        if generator == "dfs":
            floor_cells = _carve_room_gym(rng, height, width, num_gen_steps)
        else:
            floor_cells = _carve_room(rng, height, width, num_gen_steps)
        if len(floor_cells) < num_boxes + 2:
            continue
        picks = rng.choice(len(floor_cells), size=num_boxes + 1, replace=False)
        player = floor_cells[picks[0]]
        goals = [floor_cells[i] for i in picks[1:]]
        floor_set = set(floor_cells)
        found = None
        if generator == "dfs":
            found = _reverse_search(width, floor_set, goals, player)
        else:
            for _ in range(restarts):  # keep the hardest of a few reverse walks
                walk = _reverse_play(rng, width, floor_set, goals, player, num_moves=max(200, 8 * len(floor_cells)))
                if walk is not None and (found is None or walk[2] > found[2]):
                    found = walk
        if found is None:
            continue
        boxes, player, _ = found
        walls = set(range(height * width)) - set(floor_cells)
        return format_xsb(height, width, walls, goals, boxes, player)
    raise RuntimeError(
        f"could not generate a {height}x{width} level with {num_boxes} boxes in {tries} tries; "
        "use a larger room or fewer boxes"
    )


# ---------------------------------------------------------------------------------------------
# solver (breadth-first over positions; exact shortest move count, fine for small rooms)
# ---------------------------------------------------------------------------------------------
def solve(level: Level | str, max_states: int = 500_000) -> list[int] | None:
    """Shortest move list (actions 0-3) that solves the level, or None if none exists within ``max_states``."""
    if isinstance(level, str):
        level = parse_xsb(level)
    h, w = level.height, level.width
    walls, goals = level.walls, level.goals
    start = (level.player, frozenset(level.boxes))
    if start[1] <= goals:
        return []
    deltas = tuple(dr * w + dc for dr, dc in ACTION_DELTAS)

    def inside(i: int, a: int) -> bool:
        r, c = divmod(i, w)
        dr, dc = ACTION_DELTAS[a]
        return 0 <= r + dr < h and 0 <= c + dc < w

    parent: dict[tuple[int, frozenset[int]], tuple[tuple[int, frozenset[int]], int] | None] = {start: None}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        player, boxes = state
        for a in range(4):
            if not inside(player, a):
                continue
            t = player + deltas[a]
            if t in walls:
                continue
            if t in boxes:
                if not inside(t, a):
                    continue
                beyond = t + deltas[a]
                if beyond in walls or beyond in boxes:
                    continue
                new_boxes = (boxes - {t}) | {beyond}
            else:
                new_boxes = boxes
            nxt = (t, new_boxes)
            if nxt in parent:
                continue
            parent[nxt] = (state, a)
            if new_boxes <= goals:
                moves = []
                node: Any = nxt
                while parent[node] is not None:
                    node, act = parent[node]
                    moves.append(act)
                return moves[::-1]
            if len(parent) >= max_states:
                return None
            queue.append(nxt)
    return None


# ---------------------------------------------------------------------------------------------
# rendering (sprites drawn here, any tile size)
# ---------------------------------------------------------------------------------------------
T_WALL, T_FLOOR, T_GOAL, T_BOX, T_BOX_ON_GOAL, T_PLAYER, T_PLAYER_ON_GOAL = range(7)
_SPRITE_CACHE: dict[int, np.ndarray] = {}


def _disc(yy: np.ndarray, xx: np.ndarray, cy: float, cx: float, radius: float) -> np.ndarray:
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2


def tile_sprites(tile: int) -> np.ndarray:
    """The 7 tiles (wall, floor, goal, box, box on goal, player, player on goal) as uint8 (7, tile, tile, 3)."""
    cached = _SPRITE_CACHE.get(tile)
    if cached is not None:
        return cached
    if tile < 4:
        raise ValueError(f"tile size must be at least 4 pixels, got {tile}")
    yy, xx = np.mgrid[0:tile, 0:tile].astype(np.float32) + 0.5
    s = tile / 16.0
    floor = np.empty((tile, tile, 3), np.uint8)
    floor[:] = (40, 40, 48)
    floor[(yy < 1) | (xx < 1)] = (52, 52, 62)

    wall = np.empty_like(floor)
    wall[:] = (150, 62, 42)  # brick
    brick_h = max(2, tile // 4)
    row = (yy // brick_h).astype(int)
    offset = np.where(row % 2 == 0, 0, tile // 2)
    mortar = ((yy % brick_h) < max(1, s)) | (((xx + offset) % max(2, tile // 2)) < max(1, s))
    wall[mortar] = (96, 92, 88)

    goal = floor.copy()
    ring = _disc(yy, xx, tile / 2, tile / 2, 3.5 * s) & ~_disc(yy, xx, tile / 2, tile / 2, 2.0 * s)
    goal[ring] = (226, 54, 54)
    goal[_disc(yy, xx, tile / 2, tile / 2, 1.2 * s)] = (226, 54, 54)

    def crate(base: tuple[int, int, int], edge: tuple[int, int, int]) -> np.ndarray:
        img = floor.copy()
        m = max(1, int(round(1.5 * s)))
        inner = (yy >= m) & (yy < tile - m) & (xx >= m) & (xx < tile - m)
        img[inner] = base
        border = inner & (
            (yy < m + max(1, s)) | (yy >= tile - m - max(1, s)) | (xx < m + max(1, s)) | (xx >= tile - m - max(1, s))
        )
        diag = inner & ((np.abs(yy - xx) < max(1.0, s)) | (np.abs(yy + xx - tile) < max(1.0, s)))
        img[border | diag] = edge
        return img

    box = crate((222, 172, 40), (120, 84, 20))
    box_on_goal = crate((70, 190, 90), (24, 96, 40))

    def person(background: np.ndarray) -> np.ndarray:
        img = background.copy()
        body = _disc(yy, xx, tile * 0.66, tile / 2, 4.2 * s) & (yy < tile - 1.5 * s)
        head = _disc(yy, xx, tile * 0.30, tile / 2, 2.8 * s)
        img[body] = (40, 200, 120)
        img[head] = (245, 214, 170)
        eyes = (np.abs(yy - tile * 0.28) < 0.6 * s + 0.2) & (
            (np.abs(xx - (tile / 2 - 1.1 * s)) < 0.6 * s + 0.2) | (np.abs(xx - (tile / 2 + 1.1 * s)) < 0.6 * s + 0.2)
        )
        img[eyes & head] = (20, 20, 20)
        return img

    player = person(floor)
    player_on_goal = person(goal)
    sprites = np.stack([wall, floor, goal, box, box_on_goal, player, player_on_goal])
    sprites.setflags(write=False)
    _SPRITE_CACHE[tile] = sprites
    return sprites


def render_tiles(tiles: np.ndarray, tile: int) -> np.ndarray:
    """(H, W) tile codes -> (H*tile, W*tile, 3) uint8 image."""
    sprites = tile_sprites(tile)
    h, w = tiles.shape
    return sprites[tiles].transpose(0, 2, 1, 3, 4).reshape(h * tile, w * tile, 3)


# ---------------------------------------------------------------------------------------------
# gymnasium environment
# ---------------------------------------------------------------------------------------------
import gymnasium as gym  # noqa: E402  (kept below the pure helpers on purpose: readers see the rules first)
from gymnasium import spaces  # noqa: E402


class SokobanEnv(gym.Env):
    """Sokoban: push every box onto a goal.

    ## Description
    A room of walls, floor and goals holds boxes and the player. Levels are generated by reverse play from a
    solved position (so every level is solvable and starts unsolved) by gym-sokoban's method, so they are as
    hard as gym-sokoban's (``benchmarks/results/envs.md``), with its argument names (``dim_room``,
    ``num_boxes``, ``max_steps``, ``num_gen_steps``); ``generator="walk"`` draws easier levels. Or a level is
    loaded as XSB text with ``reset(options={"level": xsb})`` / ``gym.make(..., level=xsb)``.

    ## Action Space
    ``Discrete(4)``: 0 up, 1 down, 2 left, 3 right (``ACTION_NAMES``). The player moves one cell and pushes a
    single box ahead of it; a move into a wall or a box that cannot move leaves the state unchanged.

    ## Observation Space
    ``obs_mode="rgb"``: ``Box(0, 255, (H*tile, W*tile, 3), uint8)`` drawn with this package's tile sprites
    (``tile_size`` pixels per cell, 16 by default: 112x112 for 7x7, a multiple of Qwen2.5-VL's 28-pixel
    patches). ``obs_mode="text"``: the whole room as XSB text (``Text``). ``obs_mode="both"``: a ``Dict`` with
    ``image`` and ``text``. The XSB text is always in ``info["xsb"]``.

    ## Rewards
    As gym-sokoban: -0.1 per step, +1 when a push puts a box on a goal, -1 when a push takes one off,
    +10 when all boxes are on goals.

    ## Starting State
    A generated level drawn from ``self.np_random`` (seeded by ``reset(seed=...)``), or the given level.

    ## Episode End
    Terminated when all boxes are on goals; truncated after ``max_steps`` steps (120 by default).
    """

    metadata = {"render_modes": ["rgb_array", "ansi"], "render_fps": 4}

    def __init__(
        self,
        dim_room: Sequence[int] = (7, 7),
        num_boxes: int = 2,
        max_steps: int = 120,
        num_gen_steps: int | None = None,
        obs_mode: str = "rgb",
        generator: str = "dfs",
        tile_size: int = 16,
        level: str | None = None,
        render_mode: str | None = None,
    ):
        if obs_mode not in ("rgb", "text", "both"):
            raise ValueError(f"obs_mode must be 'rgb', 'text' or 'both', got {obs_mode!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}, got {render_mode!r}")
        self.fixed_level = parse_xsb(level) if level is not None else None
        if self.fixed_level is not None:
            dim_room, num_boxes = self.fixed_level.shape, len(self.fixed_level.boxes)
        self.dim_room = (int(dim_room[0]), int(dim_room[1]))
        self.num_boxes = int(num_boxes)
        self.max_steps = int(max_steps)
        self.num_gen_steps = num_gen_steps
        if generator not in GENERATORS:
            raise ValueError(f"generator must be one of {GENERATORS}, got {generator!r}")
        self.generator = generator
        self.obs_mode = obs_mode
        self.tile_size = int(tile_size)
        self.render_mode = render_mode

        h, w = self.dim_room
        image_space = spaces.Box(0, 255, (h * self.tile_size, w * self.tile_size, 3), np.uint8)
        text_space = spaces.Text(max_length=h * (w + 1), min_length=1, charset=XSB_CHARS)
        if obs_mode == "rgb":
            self.observation_space = image_space
        elif obs_mode == "text":
            self.observation_space = text_space
        else:
            self.observation_space = spaces.Dict({"image": image_space, "text": text_space})
        self.action_space = spaces.Discrete(4)
        self.game: SokobanGame | None = None
        self._tiles: np.ndarray | None = None
        self.last_reward = 0.0

    # -- helpers --------------------------------------------------------------------------------
    def _build_tiles(self) -> None:
        g = self.game
        tiles = np.full(g.height * g.width, T_FLOOR, dtype=np.intp)
        tiles[list(g.walls)] = T_WALL
        tiles[list(g.goals)] = T_GOAL
        self._static = tiles.copy()
        for b in g.boxes:
            tiles[b] = T_BOX_ON_GOAL if b in g.goals else T_BOX
        tiles[g.player] = T_PLAYER_ON_GOAL if g.player in g.goals else T_PLAYER
        self._tiles = tiles

    def _update_tiles(self, old_player: int, old_box: int | None, new_box: int | None) -> None:
        g, tiles = self.game, self._tiles
        tiles[old_player] = self._static[old_player]
        if new_box is not None:
            tiles[new_box] = T_BOX_ON_GOAL if new_box in g.goals else T_BOX
        tiles[g.player] = T_PLAYER_ON_GOAL if g.player in g.goals else T_PLAYER

    def image(self) -> np.ndarray:
        """The current frame (H*tile, W*tile, 3) uint8."""
        h, w = self.game.height, self.game.width
        return render_tiles(self._tiles.reshape(h, w), self.tile_size)

    def _obs(self) -> Any:
        if self.obs_mode == "rgb":
            return self.image()
        if self.obs_mode == "text":
            return self.game.to_xsb()
        return {"image": self.image(), "text": self.game.to_xsb()}

    def _info(self, **extra: Any) -> dict[str, Any]:
        g = self.game
        info = {
            "xsb": g.to_xsb(),
            "steps": g.steps,
            "boxes_on_target": g.boxes_on_goal,
            "num_boxes": g.num_boxes,
            "all_boxes_on_target": g.solved,
        }
        info.update(extra)
        return info

    # -- gymnasium API --------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = options or {}
        level = options.get("level")
        if level is None and self.fixed_level is not None:
            parsed = self.fixed_level
        elif level is None:
            xsb = generate_level(
                self.np_random, self.dim_room, self.num_boxes, self.num_gen_steps, generator=self.generator
            )
            parsed = parse_xsb(xsb)
        elif isinstance(level, np.ndarray):
            parsed = level_from_npy_array(level)
        elif isinstance(level, Level):
            parsed = level
        else:
            parsed = parse_xsb(str(level))
        if parsed.shape != self.dim_room and self.obs_mode != "text":
            raise LevelError(
                f"level is {parsed.shape[0]}x{parsed.shape[1]} but this env's observation space is for "
                f"dim_room={self.dim_room}; create the env for it: gym.make('lmmr1/Sokoban-v0', level=xsb)"
            )
        self.game = SokobanGame(parsed)
        self._build_tiles()
        self.last_reward = 0.0
        return self._obs(), self._info()

    def step(self, action: int):
        if self.game is None:
            raise RuntimeError("call reset() before step()")
        action = int(action)
        if not 0 <= action < 4:
            raise ValueError(f"action must be 0-3 (up, down, left, right), got {action}")
        g = self.game
        old_player = g.player
        reward, moved_player, moved_box = g.step(action)
        if moved_player:
            new_box = g.player + (g.player - old_player) if moved_box else None
            self._update_tiles(old_player, g.player if moved_box else None, new_box)
        self.last_reward = reward
        terminated = g.solved
        truncated = not terminated and g.steps >= self.max_steps
        info = self._info(
            **{"action.name": ACTION_NAMES[action], "action.moved_player": moved_player, "action.moved_box": moved_box}
        )
        return self._obs(), float(reward), terminated, truncated, info

    def render(self):
        if self.game is None:
            return None
        if self.render_mode == "ansi":
            return self.game.to_xsb()
        if self.render_mode == "rgb_array":
            return self.image()
        return None


__all__ = [
    "ACTION_NAMES",
    "ACTION_DELTAS",
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
