import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from data_helpers import lmmr1_record, write_jsonl

from lmmr1.data.errors import DataError
from lmmr1.data.formats.base import PrepareOptions
from lmmr1.data.prepare import prepare
from lmmr1.prompts import SYSTEM_PROMPT


def run(src: Path, out: Path, **kw):
    return prepare("lmmr1-message", [str(src)], str(out), kw.pop("options", None), show_progress=False, **kw)


def test_rows_follow_verl_layout_with_images_in_order(lmmr1_jsonl, images_dir, tmp_path):
    out = tmp_path / "out.parquet"
    report = run(lmmr1_jsonl, out)
    assert (report.rows_in, report.rows_out, report.skipped) == (3, 3, [])
    rows = pq.read_table(out).to_pylist()
    first, second, text = rows
    assert first["prompt"] == [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": "<image>What is the angle?"},
    ]
    assert first["reward_model"] == {"style": "rule", "ground_truth": "60"}
    assert first["extra_info"]["answer"] == "$\\boxed{60}$"
    assert (first["extra_info"]["index"], first["extra_info"]["id"], first["extra_info"]["split"]) == (0, "q1", "train")
    # two images: two placeholders, embedded byte-for-byte in message order
    assert second["prompt"][1]["content"].count("<image>") == 2
    assert [i["bytes"] for i in second["images"]] == [
        (images_dir / "a.png").read_bytes(),
        (images_dir / "b.jpg").read_bytes(),
    ]
    assert text["images"] == [] and "<image>" not in text["prompt"][1]["content"]
    assert {r["data_source"] for r in rows} == {"vermulti"}


def test_relative_paths_image_root_and_python_literal_message(tmp_path, images_dir):
    msg = str(
        [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Before "},
                    {"type": "image", "image": "a.png"},
                    {"type": "text", "text": " after"},
                ],
            }
        ]
    )  # a Python repr, not JSON
    src = write_jsonl(tmp_path / "rel.jsonl", [{"message": msg, "answer": "7"}])
    out = tmp_path / "rel.parquet"
    run(
        src,
        out,
        options=PrepareOptions(image_root=str(images_dir), data_source="geo", system_prompt=None, override_system=True),
    )
    row = pq.read_table(out).to_pylist()[0]
    assert row["prompt"] == [{"role": "user", "content": "Before <image> after"}]  # placeholder where the image was
    assert row["data_source"] == "geo" and row["extra_info"]["id"] == "geo-0"


BAD_CASES = [
    ("missing image", lambda d: lmmr1_record([f"file://{d}/nope.png"], "q", "1"), "image file not found"),
    ("undecodable", lambda d: lmmr1_record([f"file://{d}/broken.png"], "q", "1"), "cannot be decoded"),
    ("empty answer", lambda d: lmmr1_record([f"file://{d}/a.png"], "q", "  "), "gold answer is empty"),
    ("unparseable answer", lambda d: lmmr1_record([f"file://{d}/a.png"], "q", "$\\boxed{60"), "unmatched"),
    (
        "malformed messages",
        lambda d: {"message": '[{"role": "user", "content": ', "answer": "1"},
        "not a JSON message list",
    ),
    (
        "no user turn",
        lambda d: {"message": json.dumps([{"role": "system", "content": "s"}]), "answer": "1"},
        "no user turn",
    ),
    ("bad role", lambda d: {"message": json.dumps([{"role": "bot", "content": "s"}]), "answer": "1"}, "role 'bot'"),
    ("not json", lambda d: "{oops", "not valid JSON"),
    ("literal placeholder", lambda d: lmmr1_record([], "what is <image>?", "1"), "literal '<image>'"),
    ("remote url", lambda d: lmmr1_record(["https://x.org/a.png"], "q", "1"), "remote URL"),
]


