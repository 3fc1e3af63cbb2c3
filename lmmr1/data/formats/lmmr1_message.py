"""LMM-R1's JSONL: one object per line with

* ``message`` - a *stringified* OpenAI-style message list, e.g.
  ``[{"role": "user", "content": [{"type": "image", "image": "file:///data/1.jpg"}, {"type": "text", "text": "..."}]}]``
  (a real list is accepted too);
* ``answer`` - the gold answer, e.g. ``$\\boxed{60}$``;
* optional ``id`` (and ``data_source``).

Images are embedded in message order; each image item becomes one ``<image>`` placeholder at its place in
the text, which is how verl's RLHFDataset pairs them back.
"""

from __future__ import annotations

import ast
import json
from typing import Any

import pyarrow as pa

from lmmr1.data.errors import BadRow
from lmmr1.data.formats.base import (
    PrepareOptions,
    Source,
    jsonl_source,
    row_identity,
)
from lmmr1.data.images import ImageProblem, load_image
from lmmr1.data.schema import IMAGE_PLACEHOLDER, build_row, normalize_gold, stray_placeholder, with_system

ROLES = ("system", "user", "assistant")
EXTRA_FIELDS = [("source_file", pa.string())]


def parse_message_list(raw: Any) -> list[Any]:
    """The message list from a JSON string (or a Python-literal string, as some dumps are), or a list."""
    if isinstance(raw, list):
        return raw
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("the 'message' field is missing or empty")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            raise ValueError(
                f"the 'message' field is not a JSON message list ({exc.msg} at column {exc.colno})"
            ) from None
    if not isinstance(value, list):
        raise ValueError(f"the 'message' field holds a {type(value).__name__}, expected a list of messages")
    return value


def convert_messages(
    messages: list[Any],
    base_dir: str,
    image_root: str | None,
    prefix_map: tuple[tuple[str, str], ...] = (),
    ends_with: str = "user",
) -> tuple[list[dict[str, str]], list[bytes]]:
    """OpenAI-style messages -> (verl messages with ``<image>`` placeholders, embedded images in order).

    ``ends_with``: the role of the last turn, "user" for an RL prompt, "assistant" for an SFT conversation.
    """
    out: list[dict[str, str]] = []
    images: list[bytes] = []
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict) or "role" not in msg or "content" not in msg:
            raise ValueError(f"message {i} is not an object with 'role' and 'content'")
        role = msg["role"]
        if role not in ROLES:
            raise ValueError(f"message {i} has role {role!r}; expected one of {', '.join(ROLES)}")
        content = msg["content"]
        if isinstance(content, str):
            parts = [content]
        elif isinstance(content, list):
            parts = []
            for j, item in enumerate(content):
                if isinstance(item, str):
                    parts.append(item)
                    continue
                if not isinstance(item, dict):
                    raise ValueError(f"message {i} content item {j} is a {type(item).__name__}, expected an object")
                kind = item.get("type") or ("image" if "image" in item else "text" if "text" in item else None)
                if kind == "text":
                    if not isinstance(item.get("text"), str):
                        raise ValueError(f"message {i} content item {j} has no 'text' string")
                    parts.append(item["text"])
                elif kind in ("image", "image_url"):
                    ref = item.get("image", item.get("image_url"))
                    if ref is None:
                        raise ValueError(f"message {i} content item {j} is an image without an 'image' value")
                    try:
                        images.append(load_image(ref, base_dir, image_root, prefix_map).data)
                    except ImageProblem as exc:
                        raise ImageProblem(f"message {i} content item {j}: {exc}") from None
                    parts.append(IMAGE_PLACEHOLDER)
                else:
                    raise ValueError(
                        f"message {i} content item {j} has unsupported type {kind!r} (text and image only)"
                    )
        else:
            raise ValueError(f"message {i} content is a {type(content).__name__}, expected text or a list")
        text = "".join(parts)
        for part in parts:
            if part != IMAGE_PLACEHOLDER and (IMAGE_PLACEHOLDER in part or stray_placeholder(part)):
                token = IMAGE_PLACEHOLDER if IMAGE_PLACEHOLDER in part else stray_placeholder(part)
                raise ValueError(
                    f"message {i} text contains a literal {token!r}, which verl reads as a media "
                    "placeholder; rephrase it"
                )
        out.append({"role": role, "content": text})
    if not any(m["role"] == "user" for m in out):
        raise ValueError("the message list has no user turn")
    if out[-1]["role"] != ends_with:
        what = (
            "an RL prompt must end with the user turn"
            if ends_with == "user"
            else ("an SFT conversation must end with the assistant's reply")
        )
        raise ValueError(f"the last message is a {out[-1]['role']!r} turn; {what}")
    if any(m["role"] == "system" for m in out[1:]):
        raise ValueError("a system message may only come first")
    return out, images


def open_source(inputs: list[str], opts: PrepareOptions) -> Source:
    return jsonl_source(inputs, opts, _row, EXTRA_FIELDS)


def _row(obj: Any, where: str, index: int, path: str, base_dir: str, opts: PrepareOptions) -> Any:
    if not isinstance(obj, dict):
        return BadRow(
            where, f"the line holds a JSON {type(obj).__name__}, expected an object with 'message' and 'answer'"
        )
    try:
        messages, images = convert_messages(
            parse_message_list(obj.get("message")), base_dir, opts.image_root, opts.image_prefix_map
        )
    except (ValueError, ImageProblem) as exc:
        return BadRow(where, str(exc))
    if "answer" not in obj:
        return BadRow(where, "the 'answer' field is missing")
    try:
        gold = normalize_gold(obj["answer"])
    except ValueError as exc:
        return BadRow(where, str(exc))
    if opts.suffix:
        last = messages[-1]
        messages[-1] = {"role": "user", "content": last["content"] + opts.suffix}
    messages = with_system(messages, opts.system_prompt, opts.override_system)
    data_source, extra_info = row_identity(obj, opts, path, index)
    return build_row(
        data_source=data_source,
        messages=messages,
        images=images,
        ground_truth=gold,
        extra_info={**extra_info, "answer": str(obj["answer"])},
    )
