"""The paper's Tables 1-3 with the published rows (kept as data, each with a source tag) and the user's.

Layouts follow the paper: Table 1 (``MATH500``, ``GPQA``, ``Text avg``, ``OlympiadBench``, ``MathVision``,
``MathVerse``, ``MM-Star``, ``MathVista``, ``MM avg``), Table 2 (MathVision geometry ``Analytic``,
``Combinatorial``, ``Metric``, ``Solid``, ``AVG``; MathVerse ``TD``, ``TL``, ``VI``, ``VD``, ``VO``,
``avg``), Table 3 (``Sokoban-Global``, ``Football-Online``). A user's row comes from an
``lmmr1 eval`` summary; averages are derived the paper's way; each row carries its protocol, and its
delta to the published row of the same label. The paper's own inconsistency (FRE-Multi's MM avg) is
printed as published, with a note.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from statistics import mean
from typing import Any, Optional

from lmmr1.errors import UserError
from lmmr1.run.layout import EvalPaths

TABLES: dict[str, dict[str, Any]] = {
    "table1": {
        "title": "Table 1: text and multimodal reasoning (%)",
        "columns": [
            "MATH500",
            "GPQA",
            "Text avg",
            "OlympiadBench",
            "MathVision",
            "MathVerse",
            "MM-Star",
            "MathVista",
            "MM avg",
        ],
    },
    "table2": {
        "title": "Table 2: geometry (MathVision sub-fields, MathVerse versions; %)",
        "columns": ["Analytic", "Combinatorial", "Metric", "Solid", "AVG", "TD", "TL", "VI", "VD", "VO", "avg"],
    },
    "table3": {"title": "Table 3: agent tasks (MageBench scores, %)", "columns": ["Sokoban-Global", "Football-Online"]},
}

TEXT_COLUMNS = ("MATH500", "GPQA")
MM_COLUMNS = ("OlympiadBench", "MathVision", "MathVerse", "MM-Star", "MathVista")
BENCHMARK_COLUMN = {
    "math500": "MATH500",
    "gpqa_diamond": "GPQA",
    "olympiadbench": "OlympiadBench",
    "mathvision": "MathVision",
    "mathverse": "MathVerse",
    "mmstar": "MM-Star",
    "mathvista": "MathVista",
    "sokoban_global": "Sokoban-Global",
    "football_online": "Football-Online",
}


@dataclass
class Row:
    label: str
    values: dict[str, Optional[float]]
    source: str  # published source tag, or the protocol/summary a user's row came from
    published: bool
    notes: dict[str, str] = field(default_factory=dict)
    # columns scored on fewer items than the benchmark holds: column -> (items scored, items in the benchmark)
    partial: dict[str, tuple[int, int]] = field(default_factory=dict)


def published_sources() -> list[dict[str, Any]]:
    """Every published-table file shipped in ``lmmr1/report/published/`` (one per paper version)."""
    folder = resources.files("lmmr1.report") / "published"
    return [
        json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(folder.iterdir(), key=lambda p: p.name)
        if p.name.endswith(".json")
    ]


def published_rows(table: str) -> list[Row]:
    rows = []
    for source in published_sources():
        data = source["tables"].get(table, {})
        for label, values in data.get("rows", {}).items():
            notes = {k.split("/", 1)[1]: v for k, v in data.get("notes", {}).items() if k.split("/", 1)[0] == label}
            rows.append(Row(label, dict(values), source["tag"], True, notes))
    return rows


def table_notes(table: str) -> list[str]:
    """Notes of the published sources that concern a whole column (``*/COLUMN``)."""
    out = []
    for source in published_sources():
        for key, text in source["tables"].get(table, {}).get("notes", {}).items():
            label, _, column = key.partition("/")
            if label == "*":
                out.append(f"{column} ({source['tag']}): {text}")
    return out


def _avg(values: list[Optional[float]]) -> Optional[float]:
    return mean(values) if values and all(v is not None for v in values) else None


def user_row(table: str, summary: dict[str, Any], label: str) -> Optional[Row]:
    """A user's row from an eval summary; None when the summary has nothing for this table."""
    bench = summary.get("benchmarks", {})
    values: dict[str, Optional[float]] = {}
    if table in ("table1", "table3"):
        for name, result in bench.items():
            column = BENCHMARK_COLUMN.get(name)
            if column in TABLES[table]["columns"]:
                values[column] = result.get("score")
        if table == "table1":
            values["Text avg"] = _avg([values.get(c) for c in TEXT_COLUMNS])
            values["MM avg"] = _avg([values.get(c) for c in MM_COLUMNS])
    else:
        for column, value in (bench.get("mathvision", {}).get("table2") or {}).items():
            values[column] = value
        versions = bench.get("mathverse", {}).get("versions") or {}
        for column in ("TD", "TL", "VI", "VD", "VO"):
            if column in versions:
                values[column] = versions[column]
        if "mathverse" in bench:
            values["avg"] = bench["mathverse"].get("score")
    if not any(v is not None for v in values.values()):
        return None
    partial: dict[str, tuple[int, int]] = {}
    for name, result in bench.items():
        size = _partial_size(result)
        if size is None:
            continue
        if table in ("table1", "table3"):
            columns = [BENCHMARK_COLUMN.get(name)]
        elif name == "mathvision":
            columns = list((result.get("table2") or {}).keys())
        elif name == "mathverse":
            columns = [*(result.get("versions") or {}).keys(), "avg"]
        else:
            columns = []
        for column in columns:
            if column in values:
                partial[column] = size
    if table == "table1":
        for avg, parts in (("Text avg", TEXT_COLUMNS), ("MM avg", MM_COLUMNS)):
            if values.get(avg) is not None and any(c in partial for c in parts):
                scored = sum(partial[c][0] for c in parts if c in partial)
                full = sum(partial[c][1] for c in parts if c in partial)
                partial[avg] = (scored, full)
    notes = {}
    for name, result in bench.items():
        column = BENCHMARK_COLUMN.get(name)
        if result.get("note") and column:
            notes[column] = result["note"]
        if result.get("environment") and column:
            notes[column] = f"environment: {result['environment']}"
    source = f"yours, protocol {summary.get('protocol')}" + (
        f", judge {summary['judge']}" if summary.get("judge") else ""
    )
    return Row(label, values, source, False, notes, partial)


