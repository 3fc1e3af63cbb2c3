"""A run directory written by an earlier lmmr1 still works with today's code: the next stage trains from it.

The fixture was written on another machine (another lmmr1 cache, another output folder) before the
renovation that moved the modules; see ``old_run_dirs/README.md``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OLD = Path(__file__).parent / "old_run_dirs" / "e97b171_my_curriculum"

pytestmark = pytest.mark.slow


def _lmmr1(args: list[str], env: dict, cwd: Path, module: str = "lmmr1.cli") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=900
    )


def _with_export(run: Path) -> None:
    """The first stage's HF export, where the manifest and ``final_hf`` point. Weights are not kept in git:
    the tiny Qwen2.5-VL (the same architecture and files, before its 3 training steps) is built here."""
    from lmmr1.tiny_models import ensure_tiny_model

    export = run / "fre_text" / "checkpoints" / "global_step_3" / "actor" / "huggingface"
    shutil.copytree(ensure_tiny_model("qwen2_5_vl"), export)


def test_a_run_dir_written_before_the_renovation_goes_on_to_its_next_stage(tmp_path, lmmr1_env):
    run = tmp_path / "carried" / "my_curriculum"
    shutil.copytree(OLD, run, symlinks=True)
    _with_export(run)
    env = dict(lmmr1_env, LMMR1_CACHE=str(tmp_path / "other_cache"))  # another machine's cache
    result = _lmmr1(
        [f"hydra.searchpath=[file://{REPO}/examples/curriculum]", "+recipe=my_curriculum", f"output_dir={run}"],
        env,
        tmp_path,
        module="lmmr1.main",
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "fre_text" in result.stderr and "already done" in result.stderr
    manifest = json.loads((run / "manifest.json").read_text())
    first, second = manifest["stages"]
    assert first["name"] == "fre_text" and first["status"] == "done" and first["attempts"] == 1
    assert second["name"] == "digits" and second["status"] == "done" and second["steps"] >= 1
    # the second stage started from the first one's export, found inside the moved folder
    assert second["init_model"] == str(run / "fre_text" / "checkpoints" / "global_step_3" / "actor" / "huggingface")
    assert (run / "digits" / "final_hf" / "config.json").is_file()
    # the old stage's rows and metrics are read by today's views beside the new stage's
    status = _lmmr1(["status", str(run)], env, tmp_path)
    assert status.returncode == 0, status.stderr
    assert "fre_text" in status.stdout and "digits" in status.stdout
    view = _lmmr1(["view", str(run), "--output", str(tmp_path / "view.html")], env, tmp_path)
    assert view.returncode == 0, view.stderr
    page = (tmp_path / "view.html").read_text()
    assert "fre_text" in page and "digits" in page
