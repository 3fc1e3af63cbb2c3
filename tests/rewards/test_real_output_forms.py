"""Answer forms of real model outputs that scored 0 when right (issue 22), each in both directions: the right
answer in that form scores 1, a wrong answer in the same form scores 0. Written by hand for this project from
the public formats of model outputs (few-shot GSM8K/MATH, lmms-eval and VLMEvalKit prompts, chat prose)."""

from __future__ import annotations

import pytest

from lmmr1.eval.core import Item
from lmmr1.eval.runner import load_benchmark
from lmmr1.rewards.choice import choice_reward
from lmmr1.rewards.math import math_reward

# (response, right gold, wrong gold)
MATH_FORMS = [
    ("Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nAltogether 48+24 = <<48+24=72>>72.\nA: 72", "72", "24"),
    ("She has 20 - 4 = <<20-4=16>>16 left.\nA: 16", "16", "20"),
    ("7", "7", "8"),
    ("12 meters", "12", "13"),
    ("So the total is 3(4 + 1) = 15", "15", "3"),
    ("Evaluating, $f(1.5) = 4$", "4", "1.5"),
    ("\\boxed{\\sqrt{9} = 3}", "3", "9"),
    ("\\boxed{\\binom{6}{2} = 15}", "15", "6"),
    ("The answer is $\\frac{\\sqrt{2}}{2} \\approx 0.707$", "\\frac{\\sqrt{2}}{2}", "\\frac{\\sqrt{3}}{2}"),
    ("The answer is $0.707 \\approx \\frac{\\sqrt{2}}{2}$", "\\frac{\\sqrt{2}}{2}", "\\frac{\\sqrt{3}}{2}"),
    ("So the number of apples is 41.\n\nLet me know if you need more help.", "41", "42"),
    ("Therefore, the final answer is:\n\n5", "5", "6"),
    ("$7 + $12 = $19, so she pays $19.", "19", "12"),
    ("He earns $1,200 a week, so in two weeks he earns $2,400.", "2400", "1200"),
    ("\\boxed{\\text{seven}}", "7", "8"),
    ("The result is 12.\fDone.", "12", "13"),
    ("答案：12", "12", "21"),
    ("**Answer:** 45", "45", "54"),
    ("The length of the bus is 20 feet.</s><s>", "20", "30"),
    ("So the answers are:\n- 2\n- 3", "2, 3", "2, 4"),
    ("Therefore, the answer is:\n\n1. -1\n2. 4", "-1, 4", "1, 4"),
    ("\\boxed{c}", "C", "B"),
    (
        "Weng earns 12/60 = $<<12/60=0.2>>0.2 per minute.\nSo she earned 0.2 x 50 = $<<0.2*50=10>>10.\n#### 10",
        "10",
        "50",
    ),
]


@pytest.mark.parametrize("response,right,wrong", MATH_FORMS)
def test_math_reward_reads_the_form_both_ways(response, right, wrong):
    good = math_reward(None, response, right)
    assert good["score"] == 1.0 and not good.get("error"), good
    bad = math_reward(None, response, wrong)
    assert bad["score"] == 0.0 and not bad.get("error"), bad


def test_a_gold_written_as_prose_or_in_a_box_is_read_like_a_response():
    assert math_reward(None, "\\boxed{50^2}", "The answer is 2500")["score"] == 1.0
    assert math_reward(None, "\\boxed{50}", "The answer is 2500")["score"] == 0.0


def test_exact_is_the_default_and_approximation_is_opt_in():
    for response, gold in (
        ("\\boxed{3.14}", "\\pi"),
        ("\\boxed{0.333}", "\\frac{1}{3}"),
        ("\\boxed{1.41}", "\\sqrt{2}"),
    ):
        assert math_reward(None, response, gold)["score"] == 0.0, (response, gold)
        assert math_reward(None, response, gold, approximate=True)["score"] == 1.0, (response, gold)


def test_a_control_character_is_read_not_an_error():
    out = math_reward(None, "step one\x0cstep two\x07 so \\boxed{3}", "3")
    assert out == {"score": 1.0, "acc": 1.0}


