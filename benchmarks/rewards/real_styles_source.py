"""The hand-written labelled set of real output *styles* (issue 22): writes ``real_styles.jsonl``.

Each row is a response written by hand in the way one family of models or one prompt format writes its
final answer: few-shot GSM8K (``A: 72``, ``#### 72``, calculator annotations) and MATH ("Final Answer: The final
answer is ..."), Qwen-style boxes, R1-style tags, chat models' prose with a closing pleasantry, markdown, Chinese,
lmms-eval and VLMEvalKit multiple-choice replies, answers with units, currency, equations, ``\\approx``, end
tokens, control characters. Every response is paired with the right gold (label 1) and with a wrong gold
(label 0) that is usually another number the response mentions, so a grader that reads the wrong part of the
text is caught in the second direction. The labels were decided by reading each pair, not by any grader.
``kind`` says which lmmr1 reward grades the row: ``math`` or ``choice`` (a letter gold).

    .venv/bin/python benchmarks/rewards/real_styles_source.py   # rewrites real_styles.jsonl
"""

from __future__ import annotations

import json
from pathlib import Path

# (style, response, right gold, wrong gold)
PAIRS: list[tuple[str, str, str, str]] = [
    # few-shot GSM8K: a final "A:" line or "####", calculator annotations in the working
    (
        "gsm8k",
        "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nShe sold 48+24 = <<48+24=72>>72 in total.\nA: 72",
        "72",
        "24",
    ),
    (
        "gsm8k",
        "Weng earns 12/60 = $<<12/60=0.2>>0.2 per minute.\nFor 50 minutes she earned 0.2 x 50 = $<<0.2*50=10>>10.\n#### 10",
        "10",
        "50",
    ),
    (
        "gsm8k",
        "Betty has 100 / 2 = <<100/2=50>>50 dollars. She still needs 100 - 50 - 15 - 30 = <<100-50-15-30=5>>5.\nA: 5",
        "5",
        "15",
    ),
    (
        "gsm8k",
        "He runs 3 sprints 3 times a week, so 3 * 3 = <<3*3=9>>9 sprints.\n9 * 60 = <<9*60=540>>540 meters.\n#### 540",
        "540",
        "60",
    ),
    ("gsm8k", "There are 20 - 4 = <<20-4=16>>16 left.\nA: The answer is 16.", "16", "20"),
    # MATH few-shot line
    (
        "math_fewshot",
        "The area is $\\frac{1}{2}\\cdot 6 \\cdot 8 = 24$.\nFinal Answer: The final answer is $24$. I hope it is correct.",
        "24",
        "48",
    ),
    (
        "math_fewshot",
        "Multiplying out, we get $x^2+7x+10$.\nFinal Answer: The final answer is $x^2+7x+10$. I hope it is correct.",
        "x^2+7x+10",
        "x^2+7x+12",
    ),
    (
        "math_fewshot",
        "So $k = 3/4$.\nFinal Answer: The final answer is $\\frac{3}{4}$. I hope it is correct.",
        "\\frac34",
        "\\frac43",
    ),
    (
        "math_fewshot",
        "The interval is $(2, 5]$.\nFinal Answer: The final answer is $(2,5]$. I hope it is correct.",
        "(2,5]",
        "[2,5]",
    ),
    # Qwen-style: a box at the end, often after prose
    (
        "qwen_boxed",
        "First, $3 \\times 4 = 12$. Then $12 + 5 = 17$.\n\nTherefore, the final answer is $\\boxed{17}$.",
        "17",
        "12",
    ),
    (
        "qwen_boxed",
        "The discriminant is $1 - 4 \\cdot 6 < 0$, so there are no real roots: $\\boxed{0}$ real solutions.",
        "0",
        "6",
    ),
    ("qwen_boxed", "Thus the probability is \\(\\boxed{\\dfrac{5}{12}}\\).", "\\frac{5}{12}", "\\frac{7}{12}"),
    ("qwen_boxed", "The answer is \\[\\boxed{2\\sqrt{3}}\\]", "2\\sqrt3", "3\\sqrt2"),
    # R1-style tags
    ("r1_tags", "<think>We need 8 + 5 = 13, minus 4 is 9.</think>\n<answer>9</answer>", "9", "13"),
    ("r1_tags", "<think>The angle is 180 - 135 = 45 degrees.</think><answer>\\boxed{45^\\circ}</answer>", "45", "135"),
    ("r1_tags", "<think>Compute the ratio 6/8.</think>\n<answer>$\\frac{3}{4}$</answer>", "0.75", "\\frac{4}{3}"),
    # chat models' prose that never boxes, with a closing pleasantry
    (
        "chat_prose",
        "Sure! First she buys 3 bags of 12 apples, which is 36. She gives away 5.\n\nSo, the number of apples left is 31.\n\nLet me know if you need more help!",
        "31",
        "36",
    ),
    (
        "chat_prose",
        "The train travels 60 miles per hour for 2.5 hours, so it covers 150 miles.\n\nI hope this helps!",
        "150",
        "60",
    ),
    (
        "chat_prose",
        "Each box holds 8 pencils and there are 7 boxes. Therefore there are 56 pencils in total.",
        "56",
        "8",
    ),
    ("chat_prose", "Adding the two sides gives 9 + 12 = 21, and the perimeter is 21 + 15 = 36.", "36", "21"),
    (
        "chat_prose",
        "Okay, so the total cost comes to 45 dollars.\n\nIs there anything else you'd like to know?",
        "45",
        "40",
    ),
    # markdown
    ("markdown", "### Step 1\nAdd the parts: 20 + 25.\n\n**Answer:** 45", "45", "20"),
    ("markdown", "## Solution\nThe smallest prime factor of 91 is 7.\n\n### Final Answer\n**7**", "7", "13"),
    ("markdown", "- width: 4\n- length: 9\n\nThe area is **36** square units.", "36", "9"),
    ("markdown", "**Final answer:** $\\boxed{-3}$", "-3", "3"),
    # Chinese
    ("chinese", "首先计算 3 × 4 = 12，再加 5。\n答案：17", "17", "12"),
    ("chinese", "由勾股定理，斜边长为 5。所以答案是 5。", "5", "4"),
    ("chinese", "比较各选项后，答案：(C) 12", "C", "A"),
    ("chinese", "所以答案为 B。", "B", "D"),
    # lmms-eval / VLMEvalKit multiple choice ("Answer with the option's letter from the given choices directly.")
    ("mc_direct", "B", "B", "A"),
    ("mc_direct", "(B) 3", "B", "C"),
    ("mc_direct", "C. Decrease", "C", "D"),
    ("mc_direct", "D.", "D", "B"),
    ("mc_direct", "A", "A", "C"),
    ("mc_prose", "The answer is (A) yes.", "A", "B"),
    ("mc_prose", "The answer is C (the left lobe).", "C", "A"),
    (
        "mc_prose",
        "Looking at the graph, the bar for 2019 is tallest. The correct option is (D).\n\nI hope this helps!",
        "D",
        "A",
    ),
    ("mc_prose", "Answer: B", "B", "C"),
    ("mc_prose", "**(B) 45°**", "B", "A"),
    ("mc_prose", "Based on the image, the answer is \\boxed{c}.", "C", "B"),
    # answers with units or trailing words
    ("units", "12 meters", "12", "13"),
    ("units", "The ladder reaches 15 feet up the wall.", "15", "20"),
    ("units", "The area of the rectangle is 24 cm^2.", "24", "12"),
    ("units", "It takes 3 hours.", "3", "6"),
    ("units", "The answer is 3.5 cm.", "3.5", "3"),
    # equations and worked expressions taken whole
    ("equation", "So the total is 3(4 + 1) = 15", "15", "3"),
    ("equation", "Evaluating at the point, $f(1.5) = 4$.", "4", "1.5"),
    ("equation", "\\boxed{\\sqrt{9} = 3}", "3", "9"),
    ("equation", "\\boxed{\\binom{6}{2} = 15}", "15", "6"),
    ("equation", "Hence $x = 7$.", "7", "-7"),
    # an exact value with its rounding
    ("approx", "The answer is $\\frac{\\sqrt{2}}{2} \\approx 0.707$", "\\frac{\\sqrt2}{2}", "\\frac{\\sqrt3}{2}"),
    ("approx", "So the ratio is $0.707 \\approx \\frac{\\sqrt{2}}{2}$.", "\\frac{\\sqrt2}{2}", "\\frac12"),
    ("approx", "The area is $\\boxed{4\\pi \\approx 12.57}$.", "4\\pi", "2\\pi"),
    # currency
    ("currency", "$7 + $12 = $19, so she pays $19.", "19", "12"),
    ("currency", "He earns $1,200 a week, so in two weeks he earns $2,400.", "2400", "1200"),
    ("currency", "The shirt costs $25 and the hat $15, for a total of $40.", "40", "25"),
    ("currency", "So the profit is $\\$350$.", "350", "35"),
    # end tokens a server left in the text
    ("end_tokens", "The length of the bus is 20 feet.</s><s>", "20", "30"),
    ("end_tokens", "\\boxed{12}<|im_end|>", "12", "21"),
    ("end_tokens", "The answer is 8.<|endoftext|>", "8", "9"),
    # control characters inside the response
    ("control", "Step one.\fStep two gives 12.\fThe result is 12.", "12", "13"),
    ("control", "\\boxed{5}\x07", "5", "6"),
    # a gold written as prose, a number word
    ("words", "\\boxed{\\text{seven}}", "7", "8"),
    ("words", "The answer is \\boxed{50^2}.", "2500", "50"),
]

