"""A Sokoban level set written by ``lmmr1 data generate sokoban ... --output DIR``.

Layout read here: ``DIR/levels.jsonl`` with one ``{"id", "seed", "xsb"}`` object per line, plus the first
frame of each level as a PNG (named by an ``image``/``png``/``frame`` field of the line, or
``DIR/{id}.png``, ``DIR/images/{id}.png``, ``DIR/frames/{id}.png``). Without a PNG (or with
``--render``) the frame is drawn by ``lmmr1.envs`` (``lmmr1/Sokoban-v0``, ``reset(options={"level": xsb})``).

Rows follow LMM-R1's global setting: one image of the first frame, the model answers with the whole move
list; ``ground_truth`` is the level's XSB text (the reward replays the moves on it) and ``agent_name``
selects the verl agent loop (verl's ``single_turn_agent`` unless ``--agent-name`` names a multi-turn one).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from lmmr1.data.errors import BadRow, DataError
from lmmr1.data.formats.base import PrepareOptions, Source, count_lines, iter_jsonl, numbered_items
from lmmr1.data.images import ImageProblem, load_image
from lmmr1.data.schema import DEFAULT_AGENT, build_row, place_images, with_system
from lmmr1.prompts import SOKOBAN_AGENT_NAMES, sokoban_prompt

LEVELS_FILE = "levels.jsonl"
EXTRA_FIELDS = [("seed", pa.int64()), ("width", pa.int64()), ("height", pa.int64()), ("boxes", pa.int64())]


def default_user_text(agent: str) -> str:
    """The generator's user prompt for the task behind ``agent`` (global plan unless it is the online loop)."""
    task = {name: task for task, name in SOKOBAN_AGENT_NAMES.items()}.get(agent, "global")
    return sokoban_prompt(task)[-1]["content"]


def check_xsb(xsb: Any) -> tuple[int, int, int]:
    """(width, height, boxes) of a playable XSB level; ValueError otherwise.

    Uses the environment's own parser when lmmr1.envs is installed, so both sides agree on validity.
    """
    if not isinstance(xsb, str) or not xsb.strip():
        raise ValueError("the 'xsb' field is missing or empty")
    try:
        from lmmr1.envs.sokoban import LevelError, parse_xsb
    except ImportError:  # envs not installed: a structural check
        rows = [r for r in xsb.split("\n") if r.strip()]
        players = sum(r.count("@") + r.count("+") for r in rows)
        boxes = sum(r.count("$") + r.count("*") for r in rows)
        goals = sum(r.count(".") + r.count("+") + r.count("*") for r in rows)
        if players != 1:
            raise ValueError(f"XSB level must have exactly one player ('@' or '+'), found {players}") from None
        if boxes == 0 or boxes != goals:
            raise ValueError(
                f"XSB level has {boxes} boxes and {goals} goals; need at least one and equal counts"
            ) from None
        return max(len(r) for r in rows), len(rows), boxes
    try:
        level = parse_xsb(xsb)
    except LevelError as exc:
        raise ValueError(f"invalid XSB level: {exc}") from None
    return level.width, level.height, len(level.boxes)


def render_first_frame(xsb: str) -> bytes:
    """PNG bytes of the level's first frame, drawn by the environment."""
    try:
        import gymnasium as gym

        import lmmr1.envs  # noqa: F401  (registers lmmr1/Sokoban-v0)
    except ImportError as exc:
        raise ImageProblem(f"no first-frame PNG and lmmr1.envs cannot render it ({exc})") from None
    from PIL import Image

    env = gym.make("lmmr1/Sokoban-v0", render_mode="rgb_array")
    try:
        obs, _ = env.reset(options={"level": xsb})
        frame = env.render()
        if frame is None:
            frame = obs["image"] if isinstance(obs, dict) else obs
    finally:
        env.close()
    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, format="PNG")
    return buf.getvalue()


def _frame_path(directory: str, obj: dict[str, Any]) -> str | None:
    """The level's frame, as an absolute path (load_image resolves relative paths against ``directory``
    itself, so a relative ``directory`` joined here as well would be joined twice)."""
    for key in ("image", "png", "frame"):
        if isinstance(obj.get(key), str):
            return os.path.abspath(os.path.join(directory, obj[key]))
    lid = str(obj.get("id"))
    for candidate in (f"{lid}.png", os.path.join("images", f"{lid}.png"), os.path.join("frames", f"{lid}.png")):
        path = os.path.join(directory, candidate)
        if os.path.exists(path):
            return os.path.abspath(path)
    return None


def open_source(inputs: list[str], opts: PrepareOptions) -> Source:
    for directory in inputs:
        if not os.path.isfile(os.path.join(directory, LEVELS_FILE)):
            raise DataError(
                f"{directory}: not a Sokoban level set (no {LEVELS_FILE}); create one with "
                "`lmmr1 data generate sokoban ... --output DIR`"
            )
    agent = opts.agent_name or DEFAULT_AGENT
    try:
        user_text = place_images(opts.instruction or default_user_text(agent), 1)
    except ValueError as exc:
        raise DataError(f"--instruction: {exc}") from None

    def items() -> Iterator[Any]:
        records = (
            (f"{path}:{lineno}", obj, directory)
            for directory in inputs
            for path in [os.path.join(directory, LEVELS_FILE)]
            for lineno, obj in iter_jsonl(path)
        )
        yield from numbered_items(
            records, lambda obj, where, index, directory: _row(obj, where, index, directory, user_text, agent, opts)
        )

    total = sum(count_lines(os.path.join(d, LEVELS_FILE)) for d in inputs)
    return Source(extra_fields=EXTRA_FIELDS, total=total, items=items, agent=True)


def _row(obj: Any, where: str, index: int, directory: str, user_text: str, agent: str, opts: PrepareOptions) -> Any:
    if not isinstance(obj, dict):
        return BadRow(where, f"the line holds a JSON {type(obj).__name__}, expected an object with id, seed, xsb")
    if obj.get("id") in (None, ""):
        return BadRow(where, "the 'id' field is missing")
    try:
        width, height, boxes = check_xsb(obj.get("xsb"))
    except ValueError as exc:
        return BadRow(where, str(exc))
    xsb = obj["xsb"]
    try:
        frame = None if opts.render else _frame_path(directory, obj)
        image = load_image(frame, directory).data if frame else render_first_frame(xsb)
    except ImageProblem as exc:
        return BadRow(where, str(exc))
    seed = obj.get("seed")
    messages = with_system([{"role": "user", "content": user_text}], opts.system_prompt, True)
    return build_row(
        data_source=opts.data_source or "sokoban",
        messages=messages,
        images=[image],
        ground_truth=xsb,
        extra_info={
            "index": index,
            "id": str(obj["id"]),
            "split": opts.split,
            "answer": None,
            "seed": seed if isinstance(seed, int) and -(2**63) <= seed < 2**63 else None,
            "width": width,
            "height": height,
            "boxes": boxes,
        },
        agent_name=agent,
    )
