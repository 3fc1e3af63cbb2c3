"""``--format sft-messages``: every accepted conversation form, written by hand, and the refusals."""

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from data_helpers import png_bytes

from lmmr1.data.errors import DataError
from lmmr1.data.formats.base import PrepareOptions
from lmmr1.data.prepare import prepare
from lmmr1.prompts import SYSTEM_PROMPT


def _write(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _prepare(src: Path, out: Path, **kw):
    return prepare("sft-messages", [str(src)], str(out), kw.pop("options", None), show_progress=False, **kw)


@pytest.fixture()
def pictures(tmp_path: Path) -> Path:
    (tmp_path / "red.png").write_bytes(png_bytes(color=(220, 30, 30)))
    (tmp_path / "blue.png").write_bytes(png_bytes(color=(30, 30, 220)))
    return tmp_path


def test_the_four_forms_become_verl_sft_rows(pictures, tmp_path):
    src = _write(
        tmp_path / "cot.jsonl",
        [
            {
                "id": "parts",
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "image", "image": "red.png"}, {"type": "text", "text": "Colour?"}],
                    },
                    {"role": "assistant", "content": "<think>It is red.</think><answer>red</answer>"},
                ],
            },
            {
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "<image> then <image>: which is blue?"},
                    {"role": "assistant", "content": "<answer>second</answer>"},
                ],
                "images": ["red.png", "blue.png"],
            },
            {"message": json.dumps([{"role": "user", "content": "1+1?"}]), "response": "<answer>2</answer>"},
            {"prompt": "2+2?", "response": "<answer>4</answer>"},
        ],
    )
    out = tmp_path / "sft.parquet"
    report = _prepare(src, out)
    assert (report.rows_in, report.rows_out) == (4, 4)
    table = pq.read_table(out)
    assert table.column_names == ["data_source", "messages", "images", "extra_info"]
    parts, listed, lmm_r1, pair = table.to_pylist()
    assert parts["messages"] == [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": "<image>Colour?"},
        {"role": "assistant", "content": "<think>It is red.</think><answer>red</answer>"},
    ]
    assert [i["bytes"] for i in parts["images"]] == [(pictures / "red.png").read_bytes()]
    assert parts["extra_info"]["id"] == "parts"
    # a conversation's own system turn is kept; listed images follow their placeholders in order
    assert listed["messages"][0] == {"role": "system", "content": "Be brief."}
    assert listed["messages"][1]["content"] == "<image> then <image>: which is blue?"
    assert [i["bytes"] for i in listed["images"]] == [
        (pictures / "red.png").read_bytes(),
        (pictures / "blue.png").read_bytes(),
    ]
    assert lmm_r1["messages"][-2:] == [
        {"role": "user", "content": "1+1?"},
        {"role": "assistant", "content": "<answer>2</answer>"},
    ]
    assert pair["messages"][-1] == {"role": "assistant", "content": "<answer>4</answer>"} and pair["images"] == []
    assert [r["extra_info"]["index"] for r in (parts, listed, lmm_r1, pair)] == [0, 1, 2, 3]


def test_bad_conversations_are_named_by_file_and_line(pictures, tmp_path):
    src = _write(
        tmp_path / "bad.jsonl",
        [
            {"prompt": "a question without a reply"},
            {
                "messages": [{"role": "user", "content": "<image><image>two?"}, {"role": "assistant", "content": "x"}],
                "images": ["red.png"],
            },
            {"messages": [{"role": "assistant", "content": "hi"}, {"role": "user", "content": "q"}]},
            {
                "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}],
                "images": ["gone.png"],
            },
        ],
    )
    with pytest.raises(DataError) as err:
        _prepare(src, tmp_path / "out.parquet")
    text = str(err.value)
    assert "bad.jsonl:1: no conversation" in text
    assert "bad.jsonl:2: the conversation has 2 '<image>' placeholder(s) but 1 image(s)" in text
    assert "bad.jsonl:3: the last message is a 'user' turn; an SFT conversation must end with the assistant" in text
    assert "bad.jsonl:4: the conversation has 0 '<image>' placeholder(s) but 1 image(s)" in text
    assert not (tmp_path / "out.parquet").exists()


def test_a_question_suffix_is_refused_for_conversations(tmp_path):
    src = _write(tmp_path / "c.jsonl", [{"prompt": "q", "response": "a"}])
    with pytest.raises(DataError, match="--suffix appends to RL questions"):
        _prepare(src, tmp_path / "o.parquet", options=PrepareOptions(suffix=" Think."))


def test_the_bundled_cot_sample_is_valid_sft_data():
    from lmmr1.samples import _sft_cot_rows

    rows = _sft_cot_rows()
    assert len(rows) == 112 and sum(bool(r["images"]) for r in rows) == 64
    for row in rows:
        assert row["messages"][-1]["role"] == "assistant"
        assert row["messages"][-1]["content"].startswith("<think>") and "</answer>" in row["messages"][-1]["content"]
        assert sum(m["content"].count("<image>") for m in row["messages"]) == len(row["images"])
    # text and pictures alternate at the start, so the first batches hold both
    assert bool(rows[0]["images"]) != bool(rows[1]["images"])