# (response, right letter, wrong letter)
CHOICE_FORMS = [
    ("The answer is (A) yes.", "A", "B"),
    ("答案：(C) 12", "C", "A"),
    ("(B) 3", "B", "C"),
    ("C. Decrease", "C", "D"),
    ("B", "B", "A"),
    ("The answer is C (the left lobe).", "C", "A"),
    ("**(B) 45°**", "B", "A"),
    ("\\boxed{c}", "C", "B"),
    ("Answer: D", "D", "C"),
    ("The correct option is (D).\n\nI hope this helps!", "D", "A"),
]


@pytest.mark.parametrize("response,right,wrong", CHOICE_FORMS)
def test_choice_reward_reads_the_form_both_ways(response, right, wrong):
    assert choice_reward(None, response, right)["score"] == 1.0
    assert choice_reward(None, response, wrong)["score"] == 0.0


@pytest.mark.parametrize("response", ["(B) AC, (D) BD", "The answer is (B) or (D).", "B and D", "\\boxed{B, D}"])
def test_an_answer_naming_several_options_is_wrong(response):
    assert choice_reward(None, response, "B")["score"] == 0.0
    mmstar = load_benchmark("mmstar")
    item = Item("1", "Which?", "B")
    assert not mmstar.correct(item, mmstar.extract(item, response, "rule"))


@pytest.mark.parametrize("response,right,wrong", CHOICE_FORMS)
def test_eval_reads_option_letters_like_the_reward(response, right, wrong):
    mmstar = load_benchmark("mmstar")
    for gold, expected in ((right, True), (wrong, False)):
        item = Item("1", "Which one?", gold)
        assert mmstar.correct(item, mmstar.extract(item, response, "rule")) is expected, (response, gold)


def _mathvista(answer_type: str, gold: str, choices: list[str] | None = None) -> Item:
    return Item(
        "1",
        "question",
        gold,
        meta={
            "question_type": "multi_choice" if choices else "free_form",
            "choices": choices or [],
            "answer_type": answer_type,
            "precision": 1 if answer_type == "float" else None,
        },
    )


@pytest.mark.parametrize(
    "response,item,expected",
    [
        ("12 meters", _mathvista("integer", "12"), True),
        ("12 meters", _mathvista("integer", "13"), False),
        ("The answer is 3.5 cm.", _mathvista("float", "3.5"), True),
        ("The answer is C (the left lobe).", _mathvista("text", "the left lobe", ["a", "b", "the left lobe"]), True),
        ("The answer is C (the left lobe).", _mathvista("text", "a", ["a", "b", "the left lobe"]), False),
        ("**(B) 45°**", _mathvista("text", "45°", ["30°", "45°"]), True),
        ("\\frac{49}{6}", _mathvista("text", "$\\frac{49}{6}$", ["$\\frac{49}{6}$", "$\\frac{50}{6}$"]), True),
        ("\\frac{50}{6}", _mathvista("text", "$\\frac{49}{6}$", ["$\\frac{49}{6}$", "$\\frac{50}{6}$"]), False),
        ("False.</s><s>", _mathvista("text", "False"), True),
        ("False.</s><s>", _mathvista("text", "True"), False),
    ],
)
def test_eval_reads_mathvista_forms(response, item, expected):
    bench = load_benchmark("mathvista")
    assert bench.correct(item, bench.extract(item, response, "rule")) is expected


def test_eval_asks_for_approximation_only_where_the_question_does():
    math500 = load_benchmark("math500")
    exact = Item("1", "What is the area of the circle?", "4\\pi")
    rounded = Item("2", "What is the area of the circle, rounded to the nearest hundredth?", "12.57")
    decimal = Item("3", "Express the area as a decimal to the nearest hundredth.", "4\\pi")
    assert not math500.correct(exact, math500.extract(exact, "\\boxed{12.57}", "rule"))
    assert math500.correct(rounded, math500.extract(rounded, "\\boxed{12.57}", "rule"))
    assert math500.correct(decimal, math500.extract(decimal, "\\boxed{12.57}", "rule"))
    assert not math500.correct(decimal, math500.extract(decimal, "\\boxed{12.75}", "rule"))
