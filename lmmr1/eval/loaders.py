"""Read benchmark data as the public dataset repositories distribute it.

* A downloaded dataset repository: parquet shards whose path carries the split as a word
  (``data/testmini-00000-of-00001.parquet``, ``test_en/...``); images embedded as the ``datasets`` Image
  struct ``{"bytes", "path"}``.
* A ``datasets.save_to_disk`` folder (``dataset_info.json`` + ``*.arrow``, or a ``DatasetDict`` with one
  folder per split).
* CSV files (GPQA ships ``gpqa_diamond.csv``).

Every reader checks the columns a benchmark needs and names the file, the column and what was expected.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lmmr1.eval.core import EvalDataError


def _split_pattern(split: str) -> re.Pattern[str]:
    # the split as a whole word of the path: "test" matches test-0000.parquet and test/..., not testmini
    return re.compile(rf"(?:^|[/_.-]){re.escape(split)}(?:$|[/_.-])")


def split_files(root: Path, split: str, benchmark: str) -> list[Path]:
    """Parquet shards of ``split`` under ``root`` (sorted)."""
    if not root.is_dir():
        raise EvalDataError(
            f"{benchmark}: no folder {root}. Download the public dataset repository there "
            f"(`lmmr1 ls benchmarks` lists what each benchmark expects)."
        )
    pattern = _split_pattern(split)
    files = sorted(p for p in root.rglob("*.parquet") if pattern.search(str(p.relative_to(root))))
    return files


def is_saved_dataset(root: Path) -> bool:
    return (
        (root / "dataset_dict.json").exists() or (root / "dataset_info.json").exists() or (root / "state.json").exists()
    )


def read_rows(
    root: Path, split: str, benchmark: str, required: Iterable[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """All rows of ``split`` with their columns checked; returns (rows, files read)."""
    required = list(required)
    if root.is_dir() and is_saved_dataset(root):
        rows, where = _read_saved(root, split, benchmark)
        files = [where]
    else:
        files_p = split_files(root, split, benchmark)
        if not files_p:
            found = sorted(str(p.relative_to(root)) for p in root.rglob("*.parquet"))[:8]
            raise EvalDataError(
                f"{benchmark}: no parquet file for split '{split}' under {root} (the split must appear in the "
                f"file or folder name, as in the public repository, e.g. data/{split}-00000-of-00001.parquet). "
                f"Parquet files found: {found or 'none'}"
            )
        import pyarrow.parquet as pq

        rows = []
        for path in files_p:
            table = pq.read_table(path)
            _check_columns(table.column_names, required, str(path), benchmark)
            for row in table.to_pylist():
                row["_file"] = str(path)
                rows.append(row)
        files = [str(p) for p in files_p]
        return rows, files
    if rows:
        _check_columns(list(rows[0]), required, files[0], benchmark)
    return rows, files


def _read_saved(root: Path, split: str, benchmark: str) -> tuple[list[dict[str, Any]], str]:
    import datasets

    try:
        loaded = datasets.load_from_disk(str(root))
    except Exception as exc:  # a corrupt folder: say which
        raise EvalDataError(
            f"{benchmark}: {root} looks like a datasets.save_to_disk folder but could not be read: {exc}"
        ) from None
    if isinstance(loaded, datasets.DatasetDict):
        if split not in loaded:
            raise EvalDataError(f"{benchmark}: {root} has splits {list(loaded)}, not '{split}'")
        loaded = loaded[split]
    rows = []
    decode_off = {name: feat for name, feat in loaded.features.items() if isinstance(feat, datasets.Image)}
    for name in decode_off:
        loaded = loaded.cast_column(name, datasets.Image(decode=False))
    for row in loaded:
        row["_file"] = str(root)
        rows.append(row)
    return rows, str(root)


def read_jsonl(path: Path, benchmark: str, required: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Rows of a JSON-lines file (``FILE:LINE`` kept in ``_file``), columns checked on the first row."""
    from lmmr1.jsonl import LineError, iter_lines

    rows = []
    for line_no, row in iter_lines(path):
        if isinstance(row, LineError):
            raise EvalDataError(f"{benchmark}: {row}")
        if not isinstance(row, dict):
            raise EvalDataError(f"{benchmark}: {path}:{line_no}: expected a JSON object, got {type(row).__name__}")
        row["_file"] = f"{path}:{line_no}"
        rows.append(row)
    if rows:
        _check_columns(list(rows[0]), list(required), str(path), benchmark)
    return rows


def read_csv(path: Path, benchmark: str, required: Iterable[str]) -> list[dict[str, Any]]:
    if not path.exists():
        raise EvalDataError(f"{benchmark}: {path} does not exist (the public repository's CSV is expected there)")
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        _check_columns(reader.fieldnames or [], list(required), str(path), benchmark)
        rows = []
        for line, row in enumerate(reader, start=2):
            row["_file"] = f"{path}:{line}"
            rows.append(row)
    return rows


def _check_columns(have: list[str], required: list[str], where: str, benchmark: str) -> None:
    missing = [c for c in required if c not in have]
    if missing:
        raise EvalDataError(
            f"{benchmark}: {where} has no column(s) {', '.join(missing)}. Expected the public layout with columns "
            f"{', '.join(required)}; found {', '.join(have)}."
        )


def image_bytes(value: Any, row: dict[str, Any], column: str, benchmark: str) -> bytes:
    """Bytes of a ``datasets`` Image struct (``{"bytes", "path"}``), a path, or raw bytes."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, dict):
        if value.get("bytes"):
            return bytes(value["bytes"])
        value = value.get("path")
    if isinstance(value, str) and value:
        base = Path(str(row.get("_file", ".")).split(":")[0]).parent
        path = Path(value) if Path(value).is_absolute() else base / value
        if path.exists():
            return path.read_bytes()
        raise EvalDataError(
            f"{benchmark}: {row.get('_file')}: column '{column}' points to {value}, which does not exist"
        )
    raise EvalDataError(
        f"{benchmark}: {row.get('_file')}: column '{column}' holds no image (expected a datasets Image struct)"
    )


def row_id(row: dict[str, Any], keys: Iterable[str], fallback: int) -> str:
    for key in keys:
        value = row.get(key)
        if value is not None and str(value) != "":
            return str(value)
    return str(fallback)
