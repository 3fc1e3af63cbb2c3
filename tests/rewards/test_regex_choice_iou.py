"""``regex``, ``choice`` and ``iou``."""

from __future__ import annotations

import json

import pytest

from lmmr1.rewards.choice import choice_reward
from lmmr1.rewards.iou import box_iou, iou_reward, parse_boxes
from lmmr1.rewards.regex import regex_reward


def test_regex_default_pattern_normalises():
    assert regex_reward("x", "<think>Paris?</think><answer>  PARIS. </answer>", "paris")["score"] == 1.0
    assert regex_reward("x", "<answer>Paris</answer>", ["Lyon", "paris"])["score"] == 1.0
    assert regex_reward("x", "<answer>Paris, France</answer>", "paris")["score"] == 0.0
    assert regex_reward("x", "<think><answer>paris</answer></think>", "paris")["score"] == 0.0


def test_regex_custom_pattern_and_case():
    kwargs = {"pattern": r"Final: (\w+)", "case_sensitive": True}
    assert regex_reward("x", "Final: Yes", "Yes", **kwargs)["score"] == 1.0
    assert regex_reward("x", "Final: yes", "Yes", **kwargs)["score"] == 0.0
    assert regex_reward.fast_path("x", "Final: Yes", "Yes", **kwargs) is None  # user regexes go to the pool


@pytest.mark.parametrize(
    "response,gold,expected",
    [
        ("<answer>B</answer>", "B", 1.0),
        ("<answer>(B)</answer>", "(B)", 1.0),
        ("<answer>B. 3 apples</answer>", "B", 1.0),
        ("The answer is (C).", "C", 1.0),
        ("<answer>\\boxed{D}</answer>", "D", 1.0),
        ("<answer>A or B</answer>", "B", 0.0),
        ("<answer>A, B, C, D</answer>", "B", 0.0),
        ("<answer>A and C</answer>", ["A", "C"], 1.0),
        ("<answer>A</answer>", ["A", "C"], 0.0),
        ("<answer>C</answer>", "B", 0.0),
        ("<think>B</think><answer>C</answer>", "B", 0.0),
    ],
)
def test_choice(response, gold, expected):
    assert choice_reward("x", response, gold)["score"] == expected


def test_choice_accepts_option_text_when_choices_are_given():
    extra = {"choices": ["12", "15", "20"]}
    assert choice_reward("x", "<answer>15</answer>", "B", extra_info=extra)["score"] == 1.0
    assert choice_reward("x", "<answer>12</answer>", "B", extra_info=extra)["score"] == 0.0


def test_parse_boxes_from_text_and_json():
    assert parse_boxes("[10, 20, 30, 40]") == [(10, 20, 30, 40)]
    assert parse_boxes('```json\n[{"bbox_2d": [30, 40, 10, 20], "label": "cat"}]\n```') == [(10, 20, 30, 40)]
    assert parse_boxes("from (1,2) to (3,4)") == [(1, 2, 3, 4)]
    assert parse_boxes([[0, 0, 1, 1], [1, 1, 2, 2]]) == [(0, 0, 1, 1), (1, 1, 2, 2)]


def test_iou_continuous_and_thresholded():
    assert box_iou((0, 0, 2, 2), (1, 0, 3, 2)) == pytest.approx(1 / 3)
    response = "<answer>[0, 0, 2, 2]</answer>"
    assert iou_reward("x", response, "[1, 0, 3, 2]")["score"] == pytest.approx(1 / 3)
    assert iou_reward("x", response, "[1, 0, 3, 2]", threshold=0.3)["score"] == 1.0
    assert iou_reward("x", response, "[1, 0, 3, 2]", threshold=0.5)["score"] == 0.0


def test_iou_matches_several_boxes_one_to_one():
    gold = json.dumps([[0, 0, 10, 10], [20, 20, 30, 30]])
    swapped = "<answer>[[20, 20, 30, 30], [0, 0, 10, 10]]</answer>"
    assert iou_reward("x", swapped, gold)["score"] == pytest.approx(1.0)
    duplicated = "<answer>[[0, 0, 10, 10], [0, 0, 10, 10]]</answer>"
    assert iou_reward("x", duplicated, gold)["score"] == pytest.approx(0.5)  # one box cannot match twice
    extra = "<answer>[[0, 0, 10, 10], [20, 20, 30, 30], [50, 50, 60, 60]]</answer>"
    assert iou_reward("x", extra, gold)["score"] == pytest.approx(2 / 3)


def test_iou_maps_resized_coordinates_back():
    # Qwen2.5-VL saw a 500x250 image resized to 1000x500: its boxes are in the resized space
    extra = {"image_size": [500, 250], "resized_size": [1000, 500]}
    response = "<answer>[200, 100, 400, 300]</answer>"
    assert iou_reward("x", response, "[100, 50, 200, 150]", extra_info=extra)["score"] == pytest.approx(1.0)
    assert iou_reward("x", response, "[100, 50, 200, 150]")["score"] < 0.3


def test_iou_normalized_coordinates():
    response = "<answer>[100, 100, 500, 500]</answer>"
    gold = "[0.1, 0.1, 0.5, 0.5]"
    assert iou_reward("x", response, [100, 100, 500, 500], coords="normalized", scale=1000)["score"] == 1.0
    assert iou_reward("x", "<answer>[0.1, 0.1, 0.5, 0.5]</answer>", gold, coords="normalized")["score"] == 1.0


def test_iou_without_boxes_scores_zero():
    assert iou_reward("x", "<answer>the cat</answer>", "[0,0,1,1]")["score"] == 0.0
    assert "no box" in iou_reward("x", "[0,0,1,1]", "no box here")["error"]
