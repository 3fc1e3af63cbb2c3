"""Drawing the pitch, the players and the ball into the RGB frame a model sees (numpy + Pillow)."""

from __future__ import annotations

import numpy as np

from .scenarios import GK, GOAL_Y, PITCH_Y


# ---------------------------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------------------------
class _Renderer:
    """Pitch drawn once with Pillow; players and ball stamped with numpy each frame."""

    LEFT_COLOR = (250, 214, 40)  # yellow shirts, as MageBench describes GRF's left team
    RIGHT_COLOR = (60, 110, 235)
    KEEPER_SHADE = 0.7

    def __init__(self, frame_size: tuple[int, int]):
        from PIL import Image, ImageDraw

        self.width, self.height = frame_size
        self.margin = max(4, self.width // 28)
        w, h, m = self.width, self.height, self.margin
        img = Image.new("RGB", (w, h), (46, 130, 60))
        draw = ImageDraw.Draw(img)
        stripes = 10
        for s in range(stripes):
            if s % 2:
                x0 = m + (w - 2 * m) * s // stripes
                x1 = m + (w - 2 * m) * (s + 1) // stripes
                draw.rectangle([x0, m, x1, h - m], fill=(52, 142, 66))
        line = (235, 240, 235)
        draw.rectangle([self.px(-1, -PITCH_Y), self.px(1, PITCH_Y)], outline=line)
        draw.line([self.px(0, -PITCH_Y), self.px(0, PITCH_Y)], fill=line)
        cx, cy = self.px(0, 0)
        r = int(0.09 * self.sx)
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=line)
        for side in (-1, 1):
            box = sorted([side * 1.0, side * (1 - 0.16)])
            draw.rectangle([self.px(box[0], -0.2), self.px(box[1], 0.2)], outline=line)
            gx = [side * 1.0, side * 1.025]
            draw.rectangle([self.px(min(gx), -GOAL_Y), self.px(max(gx), GOAL_Y)], fill=(250, 250, 250))
        self.background = np.asarray(img, dtype=np.uint8).copy()
        self.radius = max(2, int(round(0.016 * self.sx)))
        self.ball_radius = max(1, int(round(0.009 * self.sx)))
        self.stamps = {
            "left": self._disc_stamp(self.radius, self.LEFT_COLOR),
            "left_gk": self._disc_stamp(self.radius, tuple(int(c * self.KEEPER_SHADE) for c in self.LEFT_COLOR)),
            "right": self._disc_stamp(self.radius, self.RIGHT_COLOR),
            "right_gk": self._disc_stamp(self.radius, tuple(int(c * self.KEEPER_SHADE) for c in self.RIGHT_COLOR)),
            "active": self._ring_stamp(self.radius + 2, (255, 255, 255)),
            "ball": self._disc_stamp(self.ball_radius, (255, 255, 255), outline=(20, 20, 20)),
            "shadow": self._disc_stamp(self.ball_radius, (25, 70, 30)),
        }

    @property
    def sx(self) -> float:
        return (self.width - 2 * self.margin) / 2.0

    @property
    def sy(self) -> float:
        return (self.height - 2 * self.margin) / (2 * PITCH_Y)

    def px(self, x: float, y: float) -> tuple[int, int]:
        return (int(round(self.margin + (x + 1) * self.sx)), int(round(self.margin + (y + PITCH_Y) * self.sy)))

    @staticmethod
    def _disc_stamp(r: int, color, outline=None):
        yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
        d2 = xx**2 + yy**2
        mask = d2 <= r * r + r
        rgb = np.zeros((2 * r + 1, 2 * r + 1, 3), np.uint8)
        rgb[mask] = color
        if outline is not None:
            rgb[mask & (d2 >= (r - 1) ** 2 + (r - 1))] = outline
        return mask, rgb

    @staticmethod
    def _ring_stamp(r: int, color):
        yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
        d2 = xx**2 + yy**2
        mask = (d2 <= r * r + r) & (d2 >= (r - 1) ** 2)
        rgb = np.zeros((2 * r + 1, 2 * r + 1, 3), np.uint8)
        rgb[mask] = color
        return mask, rgb

    def _stamp(self, frame: np.ndarray, cx: int, cy: int, stamp) -> None:
        mask, rgb = stamp
        r = mask.shape[0] // 2
        y0, y1, x0, x1 = cy - r, cy + r + 1, cx - r, cx + r + 1
        fy0, fx0 = max(y0, 0), max(x0, 0)
        fy1, fx1 = min(y1, frame.shape[0]), min(x1, frame.shape[1])
        if fy0 >= fy1 or fx0 >= fx1:
            return
        m = mask[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0]
        frame[fy0:fy1, fx0:fx1][m] = rgb[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0][m]

    def draw_positions(
        self,
        left: np.ndarray,
        right: np.ndarray,
        left_roles: np.ndarray,
        right_roles: np.ndarray,
        active: int,
        ball: np.ndarray,
        score,
    ) -> np.ndarray:
        """The frame from positions alone, so both engines (lmmr1's and GRF) show a model the same picture."""
        frame = self.background.copy()
        for side, pos, roles in (("left", left, left_roles), ("right", right, right_roles)):
            for k in range(len(pos)):
                cx, cy = self.px(pos[k, 0], pos[k, 1])
                self._stamp(frame, cx, cy, self.stamps[f"{side}_gk" if roles[k] == GK else side])
        if 0 <= active < len(left):
            ax, ay = self.px(left[active, 0], left[active, 1])
            self._stamp(frame, ax, ay, self.stamps["active"])
        bx, by = self.px(ball[0], ball[1])
        if ball[2] > 0.005:
            self._stamp(frame, bx, by, self.stamps["shadow"])
            by -= int(round(ball[2] * self.sy * 2))
        self._stamp(frame, bx, by, self.stamps["ball"])
        # score pips along the top margin: left team's goals on the left, right team's on the right
        for g in range(min(int(score[0]), 10)):
            frame[1:3, self.margin + 4 * g : self.margin + 4 * g + 3] = self.LEFT_COLOR
        for g in range(min(int(score[1]), 10)):
            x = self.width - self.margin - 4 * g - 3
            frame[1:3, x : x + 3] = self.RIGHT_COLOR
        return frame
