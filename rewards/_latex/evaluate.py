"""The tree evaluated in-process: exactly (``Fraction``) or numerically (``complex``), within the limits."""

from __future__ import annotations

import cmath
import math
from fractions import Fraction

from .tree import MAX_FACTORIAL, MAX_RESULT_BITS, GuardError, Node, ParseError


# ------------------------------------------------------------------------------------------------
# evaluation
# ------------------------------------------------------------------------------------------------
def free_symbols(node: Node, out: set[str] | None = None) -> set[str]:
    out = set() if out is None else out
    tag = node[0]
    if tag == "sym":
        out.add(node[1])
    elif tag in ("add", "mul"):
        for child in node[1]:
            free_symbols(child, out)
    elif tag in ("neg", "fact", "abs"):
        free_symbols(node[1], out)
    elif tag in ("div", "pow", "root", "binom"):
        free_symbols(node[1], out)
        free_symbols(node[2], out)
    elif tag == "fn":
        free_symbols(node[2], out)
    elif tag == "log":
        free_symbols(node[1], out)
        if node[2] is not None:
            free_symbols(node[2], out)
    return out


def has_const(node: Node, name: str) -> bool:
    if node[0] == "const":
        return node[1] == name
    return any(has_const(c, name) for c in _children(node))


def _children(node: Node) -> list[Node]:
    tag = node[0]
    if tag in ("add", "mul"):
        return list(node[1])
    if tag in ("neg", "fact", "abs"):
        return [node[1]]
    if tag in ("div", "pow", "root", "binom"):
        return [node[1], node[2]]
    if tag == "fn":
        return [node[2]]
    if tag == "log":
        return [node[1]] + ([node[2]] if node[2] is not None else [])
    return []


def _bits(x: Fraction) -> int:
    return max(abs(x.numerator).bit_length(), x.denominator.bit_length())


def eval_exact(node: Node) -> Fraction | None:
    """Exact rational value, or None when the value is not (known to be) rational."""
    tag = node[0]
    if tag == "num":
        return node[1]
    if tag == "add":
        total = Fraction(0)
        for child in node[1]:
            v = eval_exact(child)
            if v is None:
                return None
            total += v
        return total
    if tag == "mul":
        prod = Fraction(1)
        for child in node[1]:
            v = eval_exact(child)
            if v is None:
                return None
            prod *= v
            if _bits(prod) > MAX_RESULT_BITS:
                raise GuardError("number too large")
        return prod
    if tag == "neg":
        v = eval_exact(node[1])
        return None if v is None else -v
    if tag == "div":
        a, b = eval_exact(node[1]), eval_exact(node[2])
        if a is None or b is None:
            return None
        if b == 0:
            raise ParseError("division by zero")
        return a / b
    if tag == "pow":
        a, b = eval_exact(node[1]), eval_exact(node[2])
        if a is None or b is None or b.denominator != 1:
            if a is not None and b is not None and a >= 0 and b.denominator != 1:
                return _exact_root(a, b)
            if b is not None and b.denominator == 1 and abs(b.numerator) > 100_000 and a is None:
                raise GuardError("exponent too large")
            return None
        e = b.numerator
        if a == 0 and e < 0:
            raise ParseError("division by zero")
        if abs(a) in (0, 1):
            return a**e
        if abs(e) * _bits(a) > MAX_RESULT_BITS:
            raise GuardError("exponent too large")
        return a**e
    if tag == "root":
        a, n = eval_exact(node[1]), eval_exact(node[2])
        if a is None or n is None or n.denominator != 1 or n.numerator <= 0:
            return None
        if a < 0:
            return None
        return _exact_root(a, Fraction(1, n.numerator))
    if tag == "fact":
        v = eval_exact(node[1])
        if v is None:
            return None
        if v.denominator != 1 or v < 0:
            raise ParseError("factorial of a non-natural number")
        if v > MAX_FACTORIAL:
            raise GuardError("factorial too large")
        return Fraction(math.factorial(int(v)))
    if tag == "abs":
        v = eval_exact(node[1])
        return None if v is None else abs(v)
    if tag == "binom":
        n, k = eval_exact(node[1]), eval_exact(node[2])
        if n is None or k is None:
            return None
        if n.denominator != 1 or k.denominator != 1 or n < 0:
            raise ParseError("binomial of non-natural numbers")
        if n > 5_000:
            raise GuardError("binomial too large")
        return Fraction(math.comb(int(n), int(k)) if k >= 0 else 0)
    return None


