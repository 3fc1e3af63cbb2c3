"""``lmmr1 score`` and ``lmmr1 ls``, run as a user runs them (a subprocess of the console script)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def lmmr1(*args: str, env: dict | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lmmr1.cli", *args], capture_output=True, env=env, input=stdin)


@pytest.fixture
def rows_file(tmp_path: Path) -> Path:
    lines = [
        json.dumps({"response": "<think>r</think><answer>\\boxed{\\frac{1}{2}}</answer>", "ground_truth": "0.5"}),
        json.dumps({"response": "\\boxed{3}", "ground_truth": "4", "data_source": "gsm8k"}),
        "this is not json",
        json.dumps({"response": "bad \ud800 text", "ground_truth": "1"}),  # valid JSON, invalid text
        json.dumps({"response": "ctrl \u0007", "ground_truth": "1"}),
        json.dumps({"ground_truth": "1"}),
        json.dumps({"response": "\\boxed{2^{10^{10}}}", "ground_truth": "1"}),
    ]
    path = tmp_path / "rows.jsonl"
    path.write_bytes(("\n".join(lines) + "\n").encode() + b'{"response": "\xff\xfe", "ground_truth": "1"}\n')
    return path


def test_score_writes_one_line_per_row_in_order(rows_file: Path, tmp_path: Path):
    out = tmp_path / "out.jsonl"
    proc = lmmr1("score", "--reward", "lmm_r1", "--input", str(rows_file), "--output", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["score"] for r in results] == [1.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert all({"score", "acc", "format", "timeout"} <= set(r) for r in results)
    # the control character is read as a space (issue 22): that row has no answer, not an error
    assert [bool(r.get("error")) for r in results] == [False, False, True, True, False, True, True, True]
    assert "not valid JSON" in results[2]["error"]
    assert "surrogate" in results[3]["error"]
    assert "missing field" in results[5]["error"]
    assert "exponent" in results[6]["error"]
    assert "UTF-8" in results[7]["error"]
    stderr = proc.stderr.decode()
    assert "mean score 0.1875" in stderr and "timeouts 0, errors 5" in stderr


def test_score_to_stdout_with_kwargs(tmp_path: Path):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"response": "<think>a</think><answer>b</answer>", "ground_truth": ""}) + "\n")
    proc = lmmr1("score", "--reward", "format", "--input", str(path), "--reward-kwargs", '{"weight": 2}', "--quiet")
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(proc.stdout) == {"score": 2.0, "format": 1.0, "timeout": 0}


def test_unknown_reward_exits_nonzero_and_lists_installed(rows_file: Path):
    proc = lmmr1("score", "--reward", "nope", "--input", str(rows_file))
    assert proc.returncode != 0
    assert b"Installed:" in proc.stderr and b"lmm_r1" in proc.stderr


def test_score_never_imports_torch_ray_or_verl(rows_file: Path, tmp_path: Path):
    code = (
        "import sys; from lmmr1.cli import main; "
        f"rc = main(['score', '--reward', 'math', '--input', {str(rows_file)!r}, "
        f"'--output', {str(tmp_path / 'o.jsonl')!r}, '--quiet']); "
        "heavy = sorted(m for m in ('torch', 'ray', 'verl', 'transformers') if m in sys.modules); "
        "print(rc, heavy)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip() == "0 []", proc.stderr


def test_ls_rewards_names_each_with_its_origin():
    proc = lmmr1("ls", "rewards")
    assert proc.returncode == 0
    lines = proc.stdout.decode().splitlines()
    by_name = {line.split()[0]: line for line in lines}
    for name in ("format", "math", "lmm_r1", "regex", "choice", "iou"):
        assert "(lmmr1 " in by_name[name]


def test_ls_recipes_and_envs_run():
    for what in ("recipes", "envs"):
        assert lmmr1("ls", what).returncode == 0
