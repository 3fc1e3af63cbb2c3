"""What every source format shares: options, the Source record, JSONL reading with 1-based lines."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Optional

import pyarrow as pa

from lmmr1.data.errors import BadRow, DataError
from lmmr1.data.writer import FILTERED, Item
from lmmr1.jsonl import LineError, iter_lines
from lmmr1.prompts import SYSTEM_PROMPT


@dataclass
class PrepareOptions:
    """Options of ``lmmr1 data prepare`` that formats read (unused ones are ignored by a format)."""

    data_source: str | None = None
    system_prompt: str | None = SYSTEM_PROMPT
    override_system: bool = False  # True when the user chose the system prompt explicitly
    suffix: str | None = None  # appended to the question text (None = the format's default)
    image_root: str | None = None
    image_prefix_map: tuple[tuple[str, str], ...] = ()  # (old, new) path prefixes, first match wins
    split: str = "train"
    # hf format: column names (None = detect)
    question_key: str | None = None
    answer_key: str | None = None
    image_key: str | None = None
    id_key: str | None = None
    keep_keys: list[str] = field(default_factory=list)
    hf_split: str | None = None
    # keep only source records whose field matches: [(field, compiled regex)], all must match
    where: list[tuple[str, Any]] = field(default_factory=list)
    # sokoban format
    agent_name: str | None = None
    instruction: str | None = None
    render: bool = False


@dataclass
class Source:
    extra_fields: list[tuple[str, pa.DataType]]
    total: int | None
    items: Callable[[], Iterator[Item]]
    agent: bool = False
    # "rl": prompt + gold rows (verl's RLHFDataset); "sft": whole conversations (verl's MultiTurnSFTDataset)
    kind: str = "rl"


def jsonl_source(
    inputs: list[str],
    opts: PrepareOptions,
    make_row: Callable[[Any, str, int, str, str, PrepareOptions], Any],
    extra_fields: list[tuple[str, pa.DataType]],
    kind: str = "rl",
) -> Source:
    """A Source over JSONL files: ``make_row(obj, "FILE:LINE", index, path, base_dir, opts)`` per record.

    Unparseable lines become BadRows and ``--where`` filters apply before ``make_row``; ``index`` counts
    every record across the files (so a row's index names its place in the inputs).
    """
    require_files(inputs)

    def items() -> Iterator[Item]:
        records = ((f"{path}:{lineno}", obj, path) for path in inputs for lineno, obj in iter_jsonl(path))
        yield from numbered_items(
            records,
            lambda obj, where, index, path: make_row(
                obj, where, index, path, os.path.dirname(os.path.abspath(path)), opts
            ),
            opts.where,
        )

    total = sum(count_lines(p) for p in inputs)
    return Source(extra_fields=extra_fields, total=total, items=items, kind=kind)


def numbered_items(
    records: Iterable[tuple[str, Any, Any]],
    make_row: Callable[[Any, str, int, Any], Any],
    where_filters: Optional[list] = None,
) -> Iterator[Item]:
    """``(where, row)`` per source record ``(where, record or BadRow, context)``, the one loop every format runs.

    ``index`` counts every record across the inputs, bad and filtered ones included, so a row's index names
    its place in the inputs; ``--where`` filters (``where_filters``) apply before ``make_row(record, where,
    index, context)``.
    """
    for index, (where, obj, context) in enumerate(records):
        if isinstance(obj, BadRow):
            yield where, obj
        elif where_filters is not None and not selected(obj, where_filters):
            yield where, FILTERED
        else:
            yield where, make_row(obj, where, index, context)


def row_identity(obj: dict, opts: PrepareOptions, path: str, index: int) -> tuple[str, dict[str, Any]]:
    """A row's ``data_source`` (option, else the record's, else the file's name) and the ``extra_info``
    fields every format writes: ``index``, ``id`` (the record's, else SOURCE-INDEX), ``split``, ``source_file``."""
    data_source = str(opts.data_source or obj.get("data_source") or default_source_name(path))
    raw_id = obj.get("id")
    return data_source, {
        "index": index,
        "id": str(raw_id) if raw_id is not None else f"{data_source}-{index}",
        "split": opts.split,
        "source_file": os.path.basename(path),
    }


def count_lines(path: str) -> int:
    n = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            n += chunk.count(b"\n")
    return n


def iter_jsonl(path: str) -> Iterator[tuple[int, Any]]:
    """``(line_number, object | BadRow)`` for each non-blank line (1-based line numbers)."""
    try:
        for lineno, obj in iter_lines(path):
            yield lineno, BadRow(obj.where, obj.reason) if isinstance(obj, LineError) else obj
    except OSError as exc:
        raise DataError(f"cannot open {path}: {exc.strerror}") from None


def require_files(inputs: list[str]) -> None:
    for path in inputs:
        if not os.path.exists(path):
            raise DataError(f"input not found: {path}")


def default_source_name(path: str) -> str:
    base = os.path.basename(os.path.normpath(path))
    for ext in (".jsonl", ".json", ".parquet", ".arrow"):
        if base.endswith(ext):
            base = base[: -len(ext)]
    return base.lower() or "data"


def selected(record: Any, where: list[tuple[str, Any]]) -> bool:
    """True when ``record`` passes every ``--where FIELD=REGEX`` (searched in the field's text; a missing
    field never matches)."""
    if not where:
        return True
    if not isinstance(record, dict):
        return True  # let the format report the malformed record
    for key, pattern in where:
        value = record.get(key)
        if value is None or not pattern.search(value if isinstance(value, str) else json.dumps(value, default=str)):
            return False
    return True
