"""``format`` and ``lmm_r1``: LMM-R1's exact format rule and its {0, 0.5, 1, 1.5} combination."""

from __future__ import annotations

import re

import pytest

from lmmr1.rewards.format import format_ok, format_reward
from lmmr1.rewards.lmm_r1 import lmm_r1_reward

# the original rule, used here as the oracle
ORIGINAL = re.compile(r"^<think>((?!</think>).)*</think><answer>((?!</answer>).)*</answer>\Z", re.DOTALL)


def original(response: str) -> bool:
    s = response.strip()
    return bool(ORIGINAL.match(s)) and s.count("<think>") == 1 and s.count("<answer>") == 1


FORMAT_CASES = [
    "<think>a</think><answer>b</answer>",
    "<think>\nmulti\nline\n</think><answer>\n\\boxed{3}\n</answer>",
    "  <think>a</think><answer>b</answer>\n",
    "<think>a</think> <answer>b</answer>",  # a space between the blocks breaks the rule
    "<think>a</think><answer>b</answer> trailing",
    "<think>a</think><think>b</think><answer>c</answer>",
    "<think>a</think><answer>b</answer><answer>c</answer>",
    "<think>a</answer></think><answer>b</answer>",
    "<think></think><answer></answer>",
    "<answer>b</answer>",
    "<think>a</think>",
    "<think>a<answer></think><answer>b</answer>",
    "",
]


@pytest.mark.parametrize("response", FORMAT_CASES)
def test_format_matches_the_original_rule(response):
    assert format_ok(response) == original(response)


def test_format_weight_is_configurable():
    good = "<think>a</think><answer>b</answer>"
    assert format_reward("x", good) == {"score": 0.5, "format": 1.0}
    assert format_reward("x", good, weight=1.0)["score"] == 1.0
    assert format_reward("x", "nope")["score"] == 0.0


@pytest.mark.parametrize(
    "response,expected",
    [
        ("<think>r</think><answer>\\boxed{4}</answer>", 1.5),
        ("<think>r</think><answer>\\boxed{5}</answer>", 0.5),
        ("reasoning... \\boxed{4}", 1.0),
        ("reasoning... \\boxed{5}", 0.0),
    ],
)
def test_lmm_r1_combines_like_the_original(response, expected):
    out = lmm_r1_reward("x", response, "4")
    assert out["score"] == expected
    assert out["score"] == 0.5 * out["format"] + out["acc"]


def test_bad_gold_policy_is_explicit():
    response = "<think>r</think><answer>\\boxed{4}</answer>"
    default = lmm_r1_reward("x", response, "")
    assert default["acc"] == 0.0 and default["score"] == 0.5 and "ground_truth" in default["error"]
    original_hole = lmm_r1_reward("x", response, "", bad_gold="one")
    assert original_hole["acc"] == 1.0 and original_hole["score"] == 1.5
    with pytest.raises(ValueError, match="bad_gold"):
        lmm_r1_reward("x", response, "4", bad_gold="maybe")
