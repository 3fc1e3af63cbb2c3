"""The hand-written labelled set of answer forms (issue 10): writes ``forms.jsonl``.

Every row below was written by hand, in the formats real models produce (R1-style ``<think>`` /
``<answer>``, MATH's few-shot "Final Answer: ..." line, Qwen-style ``\\boxed{}`` endings, several boxes,
no box at all), with its label decided by a person reading the pair -- not by lmmr1's grader or
math-verify. ``run.py`` grades it with both, side by side.

    .venv/bin/python benchmarks/rewards/forms_source.py   # rewrites forms.jsonl
"""

from __future__ import annotations

import json
from pathlib import Path

R1 = "<think>{t}</think>\n<answer>{a}</answer>"
FEW_SHOT = "{t}\nFinal Answer: The final answer is ${a}$. I hope it is correct."
QWEN = "{t}\n\nTherefore, the final answer is $\\boxed{{{a}}}$."

# (category, response, gold, label)
ROWS: list[tuple[str, str, str, int]] = [
    # several boxes, one per solution
    ("multi_box", "Case 1 gives $\\boxed{(1,3)}$ and case 2 gives $\\boxed{(4,0)}$.", "(1,3), (4,0)", 1),
    ("multi_box", "So $x=\\boxed{-2}$ or $x=\\boxed{5}$.", "-2, 5", 1),
    ("multi_box", "The roots are $\\boxed{\\frac{1}{2}}$ and $\\boxed{3}$.", "3, \\frac12", 1),
    ("multi_box", "Checking: $7$ works. The pairs are $\\boxed{(0,1)}$, $\\boxed{(1,0)}$.", "(1,0), (0,1)", 1),
    ("multi_box", "So $x=\\boxed{-2}$ or $x=\\boxed{4}$.", "-2, 5", 0),
    ("multi_box", "The roots are $\\boxed{2}$, $\\boxed{3}$ and $\\boxed{4}$.", "2, 4", 0),
    ("multi_box", "I first thought $\\boxed{6}$, but rechecking gives $\\boxed{8}$.", "6", 0),
    ("multi_box", "I first thought $\\boxed{6}$, but rechecking gives $\\boxed{8}$.", "8", 1),
    # a gold or an answer written as a labelled equation
    ("labelled", R1.format(t="solve the system", a="$(a,b)=(5,-1)$"), "(5,-1)", 1),
    ("labelled", R1.format(t="solve the system", a="$(5,-1)$"), "(a,b)=(5,-1)", 1),
    ("labelled", R1.format(t="solve the system", a="$(-1,5)$"), "(a,b)=(5,-1)", 0),
    ("labelled", QWEN.format(t="By Pythagoras.", a="|PQ|=13"), "13", 1),
    ("labelled", QWEN.format(t="By Pythagoras.", a="13"), "|PQ| = 13", 1),
    ("labelled", QWEN.format(t="By Pythagoras.", a="12"), "|PQ| = 13", 0),
    ("labelled", QWEN.format(t="Similar triangles.", a="\\frac{\\sqrt{3}}{3}"), "\\frac{DE}{BC}=\\frac{1}{\\sqrt3}", 1),
    ("labelled", QWEN.format(t="The line.", a="3"), "x+2y=3", 0),
    ("labelled", QWEN.format(t="Arithmetic sequence.", a="a_{20}=59"), "59", 1),
    ("labelled", QWEN.format(t="Arithmetic sequence.", a="a_{20}=56"), "59", 0),
    # MATH's few-shot line
    ("few_shot", FEW_SHOT.format(t="We add the two areas.", a="48"), "48", 1),
    ("few_shot", FEW_SHOT.format(t="We add the two areas.", a="\\frac{7}{3}"), "\\frac73", 1),
    ("few_shot", FEW_SHOT.format(t="We add the two areas.", a="49"), "48", 0),
    ("few_shot", FEW_SHOT.format(t="Count the cases.", a="(2,5]"), "(2,5]", 1),
    ("few_shot", FEW_SHOT.format(t="Count the cases.", a="[2,5]"), "(2,5]", 0),
    # no box and no answer phrase
    ("no_box", "The perimeter adds up.\nFinal Answer: The smallest $k$ is 17.", "17", 1),
    ("no_box", "The perimeter adds up.\nFinal Answer: The smallest $k$ is 17.", "18", 0),
    ("no_box", "Substituting back, we get $y = 9$.", "9", 1),
    ("no_box", "Substituting back, we get $y = 9$.", "8", 0),
    ("no_box", "Multiplying, the total number of handshakes is 66.", "66", 1),
    ("no_box", "Multiplying, the total number of handshakes is 66.", "65", 0),
    ("no_box", "First $a=2$, and then the volume is \\(\\frac{32}{3}\\pi\\).", "\\frac{32\\pi}{3}", 1),
    # relations
    ("relation", QWEN.format(t="Solve.", a="t \\lt 4"), "t<4", 1),
    ("relation", QWEN.format(t="Solve.", a="t \\gt 4"), "(4, \\infty)", 1),
    ("relation", QWEN.format(t="Solve.", a="t \\geq 4"), "(4, \\infty)", 0),
    ("relation", QWEN.format(t="Solve.", a="x \\leqslant -2"), "(-\\infty,-2]", 1),
    ("relation", QWEN.format(t="Estimate.", a="\\approx 2.718"), "e", 0),  # rounded: exact by default
    ("relation", QWEN.format(t="Estimate.", a="\\approx 2.72"), "e", 0),
    ("relation", QWEN.format(t="Estimate.", a="\\approx 2.71"), "e", 0),
    ("relation", QWEN.format(t="Estimate.", a="r \\approx 1.73"), "\\sqrt3", 0),
    # equivalent inequalities
    ("inequality", R1.format(t="isolate", a="$-2y < 6$"), "y > -3", 1),
    ("inequality", R1.format(t="isolate", a="$-2y < 6$"), "y < -3", 0),
    ("inequality", R1.format(t="isolate", a="$3x - 1 \\ge 8$"), "[3, \\infty)", 1),
    ("inequality", R1.format(t="isolate", a="$3x - 1 > 8$"), "[3, \\infty)", 0),
    ("inequality", R1.format(t="isolate", a="$10 > 5n$"), "n<2", 1),
    ("inequality", R1.format(t="isolate", a="$10 \\ge 5n$"), "n<2", 0),
    # number forms
    ("number_form", QWEN.format(t="Divide.", a="3,75"), "3.75", 1),
    ("number_form", QWEN.format(t="Divide.", a="3,76"), "3.75", 0),
    ("number_form", QWEN.format(t="Divide.", a="0{,}2"), "\\frac15", 1),
    ("number_form", QWEN.format(t="Multiply.", a="25,\\! 000"), "25000", 1),
    ("number_form", QWEN.format(t="Multiply.", a="25,\\! 600"), "25000", 0),
    ("number_form", QWEN.format(t="Measure.", a="12\\textnormal{ inches}"), "12", 1),
    ("number_form", QWEN.format(t="Measure.", a="13\\textnormal{ inches}"), "12", 0),
    ("number_form", QWEN.format(t="Share.", a="3\\frac{3}{4}"), "\\frac{15}{4}", 1),
    ("number_form", QWEN.format(t="Share.", a="3\\frac{1}{4}"), "\\frac{15}{4}", 0),
    ("number_form", QWEN.format(t="Share.", a="\\frac{15}{4}"), "3\\frac34", 1),
    # rounded irrational against its exact form. Labelled under the default exact policy (issue 22: MATH's
    # graders and math-verify reject a rounding of an exact gold); with approximate=true the right roundings count
    ("rounded", QWEN.format(t="Area of the circle.", a="28.27"), "9\\pi", 0),
    ("rounded", QWEN.format(t="Area of the circle.", a="28.28"), "9\\pi", 0),
    ("rounded", QWEN.format(t="Diagonal.", a="7.07"), "5\\sqrt{2}", 0),
    ("rounded", QWEN.format(t="Diagonal.", a="7.1"), "5\\sqrt{2}", 0),
    ("rounded", QWEN.format(t="Diagonal.", a="5\\sqrt{2}"), "7.07", 0),
    ("rounded", QWEN.format(t="Log.", a="0.693"), "\\ln 2", 0),
    # matrices
    (
        "matrix",
        R1.format(t="multiply", a="$\\left[\\begin{array}{cc}0&1\\\\-1&0\\end{array}\\right]$"),
        "\\begin{pmatrix}0&1\\\\-1&0\\end{pmatrix}",
        1,
    ),
    (
        "matrix",
        R1.format(t="multiply", a="$\\left[\\begin{array}{cc}0&-1\\\\1&0\\end{array}\\right]$"),
        "\\begin{pmatrix}0&1\\\\-1&0\\end{pmatrix}",
        0,
    ),
    (
        "matrix",
        R1.format(t="scale", a="$3\\begin{pmatrix}1\\\\-2\\end{pmatrix}$"),
        "\\begin{pmatrix}3\\\\-6\\end{pmatrix}",
        1,
    ),
    (
        "matrix",
        R1.format(t="scale", a="$3\\begin{pmatrix}1\\\\2\\end{pmatrix}$"),
        "\\begin{pmatrix}3\\\\-6\\end{pmatrix}",
        0,
    ),
    (
        "matrix",
        R1.format(t="add", a="$\\begin{pmatrix}1&2\\\\0&1\\end{pmatrix}+\\begin{pmatrix}0&0\\\\3&0\\end{pmatrix}$"),
        "\\begin{pmatrix}1&2\\\\3&1\\end{pmatrix}",
        1,
    ),
    # sets and lists
    ("set_list", QWEN.format(t="Both signs work.", a="\\pm 12"), "\\{-12, 12\\}", 1),
    ("set_list", QWEN.format(t="Both signs work.", a="12"), "\\{-12, 12\\}", 0),
    ("set_list", QWEN.format(t="Quadratic formula.", a="2 \\pm \\sqrt{5}"), "2-\\sqrt5, 2+\\sqrt5", 1),
    ("set_list", QWEN.format(t="Quadratic formula.", a="2 \\pm \\sqrt{3}"), "2-\\sqrt5, 2+\\sqrt5", 0),
    ("set_list", QWEN.format(t="Roots.", a="\\{4, 4, -1\\}"), "\\{-1, 4\\}", 1),
    ("set_list", QWEN.format(t="Roots.", a="\\{4, -4\\}"), "\\{-1, 4\\}", 0),
    ("set_list", QWEN.format(t="Points.", a="(0,0); (2,4)"), "(2,4), (0,0)", 1),
    ("set_list", QWEN.format(t="Roots.", a="x=0 \\text{ or } x=7"), "0, 7", 1),
    ("set_list", QWEN.format(t="Roots.", a="x=0 \\text{ or } x=6"), "0, 7", 0),
    ("set_list", QWEN.format(t="Roots.", a="5 \\text{ or } 6"), "5", 0),
    ("set_list", QWEN.format(t="Fibonacci identity.", a="F_{m+1}F_{m-1}"), "F_{m-1}F_{m+1}", 1),
    ("set_list", QWEN.format(t="Fibonacci identity.", a="F_{m+1}F_{m}"), "F_{m-1}F_{m+1}", 0),
    # units
    ("units", QWEN.format(t="Convert.", a="2.5\\text{ km}"), "2500 \\text{ m}", 1),
    ("units", QWEN.format(t="Convert.", a="2.5\\text{ m}"), "2.5 \\text{ km}", 0),
    ("units", QWEN.format(t="Time.", a="2 \\text{ hours}"), "120 \\text{ minutes}", 1),
    ("units", QWEN.format(t="Time.", a="2 \\text{ minutes}"), "2 \\text{ hours}", 0),
    ("units", QWEN.format(t="Weigh.", a="750 \\text{ g}"), "0.75 \\text{ kg}", 1),
    ("units", QWEN.format(t="Weigh.", a="750 \\text{ kg}"), "750 \\text{ g}", 0),
    ("units", QWEN.format(t="Area.", a="36 \\text{ cm}^2"), "36", 1),
    ("units", QWEN.format(t="Area.", a="36 \\text{ cm}"), "36 \\text{ cm}^2", 0),
]


def main() -> None:
    out = Path(__file__).with_name("forms.jsonl")
    lines = [
        json.dumps({"id": i, "category": c, "response": r, "ground_truth": g, "expected": e})
        for i, (c, r, g, e) in enumerate(ROWS)
    ]
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {len(lines)} rows to {out}")


if __name__ == "__main__":
    main()
