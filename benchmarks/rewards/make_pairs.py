"""Generate the labelled (response, gold, expected) set for the reward benchmark.

Every pair is built from a template whose label is known by construction (the answer is the gold answer
written another way, or a deliberate near miss), not by asking any grader. Categories follow issue 3:
numbers, fractions, decimals vs fractions, percentages, scientific notation, radicals, pi, intervals and
unions, sets and unordered lists, tuples/points, matrices and vectors, equations, expressions, units and
``\\text{}``, degrees, thousands separators (commas, thin spaces), multiple choice, text answers, and the
adversarial cases (hedging, every option, empty box, gold only inside ``<think>``, bare answer tags,
rounding near misses).

    python benchmarks/rewards/make_pairs.py            # writes benchmarks/rewards/pairs.jsonl
"""

from __future__ import annotations

import json
import math
import random
from fractions import Fraction
from pathlib import Path

OUT = Path(__file__).with_name("pairs.jsonl")
rng = random.Random(3)

REASONING = [
    "First I set up the equation and simplify both sides.",
    "Let me compute step by step. The intermediate value is {d}, then I continue.",
    "We check the cases one by one; case 1 gives {d} which is rejected.",
    "Using the formula and substituting the values, we get the result.",
    "Draw the figure, label the sides, apply the theorem.",
]


def reasoning() -> str:
    return rng.choice(REASONING).format(d=rng.randint(2, 99))


def respond(answer: str, style: str | None = None) -> str:
    """Wrap a final answer in one of the response shapes models produce."""
    style = (
        style
        or rng.choices(
            ["tag_boxed", "boxed_only", "tag_dollar", "tag_sentence", "tag_bare"], weights=[50, 15, 10, 15, 10]
        )[0]
    )
    r = reasoning()
    if style == "tag_boxed":
        return f"<think>{r}</think><answer>\\boxed{{{answer}}}</answer>"
    if style == "boxed_only":
        return f"{r} So the final answer is $\\boxed{{{answer}}}$."
    if style == "tag_dollar":
        return f"<think>{r}</think><answer>${answer}$</answer>"
    if style == "tag_sentence":
        return f"<think>{r}</think><answer>The answer is $\\boxed{{{answer}}}$.</answer>"
    if style == "tag_bare":
        return f"<think>{r}</think><answer>{answer}</answer>"
    raise ValueError(style)


pairs: list[dict] = []


def N(k: int) -> int:
    """Rounds per category (halved: ~1,650 pairs keep the peer's sequential run near two minutes)."""
    return k // 2


def add(
    category: str, answer: str, gold: str, expected: int, style: str | None = None, response: str | None = None
) -> None:
    pairs.append(
        {
            "category": category,
            "response": response if response is not None else respond(answer, style),
            "ground_truth": gold,
            "expected": expected,
        }
    )


def frac(p: int, q: int, cmd: str = "frac") -> str:
    sign = "-" if p * q < 0 else ""
    return f"{sign}\\{cmd}{{{abs(p)}}}{{{abs(q)}}}"


# ------------------------------------------------------------------------------------------------
for _ in range(N(45)):  # integers
    n = rng.randint(-500, 5000)
    add("integer", str(n), str(n), 1)
    add("integer", str(n + rng.choice([-1, 1, 10])), str(n), 0)
    if n > 9:
        add("integer", str(n)[::-1] if str(n)[::-1] != str(n) else str(n + 2), str(n), 0)

for _ in range(N(40)):  # fractions
    q = rng.randint(2, 30)
    p = rng.randint(1, 60)
    f = Fraction(p, q)
    if f.denominator == 1:
        continue
    gold = frac(f.numerator, f.denominator)
    k = rng.randint(2, 5)
    add("fraction", frac(f.numerator, f.denominator, "dfrac"), gold, 1)
    add("fraction", f"{f.numerator}/{f.denominator}", gold, 1, style="tag_boxed")
    add("fraction", frac(k * f.numerator, k * f.denominator), gold, 1)
    add("fraction", frac(f.denominator, f.numerator) if f.numerator != 1 else frac(f.denominator, 1), gold, 0)
    add("fraction", frac(f.numerator + 1, f.denominator), gold, 0)

