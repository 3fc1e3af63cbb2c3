"""docs/data.md as a reader follows it: every command of the page, in its order, in one folder (slow).

The reader has downloaded DeepScaleR and VerMulti (``raw/``); here they are small stand-ins in the public
layouts (a parquet table with problem/answer/solution columns; LMM-R1's message JSONL with ``file://``
images written on the authors' machine, rows from geometry and other sources). What differs from the page,
and why: ``--n 60000`` of ``data mix`` samples 60 rows (the stand-ins hold hundreds, not the paper's tens of
thousands); ``/models/Qwen2.5-VL-3B-Instruct`` is lmmr1's tiny Qwen2.5-VL for ``data inspect`` (the same
processor class; no hub) and an empty folder for the dry-run launches (which only check that it exists).
The launches run with ``dry_run=true`` (no GPU here).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent / "data"))
from test_readme import DOCS, readme_commands, rule_for  # noqa: E402

pytestmark = pytest.mark.slow
MODEL = "/models/Qwen2.5-VL-3B-Instruct"


def _stand_ins(root: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from data_helpers import lmmr1_record, png_bytes

    deepscaler = root / "raw" / "deepscaler"
    deepscaler.mkdir(parents=True)
    rows = [{"problem": f"What is {i} + {i}?", "answer": str(2 * i), "solution": "..."} for i in range(300)]
    pq.write_table(pa.Table.from_pylist(rows), deepscaler / "train-00000-of-00001.parquet")
    vermulti = root / "raw" / "VerMulti"
    (vermulti / "images").mkdir(parents=True)
    records = []
    for i in range(300):
        (vermulti / "images" / f"{i}.png").write_bytes(png_bytes(64 + i % 7, 48, (i % 255, 30, 30)))
        source = "geoqa_plus" if i % 3 == 0 else "chartqa"
        image = f"file:///path/on/their/machine/{i}.png"
        records.append(lmmr1_record([image], f"Question {i}: what is shown?", str(i), source=source))
    records.append(records[5])  # a repeated prompt, which dedup removes
    (vermulti / "vermulti.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))


def _argv(command: str, root: Path, data: Path, tiny_model: str) -> list[str]:
    command = command.replace("--n 60000", "--n 60")  # see the module docstring
    model = tiny_model if command.startswith("lmmr1 data inspect") else str(root / "models" / "qwen")
    command = command.replace(MODEL, model)
    values = {"$D": str(data), "$LMMR1_DATA": str(data), "$PWD": str(root)}
    argv = [re.sub(r"\$(D|LMMR1_DATA|PWD)\b", lambda m: values["$" + m.group(1)], a) for a in shlex.split(command)]
    if argv[0] == "lmmr1":
        return [sys.executable, "-m", "lmmr1.cli", *argv[1:]]
    assert argv[:3] == ["python", "-m", "lmmr1.main"], command
    return [sys.executable, *argv[1:], "dry_run=true"]


def test_docs_data_md_runs_as_written_in_order(tmp_path, lmmr1_env):
    from lmmr1.tiny_models import ensure_tiny_model

    commands = readme_commands((DOCS / "data.md").read_text(encoding="utf-8"))
    runnable = [c for c in commands if " " in c and (rule := rule_for(c)) and rule[1] in ("run", "dry")]
    assert len(runnable) >= 15, runnable  # the page's walk-through, not a stray mention
    _stand_ins(tmp_path)
    (tmp_path / "models" / "qwen").mkdir(parents=True)
    data = tmp_path / "data"
    env = dict(lmmr1_env, LMMR1_DATA=str(data))
    tiny = ensure_tiny_model("qwen2_5_vl")
    for command in runnable:
        if re.fullmatch(r"lmmr1( [a-z]+)+", command):
            continue  # a sub-command named in the text (its --help runs in test_readme)
        result = subprocess.run(
            _argv(command, tmp_path, data, tiny), capture_output=True, text=True, env=env, cwd=tmp_path, timeout=900
        )
        assert result.returncode == 0, f"{command}\n{result.stderr[-3000:]}"
    # what the page promised to leave behind
    for name in ("deepscaler", "vermulti", "sokoban"):
        assert (data / name / "train.parquet").is_file() and (data / name / "val.parquet").is_file(), name
    assert (data / "vermulti_geo" / "all.parquet").is_file() and (data / "mix" / "train.parquet").is_file()
    import pyarrow.parquet as pq

    geo = pq.read_table(data / "vermulti_geo" / "all.parquet").num_rows
    assert geo == 100  # --where 'source=(?i)geo' kept the geometry rows only
    assert pq.read_table(data / "mix" / "train.parquet").num_rows == 60
    shutil.rmtree(tmp_path / "raw", ignore_errors=True)
    assert os.listdir(data)
