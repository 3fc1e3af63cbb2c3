"""The tree as sympy objects, through sympy's constructors (only in the time-limited worker pool)."""

from __future__ import annotations

import math
from typing import Any

from .tree import MAX_FACTORIAL, MAX_RESULT_BITS, GuardError, Node, ParseError


# ------------------------------------------------------------------------------------------------
# sympy (only in the time-limited worker pool)
# ------------------------------------------------------------------------------------------------
def to_sympy(node: Node) -> Any:
    """Build a sympy object with sympy's constructors, never from text."""
    import sympy as sp

    def rec(n: Node) -> Any:
        tag = n[0]
        if tag == "num":
            return sp.Rational(n[1].numerator, n[1].denominator)
        if tag == "sym":
            return sp.Symbol(n[1])
        if tag == "const":
            return {"pi": sp.pi, "e": sp.E, "inf": sp.oo}[n[1]]
        if tag == "add":
            return sp.Add(*[rec(c) for c in n[1]])
        if tag == "mul":
            return sp.Mul(*[rec(c) for c in n[1]])
        if tag == "neg":
            return -rec(n[1])
        if tag == "div":
            return rec(n[1]) / rec(n[2])
        if tag == "pow":
            base, exp = rec(n[1]), rec(n[2])
            _guard_sympy_pow(base, exp)
            return sp.Pow(base, exp)
        if tag == "root":
            base, idx = rec(n[1]), rec(n[2])
            return sp.root(base, idx) if idx != 2 else sp.sqrt(base)
        if tag == "fact":
            v = rec(n[1])
            if v.is_Integer and v > MAX_FACTORIAL:
                raise GuardError("factorial too large")
            return sp.factorial(v)
        if tag == "abs":
            return sp.Abs(rec(n[1]))
        if tag == "binom":
            return sp.binomial(rec(n[1]), rec(n[2]))
        if tag == "fn":
            fn = {
                "sin": sp.sin,
                "cos": sp.cos,
                "tan": sp.tan,
                "cot": sp.cot,
                "sec": sp.sec,
                "csc": sp.csc,
                "arcsin": sp.asin,
                "arccos": sp.acos,
                "arctan": sp.atan,
                "sinh": sp.sinh,
                "cosh": sp.cosh,
                "tanh": sp.tanh,
                "exp": sp.exp,
            }[n[1]]
            return fn(rec(n[2]))
        if tag == "log":
            return sp.log(rec(n[1])) if n[2] is None else sp.log(rec(n[1]), rec(n[2]))
        raise ParseError(f"cannot convert {tag}")

    return rec(node)


def _guard_sympy_pow(base: Any, exp: Any) -> None:
    if exp.is_Number and base.is_Number:
        if abs(exp) > 1 and abs(base) > 1:
            bits = float(abs(exp)) * math.log2(float(abs(base)))
            if bits > MAX_RESULT_BITS:
                raise GuardError("exponent too large")
    elif exp.is_Number and abs(exp) > 10_000:
        raise GuardError("exponent too large")
