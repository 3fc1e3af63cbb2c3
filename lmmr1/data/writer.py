"""Atomic, counted parquet writing for ``lmmr1 data prepare`` (and mix/split/dedup).

Guarantees: the output path either holds a complete file or is left untouched (rows go to a temporary
file in the same folder, renamed at the end); rows in = rows out + rows skipped, checked against the
written file's own metadata; a bad row is never dropped silently (it stops the run, or with
``skip_bad`` it is listed in ``OUT.skipped.jsonl``).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Union

import pyarrow as pa
import pyarrow.parquet as pq

from lmmr1.data.errors import BadRow, DataError, RowCountMismatch
from lmmr1.outputs import atomic_path  # whole files with the umask's mode (also used by generate.py)

FILTERED = object()  # a source row deliberately left out (``--where``), counted but not an error
Item = tuple[str, Union[dict[str, Any], BadRow, object]]  # (where, row | BadRow | FILTERED)


@dataclass
class WriteReport:
    output: str
    rows_in: int = 0
    rows_out: int = 0
    filtered: int = 0
    skipped: list[BadRow] = field(default_factory=list)
    report_path: str | None = None
    seconds: float = 0.0

    def summary(self) -> str:
        filtered = f", {self.filtered} filtered out by --where" if self.filtered else ""
        line = (
            f"wrote {self.rows_out} rows to {self.output} ({self.rows_in} read{filtered}, "
            f"{len(self.skipped)} skipped) in {self.seconds:.1f}s"
        )
        if self.report_path:
            line += f"; skipped rows listed in {self.report_path}"
        return line


def skipped_report_path(output: str) -> str:
    root = output[: -len(".parquet")] if output.endswith(".parquet") else output
    return root + ".skipped.jsonl"


def progress(total: int | None, desc: str, enabled: bool = True):
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=desc,
        unit="row",
        file=sys.stderr,
        disable=not enabled,
        mininterval=0.5,
        dynamic_ncols=True,
        leave=False,
    )


def format_failure(bad: list[BadRow], rows_read: int, max_errors: int) -> str:
    shown = bad[:max_errors]
    reasons = Counter(b.reason.split(":")[0].split(" (")[0] for b in bad)
    lines = [
        f"{len(bad)} bad row(s) among the first {rows_read} rows read"
        + (f" (stopped after {max_errors})" if len(bad) >= max_errors else "")
        + ":"
    ]
    lines += [f"  {b.where}: {b.reason}" for b in shown]
    if len(reasons) > 1:
        lines.append("by reason: " + "; ".join(f"{n} x {r}" for r, n in reasons.most_common(5)))
    lines.append(
        "Nothing was written. Fix the rows above, or pass --skip-bad to write the good rows "
        "and a report of the skipped ones."
    )
    return "\n".join(lines)


def write_rows(
    items: Iterable[Item],
    schema: pa.Schema,
    output: str,
    *,
    total: int | None = None,
    skip_bad: bool = False,
    max_errors: int = 20,
    batch_rows: int = 2000,
    show_progress: bool = True,
    desc: str = "prepare",
    check_ids: bool = True,
) -> WriteReport:
    """Validate and write ``items`` to ``output`` (parquet, verl's layout) atomically.

    Duplicate ``extra_info.id`` values are bad rows (the second one names the first). Without
    ``skip_bad`` the first bad row stops writing; validation continues up to ``max_errors`` bad rows so
    the summary lists several problems at once, then :class:`DataError` is raised and nothing is left
    on disk.
    """
    start = time.perf_counter()
    report = WriteReport(output=output)
    bad: list[BadRow] = []
    seen_ids: dict[str, str] = {}
    report_path = skipped_report_path(output)
    with atomic_path(output) as tmp:
        writer = pq.ParquetWriter(tmp, schema, compression="zstd")
        try:
            batch: list[dict[str, Any]] = []
            with progress(total, desc, show_progress) as bar:
                for where, row in items:
                    report.rows_in += 1
                    bar.update(1)
                    if row is FILTERED:
                        report.filtered += 1
                        continue
                    if check_ids and not isinstance(row, BadRow):
                        rid = row["extra_info"].get("id")
                        first = seen_ids.get(rid) if rid is not None else None
                        if first is not None:
                            row = BadRow(where, f"duplicate id {rid!r} (first seen at {first})")
                        elif rid is not None:
                            seen_ids[rid] = where
                    if isinstance(row, BadRow):
                        bad.append(row)
                        if not skip_bad and len(bad) >= max_errors:
                            break
                        continue
                    if bad and not skip_bad:
                        continue  # keep validating, stop writing
                    batch.append(row)
                    if len(batch) >= batch_rows:
                        writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                        report.rows_out += len(batch)
                        batch = []
            if bad and not skip_bad:
                raise DataError(format_failure(bad, report.rows_in, max_errors))
            if batch:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                report.rows_out += len(batch)
        finally:
            writer.close()
        written = pq.ParquetFile(tmp).metadata.num_rows
        if written != report.rows_out or report.rows_in != report.rows_out + len(bad) + report.filtered:
            raise RowCountMismatch(
                f"row count mismatch: read {report.rows_in}, filtered {report.filtered}, skipped {len(bad)}, handed to the writer "
                f"{report.rows_out}, found {written} in the file; nothing was written (this is a bug, please report it)"
            )
        if report.rows_out == 0:
            raise DataError(
                f"no rows to write ({report.rows_in} read, {report.filtered} filtered out, {len(bad)} bad); "
                "nothing was written" + (f". First problem: {bad[0].where}: {bad[0].reason}" if bad else "")
            )
    report.skipped = bad
    if bad:
        _write_report(report_path, bad)
        report.report_path = report_path
    elif os.path.exists(report_path):
        os.unlink(report_path)  # a stale report from an earlier run would mislead
    report.seconds = time.perf_counter() - start
    return report


def _write_report(path: str, bad: list[BadRow]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for b in bad:
            fh.write(json.dumps(b.to_dict(), ensure_ascii=False) + "\n")


def write_table_atomic(table: pa.Table, output: str) -> int:
    """Write a whole table atomically; return the row count read back from the file."""
    with atomic_path(output) as tmp:
        pq.write_table(table, tmp, compression="zstd")
        written = pq.ParquetFile(tmp).metadata.num_rows
        if written != table.num_rows:
            raise RowCountMismatch(f"wrote {table.num_rows} rows but the file holds {written}")
    return written
