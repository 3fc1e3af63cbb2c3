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


def test_sharegpt_conversations_as_llava_cot_100k_writes_them(pictures, tmp_path):
    """The LLaVA / ShareGPT layout (LLaVA-CoT-100k): 'from' human/gpt, 'value', one 'image'; the image goes
    before the first human turn when the text does not place it, as LLaVA's loader does."""
    answer = (
        "<SUMMARY> I will name the colour. </SUMMARY>\n\n<CAPTION> A red square. </CAPTION>\n\n"
        "<REASONING> The whole picture is red. </REASONING>\n\n<CONCLUSION> red </CONCLUSION>"
    )
    src = _write(
        tmp_path / "llava_cot.jsonl",
        [
            {
                "id": "sqa_1",
                "image": "red.png",
                "conversations": [{"from": "human", "value": "What colour is it?"}, {"from": "gpt", "value": answer}],
            },
            {
                "image": ["red.png", "blue.png"],
                "conversations": [
                    {"from": "system", "value": "Answer in stages."},
                    {"from": "human", "value": "Left <image>, right <image>: which is blue?"},
                    {"from": "gpt", "value": "right"},
                    {"from": "human", "value": "And the other?"},
                    {"from": "gpt", "value": "red"},
                ],
            },
        ],
    )
    out = tmp_path / "sft.parquet"
    assert _prepare(src, out).rows_out == 2
    single, multi = pq.read_table(out).to_pylist()
    assert single["messages"][1:] == [
        {"role": "user", "content": "<image>\nWhat colour is it?"},
        {"role": "assistant", "content": answer},
    ]
    assert [i["bytes"] for i in single["images"]] == [(pictures / "red.png").read_bytes()]
    assert [m["role"] for m in multi["messages"]] == ["system", "user", "assistant", "user", "assistant"]
    assert multi["messages"][0]["content"] == "Answer in stages." and len(multi["images"]) == 2
    bad = _write(
        tmp_path / "bad.jsonl",
        [
            {"conversations": [{"from": "robot", "value": "hi"}, {"from": "gpt", "value": "x"}]},
            {"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}], "image": "gone.png"},
            {"conversations": [], "image": "red.png"},
        ],
    )
    with pytest.raises(DataError) as err:
        _prepare(bad, tmp_path / "bad.parquet")
    text = str(err.value)
    assert "bad.jsonl:1: conversations[0].from = 'robot'; accepted: assistant, gpt, human, system, user" in text
    assert "bad.jsonl:2: image 0:" in text and "gone.png" in text
    assert "bad.jsonl:3: 'conversations' must be a non-empty list" in text


def test_the_bundled_llava_cot_samples_have_the_stage_layout_the_reward_checks():
    from lmmr1.rewards.stage_format import stage_format_reward
    from lmmr1.samples import _llava_cot_rl_rows, _llava_cot_rows

    full, first_step, rl = _llava_cot_rows(), _llava_cot_rows(stages=2), _llava_cot_rl_rows()
    assert len(full) == len(first_step) == len(rl) == 64
    for conversation, cut, prompt in zip(full, first_step, rl):
        user, reply = conversation["messages"]
        assert user["role"] == "user" and user["content"].startswith("<image>") and len(conversation["images"]) == 1
        gold = prompt["reward_model"]["ground_truth"]
        scored = stage_format_reward(None, reply["content"], gold, answer="math")
        assert (scored["stage_format"], scored["acc"]) == (1.0, 1.0), reply["content"]
        assert stage_format_reward(None, cut["messages"][1]["content"], gold)["stages"] == 0.5
        assert reply["content"].startswith(cut["messages"][1]["content"])
        assert prompt["prompt"] == [user], "the RL prompt is the SFT question, with no system prompt"
