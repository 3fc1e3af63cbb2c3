import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from data_helpers import png_bytes, write_jsonl

from lmmr1.data.errors import DataError
from lmmr1.data.formats.base import PrepareOptions
from lmmr1.data.prepare import prepare
from lmmr1.prompts import MATH_SUFFIX

DEEPSCALER = [
    {"problem": "Compute $1+1$.", "answer": "2", "solution": "It is 2."},
    {"problem": "Find $x$ if $2x=1$.", "answer": "\\frac{1}{2}", "solution": "Divide."},
]


def run(inputs, out, options=None, **kw):
    return prepare("hf", [str(p) for p in inputs], str(out), options, show_progress=False, **kw)


@pytest.mark.parametrize("kind", ["jsonl", "parquet", "json"])
def test_deepscaler_columns_need_no_flags(tmp_path, kind):
    src = tmp_path / f"deepscaler.{kind}"
    if kind == "jsonl":
        write_jsonl(src, DEEPSCALER)
    elif kind == "json":
        src.write_text(json.dumps(DEEPSCALER))
    else:
        pq.write_table(pa.Table.from_pylist(DEEPSCALER), src)
    out = tmp_path / "out.parquet"
    run([src], out)
    rows = pq.read_table(out).to_pylist()
    assert [r["reward_model"]["ground_truth"] for r in rows] == ["2", "\\frac{1}{2}"]
    assert rows[0]["prompt"][-1] == {"role": "user", "content": "Compute $1+1$." + MATH_SUFFIX}
    assert rows[0]["images"] == [] and rows[0]["data_source"] == "deepscaler"
    assert rows[1]["extra_info"]["solution"] == "Divide." and rows[1]["extra_info"]["index"] == 1


def test_geometry_parquet_with_hf_image_structs_and_inline_placeholders(tmp_path, images_dir):
    img1, img2 = png_bytes(40, 40), png_bytes(90, 30)
    table = pa.Table.from_pylist(
        [
            {"id": "g1", "images": [{"bytes": img1, "path": None}], "problem": "In <image>, find AB.", "answer": "5"},
            {
                "id": "g2",
                "images": [{"bytes": None, "path": "b.jpg"}, {"bytes": img2, "path": "x.png"}],
                "problem": "Two figures.",
                "answer": "$\\boxed{3}$",
            },
        ]
    )
    src = tmp_path / "geo" / "train-00000.parquet"
    src.parent.mkdir()
    pq.write_table(table, src)
    out = tmp_path / "geo.parquet"
    run([src.parent], out, PrepareOptions(image_root=str(images_dir), suffix=""))  # a hub-snapshot folder
    rows = pq.read_table(out).to_pylist()
    assert rows[0]["prompt"][-1]["content"] == "In <image>, find AB."
    assert rows[1]["prompt"][-1]["content"] == "<image><image>Two figures."
    assert [i["bytes"] for i in rows[1]["images"]] == [(images_dir / "b.jpg").read_bytes(), img2]
    assert rows[1]["reward_model"]["ground_truth"] == "3" and rows[1]["data_source"] == "geo"
    assert [r["extra_info"]["id"] for r in rows] == ["g1", "g2"]


def test_save_to_disk_folder_and_custom_columns(tmp_path):
    import datasets

    ds = datasets.Dataset.from_list([{"q": "What is 3?", "gt": 3, "uid": 7, "level": "easy"}])
    datasets.DatasetDict({"train": ds, "test": ds}).save_to_disk(str(tmp_path / "saved"))
    out = tmp_path / "o.parquet"
    opts = PrepareOptions(
        question_key="q",
        answer_key="gt",
        id_key="uid",
        keep_keys=["level"],
        hf_split="test",
        data_source="toy",
        split="val",
    )
    run([tmp_path / "saved"], out, opts)
    row = pq.read_table(out).to_pylist()[0]
    assert row["reward_model"]["ground_truth"] == "3"
    assert row["extra_info"] | {} == {
        "index": 0,
        "id": "7",
        "split": "val",
        "answer": "3",
        "source_file": "saved",
        "level": "easy",
    }


def test_missing_column_and_mismatched_placeholders(tmp_path):
    src = write_jsonl(tmp_path / "x.jsonl", [{"text": "hi", "answer": "1"}])
    with pytest.raises(DataError, match="no question column found among text, answer; name it with --question-key"):
        run([src], tmp_path / "o.parquet")
    src = write_jsonl(tmp_path / "y.jsonl", [{"problem": "<image> and <image>", "answer": "1", "images": []}])
    with pytest.raises(DataError, match=rf"{src}:1: the question has 2 '<image>' placeholder"):
        run([src], tmp_path / "o.parquet")


def test_where_on_an_unknown_column_is_an_error(tmp_path):
    import re

    src = write_jsonl(tmp_path / "d.jsonl", DEEPSCALER)
    with pytest.raises(DataError, match="--where level=...: no column 'level'"):
        run([src], tmp_path / "o.parquet", PrepareOptions(where=[("level", re.compile("x"))]))
    out = tmp_path / "o.parquet"
    assert run([src], out, PrepareOptions(where=[("answer", re.compile(r"frac"))])).rows_out == 1
