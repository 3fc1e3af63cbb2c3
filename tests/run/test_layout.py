"""The run directory's layout, the reward row and the metric keys are spelled once (lmmr1.run.layout)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from lmmr1.run.layout import EvalPaths, RewardRow, RunPaths, read_reward_rows

REPO = Path(__file__).resolve().parents[2]
OLD_RUN = Path(__file__).parent / "old_run_dirs" / "e97b171_my_curriculum"
# file names of a run or evaluation directory, and the metric keys lmmr1 reads back
SPELLED_ONCE = (
    "manifest.json",
    "metrics.jsonl",
    "reward_rows.jsonl",
    "verl_metrics.jsonl",
    "agent_loops.yaml",
    "final_hf",
    "val_benchmarks.parquet",
    "latest_checkpointed_iteration.txt",
    "items.jsonl",
    "summary.json",
    "judge_cache.jsonl",
    "critic/score/mean",
    "train/loss",
    "reward/acc/mean",
    "reward/format/mean",
    "bench/",
)


def _string_constants(path: Path) -> list[tuple[int, str]]:
    """String literals of the code that are names or keys, not prose: docstrings and any text with a space
    (a message or help text naming a file for the user) are left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and not any(c.isspace() for c in node.value)
    ]


def test_layout_names_and_metric_keys_are_not_spelled_outside_the_layout_module():
    stray = []
    for folder in ("lmmr1", "rewards", "envs"):
        for path in sorted((REPO / folder).rglob("*.py")):
            if path == REPO / "lmmr1" / "run" / "layout.py":
                continue
            for lineno, text in _string_constants(path):
                for name in SPELLED_ONCE:
                    if name in text:
                        stray.append(f"{path.relative_to(REPO)}:{lineno}: {name!r} in {text[:80]!r}")
    assert not stray, "spell these through lmmr1.run.layout:\n" + "\n".join(stray)


def test_paths_from_an_output_dir(tmp_path):
    run = RunPaths(tmp_path)
    assert run.manifest == tmp_path / "manifest.json" and run.metrics == tmp_path / "metrics.jsonl"
    stage = run.stage("fre_text")
    assert stage.reward_rows == tmp_path / "fre_text" / "reward_rows.jsonl"
    assert stage.final_hf == tmp_path / "fre_text" / "final_hf"
    assert stage.earlier_verl_metrics(2).name == "verl_metrics.attempt-2.jsonl"
    assert run.stage_logs("fre_text", 1) == tmp_path / "logs" / "fre_text-1"
    assert EvalPaths(tmp_path).summary.name == "summary.json"
    assert RunPaths(OLD_RUN).is_run() and not RunPaths(tmp_path).is_run()


def test_reward_rows_written_by_an_earlier_lmmr1_read_back_and_write_out_unchanged():
    path = RunPaths(OLD_RUN).stage("fre_text").reward_rows
    rows, end = read_reward_rows(path)
    assert rows and end == path.stat().st_size
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [row.to_record() for row in rows] == lines
    first = rows[0]
    assert first.data_source == "lmmr1/sample_fre_text" and set(first.components) >= {"acc", "format", "timeout"}
    assert first.training_step == first.weights_step + 1 and not first.is_validation


def test_a_validation_row_has_no_training_step_and_unknown_keys_are_kept():
    row = RewardRow.from_record({"data_source": "bench/mathvista", "score": 1, "weights_step": 3, "note": "x"})
    assert row.is_validation and row.training_step is None
    assert row.extra == {"note": "x"} and row.components == {}
