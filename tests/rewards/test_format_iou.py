"""``format_iou``: format 0.5 + IoU, hand-computed boxes."""

import pytest

from lmmr1.rewards.format_iou import format_iou_reward

GOLD = "[0, 0, 10, 10]"


def test_a_well_formatted_exact_box_scores_one_and_a_half():
    out = format_iou_reward("r1_onevision/grounding", "<think>the cup</think><answer>[0, 0, 10, 10]</answer>", GOLD)
    assert out == {"score": 1.5, "acc": 1.0, "format": 1.0, "iou": 1.0}


def test_half_overlap_and_no_format():
    # [5, 0, 15, 10] overlaps [0, 0, 10, 10] in 50 of 150 units: IoU 1/3; no think/answer tags: format 0
    out = format_iou_reward(None, "[5, 0, 15, 10]", GOLD)
    assert out["format"] == 0.0 and out["iou"] == pytest.approx(1 / 3) and out["score"] == pytest.approx(1 / 3)


def test_threshold_turns_the_overlap_into_a_hit_or_a_miss():
    text = "<think>x</think><answer>[5, 0, 15, 10]</answer>"
    assert format_iou_reward(None, text, GOLD, threshold=0.5)["acc"] == 0.0
    assert format_iou_reward(None, text, GOLD, threshold=0.3)["score"] == pytest.approx(1.5)


def test_no_box_scores_the_format_only():
    out = format_iou_reward(None, "<think>x</think><answer>a cup</answer>", GOLD)
    assert out["iou"] == 0.0 and out["score"] == pytest.approx(0.5)