# responses that must not be accepted for the given gold (hedges, rounding of an exact gold, prose only)
WRONG_ONLY: list[tuple[str, str, str]] = [
    ("hedge", "(B) AC, (D) BD", "B"),
    ("hedge", "The answer is (B) or (D).", "B"),
    ("hedge", "It could be 3 or 4.", "3"),
    ("hedge", "Either A or C.", "A"),
    ("rounded", "\\boxed{3.14}", "\\pi"),
    ("rounded", "\\boxed{0.333}", "\\frac{1}{3}"),
    ("rounded", "The answer is 1.41.", "\\sqrt{2}"),
]


def rows() -> list[dict]:
    out = []
    for style, response, right, wrong in PAIRS:
        kind = "choice" if len(right) == 1 and right.isalpha() and right.isupper() else "math"
        out.append({"style": style, "kind": kind, "response": response, "gold": right, "label": 1})
        out.append({"style": style, "kind": kind, "response": response, "gold": wrong, "label": 0})
    for style, response, gold in WRONG_ONLY:
        kind = "choice" if len(gold) == 1 and gold.isupper() else "math"
        out.append({"style": style, "kind": kind, "response": response, "gold": gold, "label": 0})
    return out


if __name__ == "__main__":
    target = Path(__file__).with_name("real_styles.jsonl")
    data = rows()
    target.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in data), encoding="utf-8")
    right = sum(r["label"] for r in data)
    print(f"wrote {len(data)} rows ({right} right, {len(data) - right} wrong) to {target}")
