"""``lmmr1 data`` end to end through the real CLI dispatcher (exit codes, messages, files)."""

import json
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from lmmr1.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from data_helpers import build_qwen_vl_processor_dir, lmmr1_record, png_bytes, write_jsonl  # noqa: E402


@pytest.fixture(scope="module")
def qwen_vl_model_dir(tmp_path_factory):
    return build_qwen_vl_processor_dir(tmp_path_factory.mktemp("tiny_qwen2_5_vl"))


@pytest.fixture
def src(tmp_path):
    (tmp_path / "a.png").write_bytes(png_bytes())
    return write_jsonl(
        tmp_path / "msgs.jsonl",
        [
            lmmr1_record(["a.png"], "What is shown?", "$\\boxed{3}$", id="1"),
            lmmr1_record(["missing.png"], "And here?", "$4$", id="2"),
            lmmr1_record(["a.png"], "Again?", "5", id="3"),
        ],
    )


def test_prepare_stops_on_bad_row_with_file_line(src, tmp_path, capsys):
    out = tmp_path / "out.parquet"
    code = main(["data", "prepare", "--format", "lmmr1-message", "--input", str(src), "--output", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and f"{src}:2: " in err and "image file not found" in err and "--skip-bad" in err
    assert not out.exists()


def test_prepare_skip_bad_then_mix_split_dedup_inspect(src, tmp_path, capsys):
    out = tmp_path / "out.parquet"
    code = main(
        [
            "data",
            "prepare",
            "--format",
            "lmmr1-message",
            "--input",
            str(src),
            "--output",
            str(out),
            "--skip-bad",
            "--data-source",
            "vermulti",
            "--no-system-prompt",
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    assert code == 0 and "wrote 2 rows" in err and "(3 read, 1 skipped)" in err and f"skipped {src}:2" in err
    rows = pq.read_table(out).to_pylist()
    assert rows[0]["prompt"] == [{"role": "user", "content": "<image>What is shown?"}]
    assert json.loads((tmp_path / "out.skipped.jsonl").read_text())["where"] == f"{src}:2"

    text = write_jsonl(tmp_path / "ds.jsonl", [{"problem": f"p{i % 5}", "answer": str(i)} for i in range(20)])
    ds = tmp_path / "ds.parquet"
    assert main(["data", "prepare", "--format", "hf", "--input", str(text), "--output", str(ds), "--quiet"]) == 0

    mixed, val = tmp_path / "mix.parquet", tmp_path / "val.parquet"
    assert (
        main(
            [
                "data",
                "mix",
                f"{out}:0.5",
                f"{ds}:0.5",
                "--n",
                "4",
                "--seed",
                "7",
                "--output",
                str(mixed),
            ]
        )
        == 0
    )
    assert "mixed 4 rows" in capsys.readouterr().err
    train = tmp_path / "train.parquet"
    argv = ["data", "split", str(mixed), "--val-fraction", "0.25", "--train-output", str(train), "--val-output"]
    assert main([*argv, str(val)]) == 0
    assert pq.ParquetFile(train).metadata.num_rows + pq.ParquetFile(val).metadata.num_rows == 4

    tr, va = tmp_path / "tr.parquet", tmp_path / "va.parquet"
    assert (
        main(["data", "split", str(ds), "--val-fraction", "0.2", "--train-output", str(tr), "--val-output", str(va)])
        == 0
    )
    dd = tmp_path / "dd.parquet"
    assert main(["data", "dedup", str(ds), "--output", str(dd)]) == 0
    assert "15 duplicate prompts removed" in capsys.readouterr().err

    assert main(["data", "inspect", str(out), "--quiet"]) == 0
    report = capsys.readouterr().out
    assert "rows: 2" in report and "sources: vermulti 2" in report


def test_inspect_strict_exits_nonzero_on_over_long_rows(src, tmp_path, capsys, qwen_vl_model_dir):
    out = tmp_path / "out.parquet"
    main(
        [
            "data",
            "prepare",
            "--format",
            "lmmr1-message",
            "--input",
            str(src),
            "--output",
            str(out),
            "--skip-bad",
            "--quiet",
        ]
    )
    code = main(
        ["data", "inspect", str(out), "--model", qwen_vl_model_dir, "--max-prompt-length", "50", "--strict", "--quiet"]
    )
    assert code == 1 and "rows over max_prompt_length=50: 2" in capsys.readouterr().out


def test_data_without_subcommand_prints_help(capsys):
    assert main(["data"]) == 2
    assert "prepare" in capsys.readouterr().out
