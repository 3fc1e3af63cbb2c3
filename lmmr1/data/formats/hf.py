"""Hugging Face style tables: a local dataset directory (``save_to_disk`` or a downloaded hub snapshot
of parquet/JSONL files) or parquet/JSONL/JSON files, with configurable column names.

Defaults find the usual columns: the question in ``problem``/``question``/``prompt``/``query``, the gold
answer in ``answer``/``ground_truth``/``solution``, images in ``images``/``image`` (Hugging Face Image
structs ``{"bytes", "path"}``, paths, or lists of either), the id in ``id``/``uid``. DeepScaleR
(``problem``/``answer``/``solution``) and geometry sets (``images``/``problem``/``answer``) need no flags.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from lmmr1.data.errors import BadRow, DataError
from lmmr1.data.formats.base import (
    PrepareOptions,
    Source,
    count_lines,
    default_source_name,
    iter_jsonl,
    numbered_items,
    require_files,
)
from lmmr1.data.images import ImageProblem, load_image
from lmmr1.data.schema import build_row, normalize_gold, place_images, stray_placeholder, with_system
from lmmr1.data.writer import Item
from lmmr1.prompts import MATH_SUFFIX

QUESTION_KEYS = ("problem", "question", "prompt", "query", "input")
ANSWER_KEYS = ("answer", "ground_truth", "gt_answer", "solution", "label")
IMAGE_KEYS = ("images", "image")
ID_KEYS = ("id", "uid", "idx")
DATA_EXTS = (".parquet", ".jsonl", ".json")
BATCH = 1024


# -- reading tables -------------------------------------------------------------------------------
class Table:
    """One readable unit: a file or a ``save_to_disk`` dataset; yields ``(line, record)`` (1-based)."""

    def __init__(self, path: str, kind: str, hf_split: str | None = None) -> None:
        self.path, self.kind, self.hf_split = path, kind, hf_split
        self.origin = path  # the input the user named (a folder for hub snapshots)
        self._dataset = None

    @property
    def base_dir(self) -> str:
        return self.path if os.path.isdir(self.path) else os.path.dirname(os.path.abspath(self.path))

    def dataset(self):
        if self._dataset is None:
            import datasets

            ds = datasets.load_from_disk(self.path)
            if isinstance(ds, datasets.DatasetDict):
                split = self.hf_split or ("train" if "train" in ds else None)
                if split not in ds:
                    raise DataError(f"{self.path} holds splits {sorted(ds)}; choose one with --hf-split")
                ds = ds[split]
            self._dataset = ds
        return self._dataset

    def count(self) -> int | None:
        if self.kind == "parquet":
            return _parquet(self.path).metadata.num_rows
        if self.kind == "jsonl":
            return count_lines(self.path)
        if self.kind == "arrow":
            return len(self.dataset())
        return None

    def columns(self) -> list[str]:
        if self.kind == "parquet":
            return list(_parquet(self.path).schema_arrow.names)
        if self.kind == "arrow":
            return list(self.dataset().column_names)
        for _, rec in self.records():
            if isinstance(rec, BadRow):  # the column names come from the first row: it must be readable
                raise DataError(f"{rec} (the column names are read from the first row)")
            return list(rec) if isinstance(rec, dict) else []
        return []

    def records(self) -> Iterator[tuple[int, Any]]:
        if self.kind == "parquet":
            line = 0
            for batch in _parquet(self.path).iter_batches(batch_size=BATCH):
                for rec in batch.to_pylist():
                    line += 1
                    yield line, rec
        elif self.kind == "jsonl":
            yield from iter_jsonl(self.path)
        elif self.kind == "json":
            with open(self.path, encoding="utf-8") as fh:
                try:
                    data = json.load(fh)
                except UnicodeDecodeError as exc:
                    raise DataError(f"{self.path}: not valid UTF-8 (at byte {exc.start}); save it as UTF-8") from None
                except json.JSONDecodeError as exc:
                    raise DataError(f"{self.path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
            if isinstance(data, dict) and isinstance(data.get("data"), list):
                data = data["data"]
            if not isinstance(data, list):
                raise DataError(f"{self.path}: expected a JSON array of records (or JSONL)")
            yield from enumerate(data, 1)  # record number stands in for the line
        else:  # arrow dataset directory
            line = 0
            for table in self.dataset().with_format("arrow").iter(batch_size=BATCH):
                for rec in table.to_pylist():
                    line += 1
                    yield line, rec


def find_tables(inputs: list[str], hf_split: str | None) -> list[Table]:
    tables: list[Table] = []
    for path in inputs:
        if os.path.isdir(path):
            if os.path.exists(os.path.join(path, "dataset_info.json")) or os.path.exists(
                os.path.join(path, "dataset_dict.json")
            ):
                tables.append(Table(path, "arrow", hf_split))
                continue
            files = sorted(
                f for ext in DATA_EXTS for f in glob.glob(os.path.join(path, "**", "*" + ext), recursive=True)
            )
            if hf_split:
                files = [f for f in files if hf_split in os.path.relpath(f, path)]
            if not files:
                raise DataError(
                    f"{path}: no dataset found (no dataset_info.json, and no "
                    f"{'/'.join(DATA_EXTS)} files{' matching split ' + hf_split if hf_split else ''})"
                )
            for f in files:
                table = Table(f, _kind(f))
                table.origin = path
                tables.append(table)
        else:
            tables.append(Table(path, _kind(path)))
    return tables


def _parquet(path: str) -> pq.ParquetFile:
    """The parquet file at ``path``, or a DataError naming it (a text or truncated file is the user's to fix)."""
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{path}: not a readable parquet file ({exc})") from None


def _kind(path: str) -> str:
    if path.endswith(".parquet"):
        return "parquet"
    if path.endswith(".jsonl"):
        return "jsonl"
    if path.endswith(".json"):
        return "json"
    raise DataError(f"{path}: unsupported file type; use .parquet, .jsonl, .json or a dataset directory")


def _pick(
    columns: list[str], wanted: str | None, candidates: tuple[str, ...], what: str, flag: str, required: bool
) -> str | None:
    if wanted:
        if wanted not in columns:
            raise DataError(f"column {wanted!r} (from {flag}) not found; columns are: {', '.join(columns)}")
        return wanted
    for name in candidates:
        if name in columns:
            return name
    if required:
        raise DataError(f"no {what} column found among {', '.join(columns)}; name it with {flag}")
    return None


# -- rows -----------------------------------------------------------------------------------------
def open_source(inputs: list[str], opts: PrepareOptions) -> Source:
    require_files(inputs)
    tables = find_tables(inputs, opts.hf_split)
    columns = tables[0].columns()
    qkey = _pick(columns, opts.question_key, QUESTION_KEYS, "question", "--question-key", True)
    akey = _pick(columns, opts.answer_key, ANSWER_KEYS, "answer", "--answer-key", True)
    ikey = _pick(columns, opts.image_key, IMAGE_KEYS, "image", "--image-key", False)
    idkey = _pick(columns, opts.id_key, ID_KEYS, "id", "--id-key", False)
    keep = list(opts.keep_keys)
    if not keep and akey != "solution" and "solution" in columns:
        keep = ["solution"]  # DeepScaleR's worked solution: useful for analysis, not used in training
    for key, _ in opts.where:
        if key not in columns:
            raise DataError(f"--where {key}=...: no column {key!r}; columns are: {', '.join(columns)}")
    reserved = {"index", "id", "split", "answer", "source_file"}
    for key in keep:
        if key in reserved:
            raise DataError(f"--keep {key!r} clashes with an extra_info field lmmr1 writes; rename it")
    suffix = MATH_SUFFIX if opts.suffix is None else opts.suffix
    counts = [t.count() for t in tables]
    total = None if any(c is None for c in counts) else sum(counts)

    def items() -> Iterator[Item]:
        records = ((f"{table.path}:{line}", rec, table) for table in tables for line, rec in table.records())
        yield from numbered_items(
            records,
            lambda rec, where, index, table: _row(
                rec, where, index, table, qkey, akey, ikey, idkey, keep, suffix, opts
            ),
            opts.where,
        )

    extra = [("source_file", pa.string())] + [(k, pa.string()) for k in keep]
    return Source(extra_fields=extra, total=total, items=items)


def _question_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(m, dict) and "role" in m for m in value):
        users = [m.get("content") for m in value if m.get("role") == "user"]
        if users and isinstance(users[-1], str):
            return users[-1]
    raise ValueError(f"the question is a {type(value).__name__}, expected text")