for _ in range(N(40)):  # decimals vs fractions (terminating only: exact equality)
    q = rng.choice([2, 4, 5, 8, 10, 20, 25, 40])
    p = rng.randint(1, 3 * q)
    f = Fraction(p, q)
    if f.denominator == 1:
        continue
    dec = f"{float(f):.6f}".rstrip("0").rstrip(".")
    add("decimal_fraction", dec, frac(f.numerator, f.denominator), 1)
    add("decimal_fraction", frac(f.numerator, f.denominator), dec, 1)
    add("decimal_fraction", f"{float(f) + 0.01:.6f}".rstrip("0").rstrip("."), frac(f.numerator, f.denominator), 0)
    # a non-terminating fraction written with too few digits
    q2 = rng.choice([3, 7, 9, 11])
    p2 = rng.randint(1, q2 - 1)
    if math.gcd(p2, q2) == 1:
        add("decimal_fraction", f"{p2 / q2:.1f}", frac(p2, q2), 0)

for _ in range(N(35)):  # percentages
    n = rng.randint(1, 99)
    add("percent", f"{n}\\%", f"{n}\\%", 1)
    add("percent", f"{n}", f"{n}\\%", 1)
    add("percent", f"{n}\\%", f"{n}", 1)
    add("percent", f"{n + 1}\\%", f"{n}\\%", 0)

for _ in range(N(35)):  # scientific notation
    m = rng.randint(11, 99) / 10
    e = rng.randint(2, 6)
    value = Fraction(str(m)) * 10**e
    plain = str(int(value)) if value.denominator == 1 else str(float(value))
    add("scientific", f"{m}\\times 10^{{{e}}}", plain, 1)
    add("scientific", plain, f"{m} \\times 10^{{{e}}}", 1)
    add("scientific", f"{m}\\cdot 10^{e}", f"{m}\\times 10^{{{e}}}", 1)
    add("scientific", f"{m}\\times 10^{{{e + 1}}}", plain, 0)

SQUAREFREE = [2, 3, 5, 6, 7, 10, 11, 13, 14, 15]
for _ in range(N(40)):  # radicals
    a = rng.randint(2, 9)
    b = rng.choice(SQUAREFREE)
    gold = f"{a}\\sqrt{{{b}}}"
    add("radical", f"\\sqrt{{{a * a * b}}}", gold, 1)
    add("radical", f"\\sqrt{{{b}}} \\cdot {a}", gold, 1)
    add("radical", f"{a}\\sqrt{{{b + 1 if b + 1 not in (4, 9) else b + 2}}}", gold, 0)
    add("radical", f"\\sqrt{{{a * b}}}", gold, 0)
    c = rng.randint(2, 9)
    add("radical", f"\\frac{{1}}{{{c}}}\\sqrt{{{b}}}", f"\\frac{{\\sqrt{{{b}}}}}{{{c}}}", 1)

for _ in range(N(35)):  # pi
    k = rng.randint(1, 12)
    m = rng.randint(2, 9)
    f = Fraction(k, m)
    if f.denominator == 1:
        continue
    gold = f"\\frac{{{f.numerator}\\pi}}{{{f.denominator}}}"
    add("pi", f"\\frac{{{f.numerator}}}{{{f.denominator}}}\\pi", gold, 1)
    add("pi", f"{f.numerator}\\pi/{f.denominator}", gold, 1)
    add("pi", f"\\frac{{{f.numerator}}}{{{f.denominator}}}", gold, 0)
    add("pi", f"\\frac{{{f.numerator}\\pi}}{{{f.denominator + 1}}}", gold, 0)

for _ in range(N(40)):  # intervals and unions
    a = rng.randint(-10, 5)
    b = a + rng.randint(1, 10)
    lb, rb = rng.choice("(["), rng.choice(")]")
    gold = f"{lb}{a}, {b}{rb}"
    add("interval", f"{lb}{a},{b}{rb}", gold, 1)
    add("interval", f"\\left{lb}{a}, {b}\\right{rb}", gold, 1)
    add("interval", f"{'[' if lb == '(' else '('}{a}, {b}{rb}", gold, 0)
    add("interval", f"{lb}{a}, {b + 1}{rb}", gold, 0)
    c = b + rng.randint(1, 5)
    union = f"(-\\infty, {a}) \\cup ({c}, \\infty)"
    add("interval", f"({c}, \\infty) \\cup (-\\infty, {a})", union, 1)
    add("interval", f"(-\\infty, {a}] \\cup ({c}, \\infty)", union, 0)

