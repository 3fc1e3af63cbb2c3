"""verl's dataset layout, built in one place.

A prepared row is exactly what ``verl.utils.dataset.rl_dataset.RLHFDataset`` reads:

* ``data_source`` (str) - selects the reward;
* ``prompt`` - chat messages ``[{"role", "content": str}]``; the user turn carries one ``<image>``
  placeholder per image, in the order of ``images`` (RLHFDataset splits the text on ``<image>`` and
  pairs the pieces with ``images`` in order, asserting the counts match);
* ``images`` - ``[{"bytes": ...}]``, the original encoded files, so a parquet file is self-contained;
* ``reward_model`` - ``{"style": "rule", "ground_truth": str}``;
* ``extra_info`` - ``{"index", "id", "split", ...}`` (``index`` is the source row index; verl copies it
  to the batch as ``index``);
* ``agent_name`` (agent tasks only) - the verl agent loop for the row.

An SFT row (:func:`sft_schema`, read by verl's ``MultiTurnSFTDataset``) is a whole conversation instead:
``data_source``, ``messages`` (system, user and assistant turns, ending with the assistant's reply; the
``<image>`` placeholders in any turn pair with ``images`` in order), ``images``, ``extra_info``.

The Arrow schema is fixed per format (not inferred per batch) so that files written in batches, and
files mixed later, agree column by column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

IMAGE_PLACEHOLDER = "<image>"
# RLHFDataset splits message text on these; a literal one in a question would shift every image.
VERL_PLACEHOLDERS = ("<image>", "<video>", "<audio>")
DEFAULT_AGENT = "single_turn_agent"  # verl's default loop, used to fill mixtures with agent rows

MESSAGE_TYPE = pa.struct([("role", pa.string()), ("content", pa.string())])
IMAGE_TYPE = pa.struct([("bytes", pa.binary())])
REWARD_TYPE = pa.struct([("style", pa.string()), ("ground_truth", pa.string())])
BASE_EXTRA_FIELDS: list[tuple[str, pa.DataType]] = [
    ("index", pa.int64()),
    ("id", pa.string()),
    ("split", pa.string()),
    ("answer", pa.string()),  # the gold answer as the source wrote it
]


def output_schema(extra_fields: Iterable[tuple[str, pa.DataType]] = (), agent: bool = False) -> pa.Schema:
    extra = list(BASE_EXTRA_FIELDS)
    names = {name for name, _ in extra}
    for name, typ in extra_fields:
        if name not in names:
            extra.append((name, typ))
            names.add(name)
    fields = [
        ("data_source", pa.string()),
        ("prompt", pa.list_(MESSAGE_TYPE)),
        ("images", pa.list_(IMAGE_TYPE)),
        ("reward_model", REWARD_TYPE),
        ("extra_info", pa.struct(extra)),
    ]
    if agent:
        fields.append(("agent_name", pa.string()))
    return pa.schema(fields)


SFT_EXTRA_FIELDS: list[tuple[str, pa.DataType]] = [("index", pa.int64()), ("id", pa.string()), ("split", pa.string())]


def sft_schema(extra_fields: Iterable[tuple[str, pa.DataType]] = ()) -> pa.Schema:
    extra = list(SFT_EXTRA_FIELDS)
    names = {name for name, _ in extra}
    extra += [(name, typ) for name, typ in extra_fields if name not in names]
    return pa.schema(
        [
            ("data_source", pa.string()),
            ("messages", pa.list_(MESSAGE_TYPE)),
            ("images", pa.list_(IMAGE_TYPE)),
            ("extra_info", pa.struct(extra)),
        ]
    )


def build_sft_row(
    *, data_source: str, messages: list[dict[str, str]], images: list[bytes], extra_info: dict[str, Any]
) -> dict[str, Any]:
    return {
        "data_source": data_source,
        "messages": messages,
        "images": [{"bytes": b} for b in images],
        "extra_info": extra_info,
    }


def count_placeholders(text: str) -> int:
    return text.count(IMAGE_PLACEHOLDER)


def stray_placeholder(text: str) -> str | None:
    """The first of ``<video>``/``<audio>`` found in ``text`` (we never emit those modalities)."""
    for token in VERL_PLACEHOLDERS[1:]:
        if token in text:
            return token
    return None


def place_images(question: str, n_images: int) -> str:
    """The user text with exactly ``n_images`` ``<image>`` placeholders.

    Keeps the source's own placeholders when their count matches (geometry sets often write
    ``<image>`` inline); when there are none, puts them first, the way Qwen2.5-VL's examples and
    LMM-R1's message lists order image-then-question. Raises ValueError on a mismatch.
    """
    found = count_placeholders(question)
    if found == n_images:
        return question
    if found == 0:
        return IMAGE_PLACEHOLDER * n_images + question
    raise ValueError(
        f"the question has {found} '<image>' placeholder(s) but the row has {n_images} image(s); "
        "each image needs exactly one placeholder"
    )


_BOXED = re.compile(r"\\boxed\s*\{")


def _strip_boxed(text: str) -> str:
    """``\\boxed{X}`` -> ``X`` when the box spans the whole text (balanced braces)."""
    m = _BOXED.match(text)
    if not m:
        return text
    depth, start = 1, m.end()
    for i in range(start, len(text)):
        ch = text[i]
        if ch == "{" and text[i - 1] != "\\":
            depth += 1
        elif ch == "}" and text[i - 1] != "\\":
            depth -= 1
            if depth == 0:
                return text[start:i].strip() if i == len(text) - 1 else text
    return text


def normalize_gold(answer: Any) -> str:
    """The gold answer as the rewards expect it: bare LaTeX, no ``$...$`` and no outer ``\\boxed{}``.

    LMM-R1's files write ``$\\boxed{60}$``; DeepScaleR writes ``60``. Both become ``60``; the reward
    adds the math delimiters itself. Raises ValueError for an empty or structurally broken answer (the
    original silently rewarded 1.0 when the gold could not be parsed).
    """
    if answer is None:
        raise ValueError("the gold answer is missing")
    if isinstance(answer, (list, tuple)):
        if len(answer) != 1:
            raise ValueError(f"the gold answer is a list of {len(answer)} values; expected one")
        answer = answer[0]
    if isinstance(answer, bool) or not isinstance(answer, (str, int, float)):
        raise ValueError(f"the gold answer has type {type(answer).__name__}; expected text or a number")
    text = str(answer).strip()
    if not text:
        raise ValueError("the gold answer is empty")
    unescaped = text.replace("\\$", "")
    if unescaped.count("$") % 2:
        raise ValueError(f"the gold answer {text!r} has an unmatched '$'")
    depth = 0
    for i, ch in enumerate(text):
        if ch in "{}" and i and text[i - 1] == "\\":
            continue
        depth += 1 if ch == "{" else -1 if ch == "}" else 0
        if depth < 0:
            break
    if depth != 0:
        raise ValueError(f"the gold answer {text!r} has unbalanced braces")
    for delim_open, delim_close in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if (
            text.startswith(delim_open)
            and text.endswith(delim_close)
            and len(text) > len(delim_open) + len(delim_close) - 1
        ):
            inner = text[len(delim_open) : len(text) - len(delim_close)].strip()
            if inner:
                text = inner
            break
    text = _strip_boxed(text)
    if not text.strip():
        raise ValueError("the gold answer is empty once '$' and \\boxed{} are removed")
    return text


def build_row(
    *,
    data_source: str,
    messages: list[dict[str, str]],
    images: list[bytes],
    ground_truth: str,
    extra_info: dict[str, Any],
    agent_name: str | None = None,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "data_source": data_source,
        "prompt": messages,
        "images": [{"bytes": b} for b in images],
        "reward_model": {"style": "rule", "ground_truth": ground_truth},
        "extra_info": extra_info,
    }
    if agent_name is not None:
        row["agent_name"] = agent_name
    return row


def with_system(messages: list[dict[str, str]], system_prompt: str | None, override: bool) -> list[dict[str, str]]:
    """Apply the system prompt policy: a source's own system turn is kept unless ``override``;
    otherwise ``system_prompt`` (None = no system turn) is put first."""
    has_system = bool(messages) and messages[0]["role"] == "system"
    if has_system and not override:
        return messages
    body = messages[1:] if has_system else messages
    return ([{"role": "system", "content": system_prompt}] if system_prompt else []) + body


def parquet_row_count(files: Any) -> int:
    """Rows of prepared parquet files, from their metadata (nothing is read); other files count 0."""
    import pyarrow.parquet as pq

    paths = [files] if isinstance(files, str) else list(files)
    return sum(pq.ParquetFile(p).metadata.num_rows for p in paths if str(p).endswith(".parquet"))
