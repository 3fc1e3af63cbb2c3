"""A small breadth-first Sokoban solver (exact shortest move count; the tests and ``lmmr1 data generate sokoban --solve``)."""

from __future__ import annotations

from collections import deque
from typing import Any

from lmmr1.envs.sokoban.game import ACTION_DELTAS
from lmmr1.envs.sokoban.level import Level, parse_xsb


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