for _ in range(N(40)):  # sets and unordered lists
    items = rng.sample(range(-9, 20), rng.randint(2, 4))
    gold_list = ", ".join(map(str, items))
    shuffled = items[:]
    rng.shuffle(shuffled)
    add("set", ", ".join(map(str, shuffled)), gold_list, 1)
    add("set", "\\{" + ", ".join(map(str, shuffled)) + "\\}", "\\{" + gold_list + "\\}", 1)
    add("set", ", ".join(map(str, shuffled[:-1])), gold_list, 0)
    add("set", ", ".join(map(str, shuffled + [max(items) + 1])), gold_list, 0)

for _ in range(N(40)):  # tuples and points
    x, y = rng.randint(-9, 9), rng.randint(-9, 9)
    if x == y:
        y += 1
    gold = f"({x}, {y})"
    add("tuple", f"({x},{y})", gold, 1)
    add("tuple", f"\\left({x}, {y}\\right)", gold, 1)
    add("tuple", f"({y}, {x})", gold, 0)
    add("tuple", f"({x}, {-y if y else 1})", gold, 0)

for _ in range(N(35)):  # matrices and vectors
    a, b, c, d = (rng.randint(-9, 9) for _ in range(4))
    if b == c:
        c += 1
    gold = f"\\begin{{pmatrix}} {a} & {b} \\\\ {c} & {d} \\end{{pmatrix}}"
    add("matrix", f"\\begin{{bmatrix}}{a}&{b}\\\\{c}&{d}\\end{{bmatrix}}", gold, 1)
    add("matrix", f"\\begin{{pmatrix}} {a} & {b} \\\\ {c} & {d + 1} \\end{{pmatrix}}", gold, 0)
    add("matrix", f"\\begin{{pmatrix}} {a} & {c} \\\\ {b} & {d} \\end{{pmatrix}}", gold, 0)
    vec = f"\\begin{{pmatrix}} {a} \\\\ {b} \\\\ {d} \\end{{pmatrix}}"
    add("matrix", f"\\begin{{pmatrix}}{a}\\\\{b}\\\\{d}\\end{{pmatrix}}", vec, 1)
    add("matrix", f"\\begin{{pmatrix}}{a}\\\\{d}\\\\{b}\\end{{pmatrix}}", vec, 0 if b != d else 1)

for _ in range(N(40)):  # equations
    v = rng.choice("xyzt")
    n = rng.randint(-20, 20)
    add("equation", f"{v}={n}", str(n), 1)
    add("equation", str(n), f"{v} = {n}", 1)
    add("equation", f"{v}={n + 1}", str(n), 0)
    m, c = rng.randint(2, 9), rng.randint(1, 9)
    add("equation", f"y = {c} + {m}x", f"y={m}x+{c}", 1)
    add("equation", f"y = {m}x - {c}", f"y={m}x+{c}", 0)

for _ in range(N(35)):  # expressions in variables
    a, b = rng.randint(1, 9), rng.randint(1, 9)
    add("expression", f"x^2+{2 * a}x+{a * a}", f"(x+{a})^2", 1)
    add("expression", f"x^2+{2 * a}x+{a * a + 1}", f"(x+{a})^2", 0)
    add("expression", f"\\frac{{{a}x}}{{{b}}}", f"\\frac{{{a}}}{{{b}}}x", 1)
    add("expression", f"{a}x+{b}", f"{b}+{a}x", 1)
    add("expression", f"{a}x-{b}", f"{a}x+{b}", 0)

for _ in range(N(30)):  # inequalities and the intervals they describe
    a = rng.randint(-9, 9)
    b = a + rng.randint(1, 9)
    add("inequality", f"x \\geq {a}", f"[{a}, \\infty)", 1)
    add("inequality", f"[{a}, \\infty)", f"x \\ge {a}", 1)
    add("inequality", f"{a} < x \\le {b}", f"({a}, {b}]", 1)
    add("inequality", f"x > {a}", f"[{a}, \\infty)", 0)
    add("inequality", f"{a} \\le x < {b}", f"({a}, {b})", 0)
    add("inequality", f"x < {b}", f"x \\leq {b}", 0)

UNITS = ["cm", "m", "km", "kg", "g", "s", "hours", "meters", "units", "dollars"]
for _ in range(N(40)):  # units and \text{}
    n = rng.randint(1, 999)
    u = rng.choice(UNITS)
    add("units", f"{n} \\text{{ {u}}}", str(n), 1)
    add("units", f"{n}\\text{{{u}}}", f"{n} \\text{{ {u}}}", 1)
    add("units", str(n), f"{n}\\ \\text{{{u}}}", 1)
    add("units", f"{n + 1} \\text{{ {u}}}", str(n), 0)

