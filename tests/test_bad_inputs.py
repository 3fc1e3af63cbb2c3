"""Every ``lmmr1`` sub-command and the Hydra entry, walked through a table of bad inputs (issue 21).

The rule each row must satisfy, whatever the command: a non-zero exit, no ``Traceback`` on stderr, a message
naming the problem, and nothing half-written (no file appears in the workspace that was not there before,
no ``*.tmp`` left behind). The rows are the cases a newcomer meets: typos, missing or broken files, outputs
that are folders or sit under a file, numbers out of range, a run directory of the wrong shape.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

GOOD_ROW = json.dumps({"response": "\\boxed{2}", "ground_truth": "2"}) + "\n"
HF_ROW = json.dumps({"question": "1+1?", "answer": "2"}) + "\n"


def _workspace(root: Path) -> Path:
    """Inputs of every kind, good and broken, in a fresh folder."""
    (root / "good.jsonl").write_text(GOOD_ROW)
    (root / "hf.jsonl").write_text(HF_ROW)
    (root / "resp.jsonl").write_text(json.dumps({"benchmark": "math500", "id": "1", "response": "2"}) + "\n")
    (root / "bad_utf8.jsonl").write_bytes(b'{"message": "ok"}\n\xff\xfe not text\n')
    (root / "binary.jsonl").write_bytes(bytes(range(256)) * 8)
    (root / "adir").mkdir()
    (root / "afile").write_text("a file, not a folder\n")
    (root / "bad.parquet").write_text("not parquet\n")
    # run directories: wrong shape, stages of the wrong shape, corrupt, another recipe's, a good one
    for name, manifest in {
        "run_list": "[1, 2]",
        "run_stages": json.dumps({"recipe": "sanity", "stages": "sanity"}),
        "run_status": json.dumps({"recipe": "sanity", "stages": [{"name": "sanity", "status": "finished"}]}),
        "run_corrupt": '{"recipe": "sanity", "stages": [',
        "run_other": json.dumps({"recipe": "fre_text", "stages": [{"name": "fre_text", "status": "done"}]}),
        "run_good": json.dumps({"recipe": "sanity", "stages": [{"name": "sanity", "status": "done", "steps": 2}]}),
    }.items():
        (root / name).mkdir()
        (root / name / "manifest.json").write_text(manifest)
    metrics = [{"stage": "sanity", "step": s, "critic/score/mean": 0.1 * s} for s in (1, 2)]
    (root / "run_good" / "metrics.jsonl").write_text("".join(json.dumps(m) + "\n" for m in metrics))
    (root / "eval_corrupt").mkdir()
    (root / "eval_corrupt" / "summary.json").write_text('{"protocol": "rule", "benchmarks": {')
    return root


# (command line, words the message must contain). Paths are relative to the workspace.
CASES: list[tuple[list[str], list[str]]] = [
    # lmmr1 score
    (["score", "--reward", "math", "--input", "missing.jsonl"], ["missing.jsonl"]),
    (["score", "--reward", "math", "--input", "good.jsonl", "--output", "adir"], ["adir", "is a directory"]),
    (["score", "--reward", "math", "--input", "good.jsonl", "--output", "afile/x.jsonl"], ["afile", "not a folder"]),
    (["score", "--reward", "os:system", "--input", "good.jsonl"], ["os:system", "not a reward function"]),
    (["score", "--reward", "math", "--input", "good.jsonl", "--timeout", "-1"], ["--timeout"]),
    (["score", "--reward", "math", "--input", "good.jsonl", "--workers", "0"], ["--workers"]),
    (["score", "--reward", "math", "--input", "binary.jsonl"], ["no row", "could be scored"]),
    (["score", "--reward", "maht", "--input", "good.jsonl"], ["maht", "math"]),
    (["score", "--reward", "math", "--input", "good.jsonl", "--reward-kwargs", "{bad"], ["--reward-kwargs"]),
    # lmmr1 data
    (["data", "prepare", "--format", "hf", "--input", "binary.jsonl", "--output", "o.parquet"], ["binary.jsonl:1"]),
    (
        ["data", "prepare", "--format", "lmmr1-message", "--input", "bad_utf8.jsonl", "--output", "o.parquet"],
        ["bad_utf8.jsonl:2", "not valid UTF-8"],
    ),
    (
        ["data", "prepare", "--format", "sft-messages", "--input", "bad_utf8.jsonl", "--output", "o.parquet"],
        ["bad_utf8.jsonl:2", "not valid UTF-8"],
    ),
    (["data", "prepare", "--format", "hf", "--input", "hf.jsonl", "--output", "adir"], ["adir", "is a directory"]),
    (["data", "prepare", "--format", "hf", "--input", "missing.jsonl", "--output", "o.parquet"], ["missing.jsonl"]),
    (["data", "generate", "sokoban", "--n", "-3", "--output", "s"], ["--n", "1 or more"]),
    (["data", "generate", "sokoban", "--n", "2", "--boxes", "40", "--output", "s"], ["--boxes 40", "do not fit"]),
    (["data", "generate", "sokoban", "--n", "2", "--output", "afile"], ["afile", "is a file"]),
    (["data", "generate", "football", "--n", "0", "--output", "f"], ["--n"]),
    (["data", "sokoban", "--n", "2", "--out", "afile"], ["afile", "is a file"]),  # lmmr1 0.x's spelling
    (["data", "generate"], ["sokoban", "football"]),
    (
        ["data", "mix", "good.jsonl:1", "--output", "m.parquet", "--val-fraction", "0.1", "--val-output", "v.parquet"],
        ["data mix writes the mixture only", "lmmr1 data split"],
    ),
    (
        [
            "data",
            "split",
            "missing.parquet",
            "--val-fraction",
            "0.1",
            "--train-output",
            "t.parquet",
            "--val-output",
            "v",
        ],
        ["missing.parquet"],
    ),
    (["data", "dedup", "good.jsonl", "--output", "adir"], ["adir", "is a directory"]),
    (["data", "inspect", "missing.parquet"], ["missing.parquet"]),
    # lmmr1 eval
    (
        [
            "eval",
            "--responses",
            "resp.jsonl",
            "--data-dir",
            "nodata",
            "--output",
            "ev",
            "--benchmarks",
            "math500,mmstar",
        ],
        ["math500", "mmstar"],
    ),
    (["eval", "--responses", "resp.jsonl", "--data-dir", "nodata", "--output", "ev", "--benchmarks", ""], ["names no"]),
    (["eval", "--responses", "resp.jsonl", "--data-dir", "d", "--output", "ev", "--limit", "0"], ["--limit"]),
    (["eval", "--responses", "resp.jsonl", "--data-dir", "d", "--output", "afile"], ["afile", "is a file"]),
    (["eval", "--responses", "resp.jsonl", "--data-dir", "d", "--output", "ev", "--benchmarks", "math50"], ["math500"]),
    # lmmr1 report
    (["report", "eval_corrupt"], ["summary.json", "not valid JSON"]),
    (["report", "eval_corrupt/summary.json"], ["summary.json", "not valid JSON"]),
    (["report", "no_such_folder"], ["no_such_folder"]),
    (["report", "--paper-only", "--output", "afile"], ["afile", "is a file"]),
    # lmmr1 status / plot / view
    (["status", "run_list"], ["manifest.json", "not an lmmr1 manifest"]),
    (["status", "run_stages"], ["manifest.json", "not an lmmr1 manifest"]),
    (["status", "run_status"], ["status", "finished"]),
    (["status", "adir"], ["no manifest.json"]),
    (["plot", "run_list"], ["not an lmmr1 manifest"]),
    (["plot", "run_good", "--output", "afile"], ["afile", "is a file"]),
    (["view", "run_stages"], ["not an lmmr1 manifest"]),
    (["view", "run_corrupt"], ["not valid JSON"]),
    (["view", "run_good", "--output", "adir"], ["adir", "is a directory"]),
    (["view", "run_good", "--output", "afile/page.html"], ["afile", "not a folder"]),
    (
        ["data", "prepare", "--format", "hf", "--input", "bad.parquet", "--output", "o.parquet"],
        ["not a readable parquet"],
    ),
    (["view", "run_good", "--eval", "nothere"], ["--eval nothere", "no such folder"]),
    (
        ["eval", "--responses", "resp.jsonl", "--data-dir", "d", "--output", "ev", "--judge", "notaurl"],
        ["--judge", "http"],
    ),
    # lmmr1 ls / train
    (["ls", "recipe"], ["invalid choice"]),
    (["train", "+recipe=fre_txt"], ["no such recipe", "fre_text"]),
    (["train", "+recipe=sanity", "deterministc=true"], ["deterministic"]),
]

# the Hydra entry, python -m lmmr1.main
MAIN_CASES: list[tuple[list[str], list[str]]] = [
    (["+recipe=sanity", "output_dir=afile", "dry_run=true"], ["output_dir", "afile", "is a file"]),
    (["+recipe=sanity", "output_dir=afile/run"], ["output_dir", "not a folder"]),
    (["+recipe=sanity", "output_dir=run_other"], ["belongs to recipe 'fre_text'"]),
    (["+recipe=sanity", "output_dir=run_corrupt"], ["manifest.json", "not valid JSON"]),
    (["+recipe=sanity", "output_dir=run_list"], ["not an lmmr1 manifest"]),
    (["+recipe=sanity", "+stages.sanity.verl.trainer.save_freq=abc", "dry_run=true"], ["save_freq", "integer"]),
    (["+recipe=sanity", "scale=smok"], ["scale=smok", "smoke"]),
    (["+recipe=sanity", "scale.nnodes=0", "dry_run=true"], ["scale.nnodes = 0"]),
    (["+recipe=sanity", "scale=smoke", "scale.device=gpu", "dry_run=true"], ["scale.device", "cuda"]),
    (["+recipe=sanity", "output_dir=", "dry_run=true"], ["output_dir is empty"]),
    (["+recipe=sanity", "max_attempts=0", "dry_run=true"], ["max_attempts"]),
    (["+recipe=sanity", "data.train_files=[]", "dry_run=true"], ["data.train_files", "empty"]),
    (["+recipe=sanity", "stages=5", "dry_run=true"], ["stages = 5"]),
    (["+recipe=sanity", "curriculum=5", "dry_run=true"], ["curriculum = 5"]),
]


def _snapshot(root: Path) -> dict[str, float]:
    return {str(p.relative_to(root)): p.stat().st_mtime for p in root.rglob("*")}


def _check(result: subprocess.CompletedProcess, root: Path, before: dict[str, float], needles: list[str]) -> None:
    err = result.stderr
    assert result.returncode != 0, f"exit 0 for a bad input\n{err[-2000:]}"
    assert "Traceback" not in err, err[-4000:]
    assert "unexpected" not in err, err[-2000:]  # the crash handler's line: a bug, not a message
    for needle in needles:
        assert needle in err, f"{needle!r} not in:\n{err[-2000:]}"
    after = _snapshot(root)
    new = sorted(set(after) - set(before))
    assert not new, f"files left behind: {new}"
    changed = sorted(k for k in before if k in after and after[k] != before[k] and not Path(root / k).is_dir())
    assert not changed, f"files changed: {changed}"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("LMMR1_CACHE", str(Path.home() / ".cache" / "lmmr1"))
    env.pop("LMMR1_TRACEBACK", None)
    return env


def _refused(module: str, args: list[str], needles: list[str], tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    before = _snapshot(root)
    argv = [sys.executable, "-m", module, *args]
    result = subprocess.run(argv, capture_output=True, text=True, cwd=root, env=_env(), timeout=600)
    _check(result, root, before, needles)


@pytest.mark.parametrize("args,needles", CASES, ids=[" ".join(a)[:60] for a, _ in CASES])
def test_every_command_refuses_bad_input_cleanly(tmp_path, args, needles):
    _refused("lmmr1.cli", args, needles, tmp_path)


@pytest.mark.parametrize("args,needles", MAIN_CASES, ids=[" ".join(a)[:60] for a, _ in MAIN_CASES])
def test_the_training_entry_refuses_bad_input_cleanly(tmp_path, args, needles):
    _refused("lmmr1.main", args, needles, tmp_path)


def test_an_unexpected_error_is_one_line_and_a_log_file(tmp_path):
    """The rule for bugs: one line naming the exception and the log file that holds the traceback."""
    code = "import sys; from lmmr1.errors import guarded; sys.exit(guarded('lmmr1 demo', lambda: {}['missing']))"
    env = dict(_env(), LMMR1_CACHE=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "lmmr1 demo: error: unexpected KeyError" in result.stderr
    logs = list((tmp_path / "crash").glob("*.log"))
    assert len(logs) == 1 and "Traceback" in logs[0].read_text() and str(logs[0]) in result.stderr


def test_written_files_follow_the_umask(tmp_path):
    """Files lmmr1 writes atomically get 0666 & ~umask (mkstemp's 0600 made shared data folders unreadable)."""
    from lmmr1.outputs import write_text
    from lmmr1.run.manifest import Manifest

    old = os.umask(0o022)
    try:
        write_text(tmp_path / "a.txt", "x")
        Manifest.load_or_create(tmp_path / "run" / "manifest.json", "sanity", ["sanity"]).save()
        result = subprocess.run(
            [sys.executable, "-m", "lmmr1.cli", "data", "generate", "sokoban", "--n", "2", "--output", "s", "--quiet"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=_env(),
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
    finally:
        os.umask(old)
    for path in [tmp_path / "a.txt", tmp_path / "run" / "manifest.json", *(tmp_path / "s").rglob("*")]:
        if path.is_file():
            assert path.stat().st_mode & 0o777 == 0o644, (path, oct(path.stat().st_mode))


def test_score_reads_a_bare_number_as_its_text(tmp_path):
    rows = tmp_path / "rows.jsonl"
    cases = [{"response": 7, "ground_truth": "7"}, {"response": [7], "ground_truth": "7"}]
    cases.append({"response": "7", "ground_truth": "7"})
    rows.write_text("".join(json.dumps(r) + "\n" for r in cases))
    result = subprocess.run(
        [sys.executable, "-m", "lmmr1.cli", "score", "--reward", "math", "--input", str(rows), "--quiet"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    first, second, as_text = [json.loads(x) for x in result.stdout.splitlines()]
    assert first == as_text and not first.get("error")  # scored exactly as the text "7"
    assert second["score"] == 0.0 and "'response' is a list, expected text" in second["error"]
    assert "AttributeError" not in second["error"]


def test_a_relative_sokoban_folder_prepares_as_docs_show(tmp_path):
    """`data generate sokoban --output raw/s` then `data prepare --format sokoban --input raw/s`: the folder was joined twice."""
    run = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "lmmr1.cli", *a], cwd=tmp_path, capture_output=True, text=True, env=_env(), timeout=300
    )
    made = run("data", "generate", "sokoban", "--n", "3", "--output", "raw/s", "--quiet")
    assert made.returncode == 0, made.stderr
    prepared = run("data", "prepare", "--format", "sokoban", "--input", "raw/s", "--output", "s.parquet", "--quiet")
    assert prepared.returncode == 0, prepared.stderr
    assert "wrote 3 rows" in prepared.stderr


def test_ls_recipes_prints_each_purpose_and_version_prints_the_version():
    out = subprocess.run(
        [sys.executable, "-m", "lmmr1.cli", "ls", "recipes"], capture_output=True, text=True, env=_env(), timeout=120
    )
    assert out.returncode == 0
    lines = dict(line.split(None, 1) for line in out.stdout.splitlines())
    assert lines["fre_text"].startswith("FRE-Text") and all(lines.values())
    version = subprocess.run(
        [sys.executable, "-m", "lmmr1.cli", "--version"], capture_output=True, text=True, env=_env(), timeout=120
    )
    assert version.returncode == 0 and version.stdout.startswith("lmmr1 0.")
