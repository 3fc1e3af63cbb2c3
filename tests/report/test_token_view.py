"""The token view of lmmr1 view: reasoning steps parsed from a response, and tokens coloured with values."""

from __future__ import annotations

import json
import math
import re

import pytest

from lmmr1.report.reasoning import reasoning_steps, steps_svg


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("<SUMMARY> a </SUMMARY>\n\n<CAPTION> b </CAPTION><REASONING> c </REASONING><CONCLUSION> d </CONCLUSION>",
         ["Summary", "Caption", "Reasoning", "Conclusion"]),
        ("Step 1: read the chart.\nStep 2: add 3 and 4.\nStep 3: answer 7.", ["Step 1", "Step 2", "Step 3"]),
        ("1. First.\n2) Second.\n3. Third.", ["Step 1", "Step 2", "Step 3"]),
        ("<think>Read it.\n\nAdd them.</think><answer>7</answer>", ["Think", "Think 2", "Answer"]),
        ("One paragraph.\n\nAnother one.", ["¶1", "¶2"]),
        ("Just an answer: 7", ["Response"]),
        ("", []),
    ],
)  # fmt: skip
def test_reasoning_steps(text, labels):
    steps = reasoning_steps(text)
    assert [s.label for s in steps] == labels
    svg = steps_svg(steps)
    assert svg.count("class='step-node'") == len(labels) and svg.count("class='edge'") == max(len(labels) - 1, 0)


def test_the_view_colours_tokens_and_draws_the_steps(tmp_path):
    from types import SimpleNamespace

    from lmmr1.report.token_view import token_sections
    from lmmr1.run.layout import RunPaths

    tokens = ["Step", " 1", ":", " x", "\n", "Step", " 2", ":", " y"]
    record = {"step": 3, "key": "k", "ids": list(range(9)), "tokens": tokens,
              "logprob": [math.log(0.5)] * 9, "entropy": [1.0] * 9}  # fmt: skip
    path = RunPaths(tmp_path).stage("fre_text").tokens
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(record) + "\n")
    run = SimpleNamespace(path=tmp_path, stages=[SimpleNamespace(name="fre_text")])
    page = token_sections(run)
    spans = re.findall(r"<span class='tok' data-p='([0-9.]+)' data-h='([0-9.]+)' title='([^']*)'", page)
    assert len(spans) == 9 and spans[0] == ("0.5000", "1.0000", "p=0.500 · H=1.000 nats")
    assert page.count("class='step-node'") == 2 and "step 3 · 9 tokens · mean entropy 1.00" in page
    assert token_sections(SimpleNamespace(path=tmp_path, stages=[SimpleNamespace(name="other")])) == ""


def test_tokens_the_environment_inserted_are_shown_grey_without_values(tmp_path):
    """A multi-turn agent's response holds the environment's observations between its turns (policy 0)."""
    from types import SimpleNamespace

    from lmmr1.report.token_view import token_sections
    from lmmr1.run.layout import RunPaths

    tokens = ["Left", "\n[board]\n", "Up"]
    record = {"step": 1, "key": "k", "ids": [1, 2, 3], "tokens": tokens, "logprob": [math.log(0.25), 0.0, math.log(0.5)],
              "entropy": [2.0, 9.0, 1.0], "policy": [1, 0, 1]}  # fmt: skip
    path = RunPaths(tmp_path).stage("sokoban").tokens
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(record) + "\n")
    page = token_sections(SimpleNamespace(path=tmp_path, stages=[SimpleNamespace(name="sokoban")]))
    assert len(re.findall(r"<span class='tok' data-p=", page)) == 2
    assert "<span class='tok env' title='from the environment (not sampled)'>\n[board]\n</span>" in page
    # the mean is over the policy's own tokens: (2 + 1) / 2
    assert "3 tokens · mean entropy 1.50 · 1 from the environment (grey)" in page
    # the graph shows the agent's turns, not steps read from the environment's text
    assert page.count("class='step-node'") == 2 and "<title>Turn 2: Up</title>" in page


def test_an_agent_response_is_drawn_turn_by_turn():
    from lmmr1.report.token_view import response_steps

    steps = response_steps(["a", "b", "<obs>", "c", "<obs>", "d"], [1, 1, 0, 1, 0, 1])
    assert [(s.label, s.text) for s in steps] == [("Turn 1", "ab"), ("Turn 2", "c"), ("Turn 3", "d")]
    steps = response_steps(["1. x", "\n", "2. y"], [1, 1, 1])  # one turn: its numbered steps
    assert [s.label for s in steps] == ["Step 1", "Step 2"]


@pytest.mark.parametrize(
    ("sample", "labels"),
    [
        ("llava_cot", ["Summary", "Caption", "Reasoning", "Conclusion"]),
        ("llava_cot_stage1", ["Summary", "Caption"]),  # LlamaV-o1's first curriculum step
        ("sft_cot", ["Think", "Answer"]),
    ],
)
def test_the_bundled_sft_answers_parse_into_their_steps(sample, labels):
    """The answers of lmmr1's bundled SFT sets (written for the recipes, in LLaVA-CoT-100k's layout and in
    R1-style think/answer) read as the steps they were written in, each with its text."""
    import pyarrow.parquet as pq

    from lmmr1.samples import ensure_sample_set

    rows = pq.read_table(ensure_sample_set(sample)["train"]).to_pylist()
    assert len(rows) >= 8
    for row in rows:
        steps = reasoning_steps(row["messages"][-1]["content"])
        assert [s.label for s in steps] == labels and all(s.text for s in steps), row["messages"][-1]["content"]