@pytest.mark.parametrize("name, make, reason", BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_row_is_reported_with_file_line_and_nothing_written(tmp_path, images_dir, name, make, reason):
    good = lmmr1_record([f"file://{images_dir}/a.png"], "fine", "1", id="g")
    src = write_jsonl(tmp_path / "src.jsonl", [good, make(images_dir)])
    out = tmp_path / "out.parquet"
    with pytest.raises(DataError) as err:
        run(src, out)
    assert f"{src}:2: " in str(err.value) and reason in str(err.value)
    assert "--skip-bad" in str(err.value)
    assert not out.exists() and list(tmp_path.glob(".out.parquet*")) == []  # no partial or temp file


def test_failure_leaves_an_existing_output_untouched(tmp_path, images_dir):
    out = tmp_path / "out.parquet"
    out.write_bytes(b"previous")
    src = write_jsonl(tmp_path / "src.jsonl", [lmmr1_record([f"file://{images_dir}/nope.png"], "q", "1")])
    with pytest.raises(DataError):
        run(src, out)
    assert out.read_bytes() == b"previous"


def test_duplicate_id_names_both_lines(tmp_path, images_dir):
    rec = lmmr1_record([f"file://{images_dir}/a.png"], "q", "1", id="same")
    src = write_jsonl(tmp_path / "dup.jsonl", [rec, "", rec])  # blank line 2 is skipped, not a row
    with pytest.raises(DataError, match=rf"{src}:3: duplicate id 'same' \(first seen at {src}:1\)"):
        run(src, tmp_path / "o.parquet")


def test_skip_bad_writes_good_rows_and_a_report(tmp_path, images_dir):
    good = [lmmr1_record([f"file://{images_dir}/a.png"], f"q{i}", str(i), id=f"g{i}") for i in range(3)]
    bad = lmmr1_record([f"file://{images_dir}/broken.png"], "q", "1", id="b")
    src = write_jsonl(tmp_path / "mixed.jsonl", [good[0], bad, good[1], "{", good[2]])
    out = tmp_path / "mixed.parquet"
    report = run(src, out, skip_bad=True)
    assert (report.rows_in, report.rows_out, len(report.skipped)) == (5, 3, 2)
    assert pq.ParquetFile(out).metadata.num_rows == 3
    lines = [json.loads(l) for l in (tmp_path / "mixed.skipped.jsonl").read_text().splitlines()]
    assert [l["where"] for l in lines] == [f"{src}:2", f"{src}:4"]
    # a clean re-run removes the stale report
    run(write_jsonl(tmp_path / "mixed.jsonl", good), out, skip_bad=True)
    assert not (tmp_path / "mixed.skipped.jsonl").exists()


def test_max_errors_collects_several_problems(tmp_path, images_dir):
    recs = [lmmr1_record([f"file://{images_dir}/nope{i}.png"], "q", "1") for i in range(5)]
    src = write_jsonl(tmp_path / "many.jsonl", recs)
    with pytest.raises(DataError) as err:
        run(src, tmp_path / "o.parquet", max_errors=3)
    text = str(err.value)
    assert f"{src}:1:" in text and f"{src}:3:" in text and f"{src}:4:" not in text and "stopped after 3" in text


def test_image_prefix_map_relocates_absolute_paths_from_another_machine(tmp_path, images_dir):
    src = write_jsonl(tmp_path / "moved.jsonl", [lmmr1_record(["file:///mnt/authors/imgs/a.png"], "q", "1")])
    out = tmp_path / "moved.parquet"
    with pytest.raises(DataError, match="--image-prefix-map"):
        run(src, out)
    run(src, out, options=PrepareOptions(image_prefix_map=(("/mnt/authors/imgs", str(images_dir)),)))
    assert pq.read_table(out).to_pylist()[0]["images"][0]["bytes"] == (images_dir / "a.png").read_bytes()


def test_where_selects_a_subset_and_counts_what_it_left_out(tmp_path, images_dir):
    import re

    recs = [
        lmmr1_record([f"file://{images_dir}/a.png"], f"q{i}", str(i), id=f"r{i}", source=src)
        for i, src in enumerate(["GeoQA", "ChartQA", "Geometry3K", "ScienceQA"])
    ]
    recs.append({"message": "broken", "answer": "1", "source": "ChartQA"})  # filtered before validation
    src_file = write_jsonl(tmp_path / "all.jsonl", recs)
    out = tmp_path / "geo.parquet"
    report = run(src_file, out, options=PrepareOptions(where=[("source", re.compile(r"^Geo"))]))
    assert (report.rows_in, report.filtered, report.rows_out, report.skipped) == (5, 3, 2, [])
    assert "3 filtered out by --where" in report.summary()
    rows = pq.read_table(out).to_pylist()
    assert [(r["extra_info"]["id"], r["extra_info"]["index"]) for r in rows] == [("r0", 0), ("r2", 2)]
