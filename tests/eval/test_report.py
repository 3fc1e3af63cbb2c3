"""lmmr1 report: the paper's tables as published, the user's rows beside them, deltas, charts."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lmmr1.report.tables import TABLES, build, markdown, published_rows, user_row

# Typed from the paper's tables (arXiv v1), independently of lmmr1/report/published/*.json.
PAPER = {
    "table1": """
Qwen2.5-VL-3B 63.40 30.30 46.85 10.28 23.59 34.64 51.40 60.70 36.12
FRE-Multi 61.80 27.27 44.54 11.80 24.74 38.45 58.76 64.20 38.71
FRE-Text 65.40 36.87 51.14 15.62 25.76 38.83 55.15 61.40 39.35
MGT-Geo 65.80 32.32 49.06 14.63 26.84 41.80 54.39 59.00 39.33
MGT-PerceReason 63.80 38.89 51.35 15.62 26.35 41.55 58.03 63.20 40.95""",
    "table2": """
Qwen2.5-VL-3B 34.52 20.78 26.33 20.49 25.53 43.15 35.41 33.38 32.87 28.43 34.64
Direct-RL-Geo 30.95 17.53 26.59 22.54 24.40 47.59 40.36 38.96 36.04 27.03 38.00
FRE-Text 28.57 22.08 31.01 24.10 26.44 48.22 42.26 39.72 38.96 25.00 38.83
MGT-Geo 36.90 22.73 31.66 27.87 29.79 51.02 42.51 39.72 39.09 36.68 41.80""",
    "table3": """
Idle_baseline 41.18 2.53
Human_level 83.63 54.68
Claude-3.5-Sonnet 48.26 16.94
Gemini-1.5-pro 46.13 18.33
GPT-4o 46.09 21.20
Qwen2.5-VL-3B 42.35 15.36
FRE-Text 44.81 18.46
Direct-RL-Sokoban 46.89 16.32
MGT-Sokoban 47.91 18.99""",
}


def _paper(table):
    rows = {}
    for line in PAPER[table].strip().splitlines():
        label, *values = line.split()
        rows[label.replace("_", " ")] = [float(v) for v in values]
    return rows


@pytest.mark.parametrize("table", list(TABLES))
def test_every_published_number_printed_equals_the_papers(table):
    expected = _paper(table)
    rows = {r.label: r for r in published_rows(table)}
    assert list(rows) == list(expected)
    text = markdown(table, build(table, []))
    for label, values in expected.items():
        assert [rows[label].values[c] for c in TABLES[table]["columns"]] == values
        line = next(l for l in text.splitlines() if l.startswith(f"| {label} |"))
        assert all(f"{v:.2f}" in line for v in values)


def test_the_papers_own_averages_hold_except_fre_multi_which_is_shown():
    for row in published_rows("table1"):
        v = row.values
        assert v["Text avg"] == pytest.approx((v["MATH500"] + v["GPQA"]) / 2, abs=0.006)
        mm = sum(v[c] for c in ("OlympiadBench", "MathVision", "MathVerse", "MM-Star", "MathVista")) / 5
        if row.label == "FRE-Multi":
            assert abs(v["MM avg"] - mm) > 0.5 and "39.59" in row.notes["MM avg"]
        else:
            assert v["MM avg"] == pytest.approx(mm, abs=0.006)
    text = markdown("table1", build("table1", []))
    assert "38.71 [1]" in text and "39.59" in text


def test_user_rows_follow_the_layout_derive_averages_and_show_deltas():
    summary = {
        "protocol": "rule",
        "benchmarks": {
            "math500": {"score": 60.0},
            "gpqa_diamond": {"score": 40.0},
            "olympiadbench": {"score": 10.0},
            "mathvision": {
                "score": 20.0,
                "table2": {"Analytic": 30.0, "Combinatorial": 20.0, "Metric": 10.0, "Solid": 0.0, "AVG": 15.0},
            },
            "mathverse": {"score": 30.0, "versions": {"TD": 50.0, "TL": 40.0, "VI": 30.0, "VD": 20.0, "VO": 10.0}},
            "mmstar": {"score": 50.0},
            "mathvista": {"score": 40.0},
        },
    }
    row = user_row("table1", summary, "FRE-Text")
    assert row.values["Text avg"] == pytest.approx(50.0) and row.values["MM avg"] == pytest.approx(30.0)
    text = markdown("table1", build("table1", [row]))
    assert "| FRE-Text | yours, protocol rule | 60.00 | 40.00 | 50.00 |" in text
    assert "| Δ FRE-Text vs paper | | -5.40 | +3.13 |" in text
    t2 = user_row("table2", summary, "MGT-Geo")
    assert [t2.values[c] for c in TABLES["table2"]["columns"]] == [
        30.0,
        20.0,
        10.0,
        0.0,
        15.0,
        50.0,
        40.0,
        30.0,
        20.0,
        10.0,
        30.0,
    ]
    assert user_row("table3", summary, "x") is None


def test_paper_only_cli_prints_the_three_tables_and_writes_charts(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "lmmr1.cli", "report", "--paper-only", "--output", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    for table in TABLES.values():
        assert table["title"] in out.stdout
    assert all((tmp_path / "r" / f"table{i}.png").read_bytes()[:4] == b"\x89PNG" for i in (1, 2, 3))


def test_a_benchmark_scored_on_part_of_its_items_shows_n_and_a_partial_delta(tmp_path):
    """--limit results are not the paper's figure: n beside the score, the delta marked partial (issue 22)."""
    summary = {
        "protocol": "rule",
        "benchmarks": {
            "math500": {"score": 60.0, "scored": 64, "rows_in": 500, "excluded": {}},
            "gpqa_diamond": {"score": 40.0, "scored": 198, "rows_in": 198, "excluded": {}},
        },
    }
    row = user_row("table1", summary, "FRE-Text")
    text = markdown("table1", build("table1", [row]))
    assert "60.00 (n=64/500)" in text and "40.00 |" in text and "40.00 (n=" not in text
    assert "-5.40 (partial)" in text and "+3.13 |" in text
    assert "| 50.00 (n=" in text  # the text average stands on a partial benchmark too
    paper_only = subprocess.run(
        [sys.executable, "-m", "lmmr1.cli", "report", "--paper-only"], capture_output=True, text=True, cwd=tmp_path
    )
    assert paper_only.returncode == 0 and list(tmp_path.iterdir()) == []  # printed, nothing written