for _ in range(N(30)):  # degrees
    n = rng.randint(1, 359)
    add("degrees", f"{n}^\\circ", str(n), 1)
    add("degrees", f"{n}^{{\\circ}}", f"{n}^\\circ", 1)
    add("degrees", str(n), f"{n}^{{\\circ}}", 1)
    add("degrees", f"{n + 1}^\\circ", str(n), 0)

for _ in range(N(40)):  # thousands separators
    n = rng.randint(1_000, 99_999_999)
    s = f"{n:,}"
    add("thousands", s, str(n), 1)
    add("thousands", s.replace(",", "\\,"), str(n), 1)
    add("thousands", s.replace(",", "{,}"), str(n), 1)
    add("thousands", f"{n + 1:,}".replace(",", "\\,"), str(n), 0)

LETTERS = "ABCDE"
for _ in range(N(40)):  # multiple choice
    g = rng.choice(LETTERS)
    w = rng.choice([c for c in LETTERS if c != g])
    add("choice", g, g, 1, style="tag_boxed")
    add("choice", g, g, 1, style="tag_bare")
    add("choice", f"({g})", g, 1, style="tag_bare")
    add("choice", w, g, 0)
    add("choice", f"\\text{{{g}}}", g, 1, style="tag_boxed")

WORDS = ["yes", "no", "Monday", "red", "triangle", "even", "odd", "north", "square", "Tuesday"]
for _ in range(N(30)):  # text answers
    g = rng.choice(WORDS)
    w = rng.choice([x for x in WORDS if x != g])
    add("text", f"\\text{{{g.capitalize()}}}", f"\\text{{{g}}}", 1)
    add("text", g, f"\\text{{{g}}}", 1, style="tag_bare")
    add("text", f"\\text{{{w}}}", f"\\text{{{g}}}", 0)

# --- adversarial -----------------------------------------------------------------------------------
for _ in range(N(40)):
    n = rng.randint(2, 300)
    w = n + rng.randint(1, 9)
    # hedging
    add("hedge", f"{n} \\text{{ or }} {w}", str(n), 0)
    add("hedge", "", str(n), 0, response=f"<think>{reasoning()}</think><answer>{n} or {w}</answer>")
    # gold only inside <think>
    add(
        "think_only",
        "",
        str(n),
        0,
        response=f"<think>maybe \\boxed{{{n}}}, no wait.</think><answer>\\boxed{{{w}}}</answer>",
    )
    add("think_only", "", str(n), 0, response=f"<think>the answer is {n}</think><answer>I cannot tell.</answer>")
    # empty box
    add("empty", "", str(n), 0, response=f"<think>{reasoning()}</think><answer>\\boxed{{}}</answer>")
    # bare answer tags
    add("bare_tag", "", str(n), 1, response=f"<think>{reasoning()}</think><answer>{n}</answer>")

for _ in range(N(30)):  # every option / option hedges
    g = rng.choice(LETTERS)
    others = [c for c in LETTERS if c != g]
    add("hedge", ", ".join(LETTERS[:4]) if g in LETTERS[:4] else ", ".join(LETTERS), g, 0)
    add("hedge", "", g, 0, response=f"<think>{reasoning()}</think><answer>{g} or {rng.choice(others)}</answer>")

for _ in range(N(40)):  # rounding near misses (math-verify rounds to 6 digits)
    x = rng.randint(1_000_000, 9_999_998)
    gold = f"0.{x}"
    add("near_miss", f"0.{x + 1}", gold, 0)
    add("near_miss", gold, gold, 1)
    n = rng.randint(100, 999)
    add("near_miss", f"{n}.0001", str(n), 0)


def main() -> None:
    for i, p in enumerate(pairs):
        p["id"] = i
    with OUT.open("w", encoding="utf-8") as f:
        for p in pairs:
            f.write(json.dumps({k: p[k] for k in ("id", "category", "response", "ground_truth", "expected")}) + "\n")
    cats: dict[str, list[int]] = {}
    for p in pairs:
        cats.setdefault(p["category"], []).append(p["expected"])
    print(f"wrote {len(pairs)} pairs to {OUT}")
    for c, labels in sorted(cats.items()):
        print(f"  {c:18s} {len(labels):4d}  positives {sum(labels)}")


if __name__ == "__main__":
    main()
