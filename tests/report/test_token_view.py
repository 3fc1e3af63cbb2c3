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