def _exact_root(a: Fraction, e: Fraction) -> Fraction | None:
    """a**e for rational e when the result is rational (e.g. 8^(1/3) = 2), else None."""
    if a < 0:
        return None
    p, q = e.numerator, e.denominator
    if q > 64:
        return None
    rn = _int_root(a.numerator, q)
    rd = _int_root(a.denominator, q)
    if rn is None or rd is None:
        return None
    base = Fraction(rn, rd)
    if abs(p) * _bits(base) > MAX_RESULT_BITS:
        raise GuardError("exponent too large")
    if base == 0 and p < 0:
        raise ParseError("division by zero")
    return base**p


def _int_root(n: int, q: int) -> int | None:
    if n < 0:
        return None
    if n in (0, 1):
        return n
    r = round(n ** (1.0 / q)) if n.bit_length() < 1000 else None
    if r is None:
        return None
    for c in (r - 1, r, r + 1):
        if c >= 0 and c**q == n:
            return c
    return None


_FN = {
    "sin": cmath.sin,
    "cos": cmath.cos,
    "tan": cmath.tan,
    "sinh": cmath.sinh,
    "cosh": cmath.cosh,
    "tanh": cmath.tanh,
    "arcsin": cmath.asin,
    "arccos": cmath.acos,
    "arctan": cmath.atan,
    "exp": cmath.exp,
    "cot": lambda z: 1 / cmath.tan(z),
    "sec": lambda z: 1 / cmath.cos(z),
    "csc": lambda z: 1 / cmath.sin(z),
}


def eval_complex(node: Node, env: dict[str, complex]) -> complex:
    """Numeric value with symbols bound from ``env``; raises on overflow or domain errors."""
    tag = node[0]
    if tag == "num":
        return complex(node[1])
    if tag == "sym":
        return env[node[1]]
    if tag == "const":
        if node[1] == "pi":
            return complex(math.pi)
        if node[1] == "e":
            return complex(math.e)
        raise ParseError("infinity is not a number")
    if tag == "add":
        return sum((eval_complex(c, env) for c in node[1]), complex(0))
    if tag == "mul":
        prod = complex(1)
        for c in node[1]:
            prod *= eval_complex(c, env)
        return _finite(prod)
    if tag == "neg":
        return -eval_complex(node[1], env)
    if tag == "div":
        return _finite(eval_complex(node[1], env) / eval_complex(node[2], env))
    if tag == "pow":
        a = eval_complex(node[1], env)
        b = eval_complex(node[2], env)
        if abs(b) > 1e4 or (abs(a) > 1 and abs(b) * math.log(abs(a)) > 700):
            raise GuardError("exponent too large")
        if b.imag == 0 and b.real == int(b.real) and a != 0:
            return _finite(a ** int(b.real))
        if a.imag == 0 and a.real < 0 and b.imag == 0:
            # real odd roots of negatives, as a person means (-8)^(1/3) = -2
            frac = Fraction(b.real).limit_denominator(64)
            if abs(float(frac) - b.real) < 1e-12 and frac.denominator % 2 == 1:
                return complex(-((-a.real) ** b.real) if frac.numerator % 2 else (-a.real) ** b.real)
        return _finite(a**b)
    if tag == "root":
        a = eval_complex(node[1], env)
        n = eval_complex(node[2], env)
        if n == 0:
            raise ParseError("zeroth root")
        if a.imag == 0 and a.real < 0 and n.imag == 0 and n.real == int(n.real) and int(n.real) % 2 == 1:
            return complex(-((-a.real) ** (1 / n.real)))
        return _finite(a ** (1 / n))
    if tag == "fact":
        v = eval_complex(node[1], env)
        if v.imag != 0 or v.real != int(v.real) or v.real < 0:
            raise ParseError("factorial of a non-natural number")
        if v.real > 170:
            raise GuardError("factorial too large")
        return complex(math.factorial(int(v.real)))
    if tag == "abs":
        return complex(abs(eval_complex(node[1], env)))
    if tag == "binom":
        exact = eval_exact(node)
        if exact is None:
            raise ParseError("symbolic binomial")
        return complex(exact)
    if tag == "fn":
        arg = eval_complex(node[2], env)
        if abs(arg) > 1e6:
            raise GuardError("argument too large")
        return _finite(_FN[node[1]](arg))
    if tag == "log":
        arg = eval_complex(node[1], env)
        if arg == 0:
            raise ParseError("log of zero")
        value = cmath.log(arg)
        if node[2] is not None:
            base = eval_complex(node[2], env)
            value = value / cmath.log(base)
        return _finite(value)
    raise ParseError(f"cannot evaluate {tag}")


def _finite(z: complex) -> complex:
    if not (math.isfinite(z.real) and math.isfinite(z.imag)):
        raise GuardError("overflow")
    return z
