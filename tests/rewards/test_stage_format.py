"""``stage_format`` (LLaVA-CoT's four stages) on hand-written responses, and through ``lmmr1 score``.

The well-formed cases follow the layout of LLaVA-CoT-100k's released answers (a space inside each tag, a blank
line between stages); the broken ones are the ways a policy's output goes wrong: a stage missing, two swapped,
one empty, one nested in another, one repeated, text outside the blocks, lower-case tags."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lmmr1.rewards.stage_format import parse_stages, stage_format_reward

GOOD = (
    "<SUMMARY> I will read the bar chart, find the tallest bar and report its year. </SUMMARY>\n\n"
    "<CAPTION> A bar chart of sales from 2019 to 2022; the 2021 bar is the tallest, at 40 units. </CAPTION>\n\n"
    "<REASONING> The bars read 20, 25, 40 and 30. The largest value, 40, belongs to 2021. </REASONING>\n\n"
    "<CONCLUSION> 2021 </CONCLUSION>"
)


def _with(**replace: str) -> str:
    text = GOOD
    for old, new in replace.items():
        text = text.replace(old.replace("_", " "), new)
    return text


CASES = [
    # (name, response, stage_format, stages)
    ("released layout", GOOD, 1.0, 1.0),
    ("no whitespace at all", GOOD.replace("\n\n", ""), 1.0, 1.0),
    ("leading and trailing whitespace", "\n  " + GOOD + "\n", 1.0, 1.0),
    ("caption missing", GOOD.split("<CAPTION>")[0] + "<REASONING>" + GOOD.split("<REASONING>")[1], 0.0, 0.25),
    ("conclusion missing", GOOD.split("\n\n<CONCLUSION>")[0], 0.0, 0.75),
    (
        "caption and summary swapped",
        GOOD.split("\n\n<REASONING>")[0].split("\n\n")[1]
        + "\n\n"
        + GOOD.split("\n\n")[0]
        + "\n\n<REASONING>"
        + GOOD.split("<REASONING>")[1],
        0.0,
        0.0,
    ),
    (
        "empty reasoning",
        GOOD.split("<REASONING>")[0] + "<REASONING>   </REASONING>\n\n<CONCLUSION> 2021 </CONCLUSION>",
        0.0,
        0.5,
    ),
    (
        "reasoning nested in the caption",
        GOOD.replace("</CAPTION>\n\n<REASONING>", "<REASONING>").replace("</REASONING>", "</REASONING></CAPTION>"),
        0.0,
        0.25,
    ),
    ("conclusion repeated", GOOD + "\n<CONCLUSION> 2022 </CONCLUSION>", 0.0, 0.75),
    ("text before the summary", "Sure! " + GOOD, 0.0, 0.0),
    ("text between stages", GOOD.replace("</CAPTION>\n\n", "</CAPTION> so then "), 0.0, 0.5),
    ("text after the conclusion", GOOD + " Hope this helps.", 0.0, 0.75),
    ("unclosed conclusion", GOOD.replace(" </CONCLUSION>", ""), 0.0, 0.75),
    ("lower-case tags", GOOD.replace("SUMMARY", "summary"), 0.0, 0.0),
    ("empty response", "", 0.0, 0.0),
    ("think/answer format instead", "<think>40 is the max</think><answer>2021</answer>", 0.0, 0.0),
]


@pytest.mark.parametrize(("name", "response", "ok", "stages"), CASES, ids=[c[0] for c in CASES])
def test_hand_written_responses(name, response, ok, stages):
    result = stage_format_reward("chartqa", response, "2021")
    assert (result["stage_format"], result["stages"]) == (ok, stages), name
    assert result["score"] == ok and result["acc"] == 0.0  # no answer grading unless asked


def test_case_insensitive_tags_when_asked():
    assert stage_format_reward(None, GOOD.lower(), None, case_sensitive=False)["stage_format"] == 1.0
    assert parse_stages(GOOD.lower())[0] == 0


def test_the_conclusion_graded_by_another_reward():
    result = stage_format_reward("chartqa", GOOD, "2021", answer="math", format_weight=0.5)
    assert result == {"score": 1.5, "stage_format": 1.0, "stages": 1.0, "acc": 1.0}
    wrong = stage_format_reward(
        "chartqa", GOOD.replace("<CONCLUSION> 2021", "<CONCLUSION> 2020"), "2021", answer="math"
    )
    assert wrong["acc"] == 0.0 and wrong["score"] == 1.0
    # a choice answer graded by the choice reward; no conclusion, nothing to grade
    choice = GOOD.replace("<CONCLUSION> 2021 </CONCLUSION>", "<CONCLUSION> The answer is B. </CONCLUSION>")
    assert stage_format_reward(None, choice, "B", answer="choice")["acc"] == 1.0
    assert stage_format_reward(None, GOOD.split("\n\n<CONCLUSION>")[0], "2021", answer="math")["acc"] == 0.0


def test_lmmr1_score_reads_the_reward_by_name(tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps({"response": c[1], "ground_truth": "2021"}) + "\n" for c in CASES))
    proc = subprocess.run(
        [sys.executable, "-m", "lmmr1.cli", "score", "--reward", "stage_format", "--input", str(rows), "--quiet",
         "--reward-kwargs", '{"answer": "math"}'],
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["stage_format"] for r in results] == [c[2] for c in CASES]
    assert [r["stages"] for r in results] == [c[3] for c in CASES]
    assert results[0]["acc"] == 1.0 and results[0]["score"] == 2.0
