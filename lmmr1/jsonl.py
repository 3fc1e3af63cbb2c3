"""Reading JSON lines: the one reader of the files lmmr1 appends to, and the line reader for users' files.

Two kinds of files, two rules:

* files lmmr1 itself appends to while a run goes on (``metrics.jsonl``, ``reward_rows.jsonl``, verl's raw
  metrics, an evaluation's ``items.jsonl`` and judge cache): :func:`read_records`. A last line without its
  newline belongs to a writer still at work (or one killed mid-line) and is left for the next read; any
  other line that is not a JSON object is left out and named in ``problems`` as ``FILE:LINE: ...``, so a
  view never shows fewer rows without saying why;
* files a user hands lmmr1 (data to prepare, responses to score, benchmark files): :func:`iter_lines`
  yields each line's object or a :class:`LineError` saying what is wrong with it, and the caller decides
  whether that stops the command or skips the row (with its own message naming the option).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union


def read_records(
    path: Union[str, Path], offset: int = 0, problems: Optional[list[str]] = None
) -> tuple[list[dict[str, Any]], int]:
    """The complete JSON-object lines of ``path`` from byte ``offset`` on, and the offset after the last one.

    A missing file is empty (nothing written yet). Follow a growing file by passing the returned offset back.
    """
    path = Path(path)
    if not path.exists():
        return [], offset
    with open(path, "rb") as fh:
        fh.seek(offset)
        chunk = fh.read()
    complete = chunk[: chunk.rfind(b"\n") + 1]
    records: list[dict[str, Any]] = []
    for lineno, line in enumerate(complete.split(b"\n")[:-1], start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:  # JSON errors and bytes that are not UTF-8
            if problems is not None:
                where = f"{path}:{lineno}" if offset == 0 else f"{path} (byte {offset} on, line {lineno})"
                problems.append(f"{where}: not a complete JSON line (left out)")
            continue
        if isinstance(record, dict):
            records.append(record)
        elif problems is not None:
            problems.append(f"{path}:{lineno}: not a JSON object (left out)")
    return records, offset + len(complete)


def read_jsonl(path: Union[str, Path], problems: Optional[list[str]] = None) -> list[dict[str, Any]]:
    """Every complete JSON-object line of a file lmmr1 appends to (see :func:`read_records`)."""
    return read_records(path, 0, problems)[0]


@dataclass(frozen=True)
class LineError:
    """Why one line of a user's file could not be read (``where`` is ``FILE:LINE``)."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


def iter_lines(path: Union[str, Path], data: Optional[bytes] = None) -> Iterator[tuple[int, Any]]:
    """``(line number, object or LineError)`` for each non-blank line of a user's JSON-lines file.

    Read line by line (a large file is never held whole); ``data`` is the file's bytes when they were read
    already (standard input). One line that is not UTF-8 (or a binary file) is that line's error, not the
    whole file's. A file that cannot be opened raises OSError.
    """
    source = io.BytesIO(data) if data is not None else open(path, "rb")
    with source:
        for lineno, raw in enumerate(source, start=1):
            if not raw.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield (
                    lineno,
                    LineError(where, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"),
                )
                continue
            try:
                yield lineno, json.loads(text)
            except json.JSONDecodeError as exc:
                yield lineno, LineError(where, f"not valid JSON ({exc.msg} at column {exc.colno})")
