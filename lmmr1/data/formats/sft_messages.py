"""Conversations for SFT stages (``--format sft-messages``): JSONL, one conversation per line, in any of

* ``{"messages": [...]}`` - OpenAI-style turns ending with the assistant's reply; a turn's content is text
  or a list of ``{"type": "text"|"image", ...}`` parts (images embedded in order);
* ``{"messages": [...], "images": ["a.jpg", ...]}`` - text turns with ``<image>`` placeholders and the
  images listed in order (the ShareGPT / LLaMA-Factory layout R1-Onevision's SFT data uses);
* ``{"message": "[...]", "response": "..."}`` - LMM-R1's stringified prompt list plus the reply;
* ``{"prompt": "...", "response": "...", "images": [...]}`` - a prompt-response pair;
* ``{"conversations": [{"from": "human"|"gpt"|"system", "value": "..."}], "image": "a.jpg"}`` - the ShareGPT /
  LLaVA layout (LLaVA-CoT-100k); ``image`` may be a list. As in LLaVA's own loader, an image the text does not
  place with ``<image>`` goes before the first human turn's text.

Every row is checked as the RL formats are (FILE:LINE errors, ``--skip-bad``); the system prompt policy is
the same (a conversation's own system turn is kept unless ``--system-prompt`` is given). Output: verl's
SFT layout (``lmmr1.data.schema.sft_schema``).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from lmmr1.data.errors import BadRow, DataError
from lmmr1.data.formats.base import (
    PrepareOptions,
    Source,
    jsonl_source,
    row_identity,
)
from lmmr1.data.formats.lmmr1_message import convert_messages, parse_message_list
from lmmr1.data.images import ImageProblem, load_image
from lmmr1.data.schema import IMAGE_PLACEHOLDER, build_sft_row, count_placeholders, with_system

EXTRA_FIELDS = [("source_file", pa.string())]
FORMS = (
    "'messages' (optionally with 'images'), 'conversations' (ShareGPT: from/value, optionally with 'image'), "
    "'message' + 'response', or 'prompt' + 'response'"
)
# ShareGPT speakers and the chat roles they are
SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system"}


def open_source(inputs: list[str], opts: PrepareOptions) -> Source:
    if opts.suffix:
        raise DataError("--suffix appends to RL questions; sft-messages keeps each conversation as written")
    return jsonl_source(inputs, opts, _row, EXTRA_FIELDS, kind="sft")


def _sharegpt_turns(obj: dict[str, Any]) -> list[dict[str, str]]:
    turns = obj["conversations"]
    if not isinstance(turns, list) or not turns:
        raise ValueError("'conversations' must be a non-empty list of {from, value} turns")
    out = []
    for i, turn in enumerate(turns):
        if not isinstance(turn, dict) or "from" not in turn or "value" not in turn:
            raise ValueError(f"conversations[{i}] must be an object with 'from' and 'value'")
        role = SHAREGPT_ROLES.get(str(turn["from"]).lower())
        if role is None:
            raise ValueError(
                f"conversations[{i}].from = {turn['from']!r}; accepted: {', '.join(sorted(SHAREGPT_ROLES))}"
            )
        if not isinstance(turn["value"], str):
            raise ValueError(f"conversations[{i}].value must be text")
        out.append({"role": role, "content": turn["value"]})
    refs = _image_refs(obj)
    if refs and not any(count_placeholders(t["content"]) for t in out):
        first = next((t for t in out if t["role"] == "user"), None)
        if first is None:
            raise ValueError("an 'image' is given but the conversation has no human turn to show it in")
        first["content"] = IMAGE_PLACEHOLDER * len(refs) + "\n" + first["content"]
    return out


def _image_refs(obj: dict[str, Any]) -> list[Any]:
    """The images listed next to text turns: ``images`` or (ShareGPT / LLaVA) ``image``, one or a list."""
    if obj.get("images") and obj.get("image"):
        raise ValueError("both 'images' and 'image' are given; use one of the two")
    refs = obj.get("images") or obj.get("image") or []
    return list(refs) if isinstance(refs, list) else [refs]


def _turns(obj: dict[str, Any]) -> list[Any]:
    """The conversation as an OpenAI-style list, whichever of the accepted forms the line uses."""
    if "conversations" in obj:
        return _sharegpt_turns(obj)
    if "messages" in obj:
        turns = obj["messages"]
        if isinstance(turns, str):
            turns = parse_message_list(turns)
        if not isinstance(turns, list):
            raise ValueError(f"'messages' holds a {type(turns).__name__}, expected a list of turns")
        return list(turns)
    if "response" not in obj:
        raise ValueError(f"no conversation: a line needs {FORMS}")
    reply = obj["response"]
    if not isinstance(reply, str) or not reply.strip():
        raise ValueError("'response' must be non-empty text")
    if "message" in obj:
        prompt = parse_message_list(obj["message"])
    elif isinstance(obj.get("prompt"), str) and obj["prompt"].strip():
        prompt = [{"role": "user", "content": obj["prompt"]}]
    else:
        raise ValueError(f"'response' without a prompt: a line needs {FORMS}")
    return [*prompt, {"role": "assistant", "content": reply}]


def _listed_images(obj: dict[str, Any], messages: list[dict[str, str]], base_dir: str, opts: PrepareOptions):
    """Images given next to text turns (``images`` / ``image``), checked against the ``<image>`` placeholders."""
    refs = _image_refs(obj)
    placeholders = sum(count_placeholders(m["content"]) for m in messages)
    if placeholders != len(refs):
        raise ValueError(
            f"the conversation has {placeholders} '{IMAGE_PLACEHOLDER}' placeholder(s) but {len(refs)} image(s) "
            "are listed; each image needs exactly one placeholder, in order"
        )
    out = []
    for k, ref in enumerate(refs):
        try:
            out.append(load_image(ref, base_dir, opts.image_root, opts.image_prefix_map).data)
        except ImageProblem as exc:
            raise ImageProblem(f"image {k}: {exc}") from None
    return out


def _row(obj: Any, where: str, index: int, path: str, base_dir: str, opts: PrepareOptions) -> Any:
    if not isinstance(obj, dict):
        return BadRow(where, f"the line holds a JSON {type(obj).__name__}, expected an object with {FORMS}")
    try:
        turns = _turns(obj)
        listed = _image_refs(obj)
        if listed:  # text turns with <image> placeholders: take the text as written, then the listed images
            plain = [_plain_turn(t, i) for i, t in enumerate(turns)]
            messages, embedded = convert_messages(
                [_mask(t) for t in plain], base_dir, opts.image_root, opts.image_prefix_map, ends_with="assistant"
            )
            messages = [{"role": m["role"], "content": _unmask(m["content"])} for m in messages]
            if embedded:
                raise ValueError("images are given both as message parts and in 'images'; use one of the two")
            images = _listed_images(obj, messages, base_dir, opts)
        else:
            messages, images = convert_messages(
                turns, base_dir, opts.image_root, opts.image_prefix_map, ends_with="assistant"
            )
    except (ValueError, ImageProblem) as exc:
        return BadRow(where, str(exc))
    messages = with_system(messages, opts.system_prompt, opts.override_system)
    data_source, extra_info = row_identity(obj, opts, path, index)
    return build_sft_row(data_source=data_source, messages=messages, images=images, extra_info=extra_info)


_MASK = "\x00lmmr1-image\x00"


def _plain_turn(turn: Any, i: int) -> Any:
    if isinstance(turn, dict) and isinstance(turn.get("content"), list):
        raise ValueError(f"message {i} has content parts; with an 'images' list, turns must be plain text")
    return turn


def _mask(turn: Any) -> Any:
    """Hide the intended ``<image>`` placeholders from the literal-placeholder check of convert_messages."""
    if isinstance(turn, dict) and isinstance(turn.get("content"), str):
        return {**turn, "content": turn["content"].replace(IMAGE_PLACEHOLDER, _MASK)}
    return turn


def _unmask(text: str) -> str:
    return text.replace(_MASK, IMAGE_PLACEHOLDER)
