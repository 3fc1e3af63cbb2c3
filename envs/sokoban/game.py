"""Sokoban's rules on a flat grid, with gym-sokoban's rewards (no rendering, no gymnasium API).

The global reward (``lmmr1.rewards.sokoban``) replays move lists with :class:`SokobanGame`: a few microseconds
per move.
"""

from __future__ import annotations

from lmmr1.envs.sokoban.level import Level, format_xsb, parse_xsb

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