def _image_refs(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _row(
    rec: Any,
    where: str,
    index: int,
    table: Table,
    qkey: str,
    akey: str,
    ikey: str | None,
    idkey: str | None,
    keep: list[str],
    suffix: str,
    opts: PrepareOptions,
) -> Any:
    if not isinstance(rec, dict):
        return BadRow(where, f"the record is a {type(rec).__name__}, expected an object")
    try:
        question = _question_text(rec.get(qkey))
    except ValueError as exc:
        return BadRow(where, f"column {qkey!r}: {exc}")
    if not question.strip():
        return BadRow(where, f"column {qkey!r}: the question is empty")
    if token := stray_placeholder(question):
        return BadRow(
            where,
            f"column {qkey!r}: the question contains a literal {token!r}, which verl reads as a media placeholder",
        )
    try:
        gold = normalize_gold(rec.get(akey))
    except ValueError as exc:
        return BadRow(where, f"column {akey!r}: {exc}")
    images: list[bytes] = []
    if ikey is not None:
        for k, ref in enumerate(_image_refs(rec.get(ikey))):
            try:
                images.append(load_image(ref, table.base_dir, opts.image_root, opts.image_prefix_map).data)
            except ImageProblem as exc:
                return BadRow(where, f"column {ikey!r} image {k}: {exc}")
    try:
        text = place_images(question, len(images))
    except ValueError as exc:
        return BadRow(where, str(exc))
    messages = with_system([{"role": "user", "content": text + (suffix or "")}], opts.system_prompt, True)
    data_source = opts.data_source or default_source_name(table.origin)
    raw_id = rec.get(idkey) if idkey else None
    extra: dict[str, Any] = {
        "index": index,
        "id": str(raw_id) if raw_id is not None else f"{data_source}-{index}",
        "split": opts.split,
        "answer": str(rec.get(akey)),
        "source_file": os.path.basename(table.path),
    }
    for key in keep:
        value = rec.get(key)
        extra[key] = (
            value if value is None or isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        )
    return build_row(data_source=data_source, messages=messages, images=images, ground_truth=gold, extra_info=extra)
