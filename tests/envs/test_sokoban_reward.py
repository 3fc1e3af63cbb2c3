"""LMM-R1's global Sokoban reward on hand-computed examples.

Level used below (one box, goal three cells to the right of it):

    #########
    #@$  .  #      Right x3 solves it: -0.1, -0.1, then -0.1 + 1 + 10 (running total 10.7)
    #########
"""

from __future__ import annotations

import pytest

from lmmr1.rewards.sokoban import has_run_of_repeats, sokoban_global_reward

LEVEL = "#########\n#@$  .  #\n#########"


def reward(response: str, level: str = LEVEL) -> dict:
    return sokoban_global_reward("sokoban", response, level, extra_info={"index": 0})


def test_solved_in_three_pushes():
    # Right x3: -0.1, -0.1, -0.1 + 1 + 10 -> running totals -0.1, -0.2, 10.7 ; best = 10.7
    r = reward("<think>push the box right three times</think><answer>Right, Right, Right</answer>")
    assert r["env_reward"] == pytest.approx(10.7)
    assert r["action_bonus"] == pytest.approx(3 * 0.05)
    assert r["thinking_bonus"] == pytest.approx(6 * 0.001)  # 6 words, none of length 1
    assert r["score"] == pytest.approx(10.7 + 0.5 + 0.15 + 0.006)
    assert r["solved"] == 1.0 and r["format"] == 1.0


def test_moves_after_the_solution_are_ignored_and_best_total_kept():
    # the replay stops when the level is solved; extra moves change only the action-count term
    r = reward("<think>a b</think><answer>right,RIGHT , right, left, left</answer>")
    assert r["env_reward"] == pytest.approx(10.7)
    assert r["num_actions"] == 5 and r["action_bonus"] == pytest.approx(0.25)
    assert r["thinking_words"] == 0  # one-letter words do not count


def test_best_total_starts_at_zero():
    # walking away only loses 0.1 a step: the best running total is the empty prefix's 0
    r = reward("<think>go left</think><answer>Left, Up, Down</answer>")
    assert r["env_reward"] == 0.0
    assert r["score"] == pytest.approx(0.5 + 0.15 + 0.002)


def test_box_on_then_off_goal_keeps_the_peak():
    level = "#########\n#@$.  . #\n# $     #\n#########"
    # Right: box onto the first goal (0.9); Right: off it again (-1.1) -> totals 0.9, -0.2 ; best 0.9
    r = reward("<think>try</think><answer>Right, Right</answer>", level)
    assert r["env_reward"] == pytest.approx(0.9)


def test_only_first_fifty_moves_are_replayed():
    level = "#" * 60 + "\n#@" + " " * 53 + "$.  #\n" + "#" * 60
    moves = ", ".join(["Right"] * 54)  # the box reaches the goal on move 54 > 50
    r = reward(f"<think>long walk</think><answer>{moves}</answer>", level)
    assert r["env_reward"] == 0.0 and r["solved"] == 0.0
    # 54 actions: 1 - ((54 - 20) / 30)^2 * 0.2 = 0.743, minus the repetition penalty -> min(0, 0.543) = 0
    assert r["action_bonus"] == 0.0


@pytest.mark.parametrize(
    "n,expected", [(0, None), (1, 0.05), (19, 0.95), (20, 1.0), (35, 1 - 0.25 * 0.2), (50, 0.8), (80, 1 - 4 * 0.2)]
)
def test_action_count_shaping(n, expected):
    from lmmr1.rewards.sokoban import action_count_bonus

    if expected is not None:
        assert action_count_bonus(n) == pytest.approx(expected)


def test_thinking_bonus_caps_at_200_words():
    think = " ".join(["word"] * 250)
    r = reward(f"<think>{think}</think><answer>Right</answer>")
    assert r["thinking_words"] == 250 and r["thinking_bonus"] == pytest.approx(0.2)


def test_repetition_penalty_on_the_answer():
    # "Up, Down" x 8: the 2-gram (up, down) repeats back to back 8 > 7 times
    moves = ", ".join(["Up", "Down"] * 8)
    r = reward(f"<think>dance</think><answer>{moves}</answer>")
    assert r["num_actions"] == 16
    assert r["action_bonus"] == pytest.approx(min(0.0, 16 * 0.05 - 0.2)) == 0.0
    assert has_run_of_repeats("left, left, left, left, left, left, left, left")  # 8 in a row
    assert not has_run_of_repeats("left, left, left, left, left, left, left")  # 7 in a row is allowed
    assert not has_run_of_repeats("up down up left up down")


@pytest.mark.parametrize(
    "response",
    [
        "<answer>Right</answer>",  # no think
        "<think>x</think><think>y</think><answer>Right</answer>",  # two think tags
        "<think>x</think><answer>Right, Jump</answer>",  # not a move
        "<think>x</think><answer></answer>",  # empty answer
        "<think>x</think><answer>Right Right</answer>",  # not comma separated
    ],
)
def test_format_gate_gives_zero(response):
    r = reward(response)
    assert r["score"] == 0.0 and r["format"] == 0.0 and r["env_reward"] == 0.0


def test_end_of_turn_tokens_and_spaces_are_stripped():
    r = reward("  <think>go</think><answer>Right</answer><|im_end|>")
    assert r["format"] == 1.0


def test_result_keys_are_stable_for_verl():
    keys = set(reward("<answer>x</answer>"))
    assert keys == set(reward("<think>ok go</think><answer>Right</answer>"))
    assert "score" in keys


def test_registered_as_sokoban_global():
    from importlib import metadata

    names = {ep.name: ep.value for ep in metadata.entry_points(group="lmmr1.rewards")}
    assert names.get("sokoban_global") == "lmmr1.rewards.sokoban:sokoban_global_reward"
