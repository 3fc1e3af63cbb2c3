"""Sokoban tile sprites, drawn here at any tile size (no image files)."""

from __future__ import annotations

import numpy as np

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