def _partial_size(result: dict[str, Any]) -> Optional[tuple[int, int]]:
    """(scored, full size) when a benchmark was scored on fewer items than it holds (``--limit``), else None."""
    scored, rows_in = result.get("scored"), result.get("rows_in")
    if not isinstance(scored, int) or not isinstance(rows_in, int):
        return None
    excluded = result.get("excluded") or {}
    full = rows_in - sum(v for v in excluded.values() if isinstance(v, int))
    return (scored, full) if 0 <= scored < full else None


class ReportInputError(UserError, ValueError):
    """A path given to ``lmmr1 report`` that is missing or holds no readable lmmr1 eval summary."""


def find_summaries(paths: list[str]) -> list[tuple[Path, dict[str, Any]]]:
    """Every ``lmmr1 eval`` summary.json under ``paths`` (files or folders). A missing path, a file that is not
    a summary, or a corrupt summary.json in a folder is refused by name: a report must not silently leave a
    result out."""
    found = []
    for path in paths:
        p = Path(path)
        if not p.exists():
            raise ReportInputError(f"{p}: no such file or folder")
        candidates = [p] if p.is_file() else sorted(p.rglob(EvalPaths(p).summary.name))
        for candidate in candidates:
            try:
                data = json.loads(candidate.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise ReportInputError(
                    f"{candidate}: not valid JSON ({exc}); re-run `lmmr1 eval` for it or move it away"
                ) from None
            if not (isinstance(data, dict) and isinstance(data.get("benchmarks"), dict) and "protocol" in data):
                raise ReportInputError(
                    f"{candidate}: not an lmmr1 eval summary (expected 'protocol' and a 'benchmarks' mapping)"
                )
            found.append((candidate, data))
    return found


def _fmt(value: Optional[float]) -> str:
    return "—" if value is None else f"{value:.2f}"


def _delta(value: Optional[float], reference: Optional[float]) -> str:
    if value is None or reference is None:
        return "—"
    return f"{value - reference:+.2f}"


def build(table: str, user: list[Row], paper: bool = True) -> list[Row]:
    return (published_rows(table) if paper else []) + user


def markdown(table: str, rows: list[Row]) -> str:
    columns = TABLES[table]["columns"]
    lines = [
        f"### {TABLES[table]['title']}",
        "",
        "| model | source | " + " | ".join(columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    published = {r.label: r for r in rows if r.published}
    footnotes: list[str] = []
    for row in rows:
        cells = []
        for column in columns:
            text = _fmt(row.values.get(column))
            if column in row.partial and row.values.get(column) is not None:
                text += f" (n={row.partial[column][0]}/{row.partial[column][1]})"
            if column in row.notes:
                footnotes.append(f"{row.label} / {column}: {row.notes[column]}")
                text += f" [{len(footnotes)}]"
            cells.append(text)
        lines.append(f"| {row.label} | {row.source} | " + " | ".join(cells) + " |")
        reference = published.get(row.label)
        if not row.published and reference is not None:
            deltas = []
            for c in columns:
                delta = _delta(row.values.get(c), reference.values.get(c))
                if c in row.partial and delta != "—":
                    delta += " (partial)"  # not comparable to the paper's full-benchmark figure
                deltas.append(delta)
            lines.append(f"| Δ {row.label} vs paper | | " + " | ".join(deltas) + " |")
    notes = [f"[{i}] {text}" for i, text in enumerate(footnotes, start=1)] + table_notes(table)
    if notes:
        lines += [""] + notes
    return "\n".join(lines) + "\n"
