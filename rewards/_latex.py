"""A small, safe parser from LaTeX-ish answer text to an expression tree.

Why our own parser: model output must never reach ``eval``, ``sympify`` or ``parse_expr``. This module
tokenizes the text and builds a tree of plain tuples by recursive descent, with hard limits on length,
nesting depth and the size of numbers a power or factorial may produce, so that every call finishes in
time proportional to the input. The tree can be

* evaluated exactly (``Fraction``) or numerically (``complex``) in-process: this decides almost every
  pair in microseconds, and
* turned into sympy objects through sympy's constructors (``to_sympy``), which only the time-limited
  worker pool does, for the few pairs numeric evaluation cannot settle.

Tree nodes: ``("num", Fraction)``, ``("sym", name)``, ``("const", "pi"|"e"|"inf")``, ``("add", (a, b, ...))``,
``("mul", (a, b, ...))``, ``("neg", a)``, ``("div", a, b)``, ``("pow", a, b)``, ``("fn", name, a)``,
``("root", a, n)``, ``("fact", a)``, ``("abs", a)``, ``("log", a, base_or_None)``.
"""

from __future__ import annotations

import cmath
import math
import re
from fractions import Fraction
from typing import Any

MAX_EXPR_CHARS = 2_000  # longer expressions are compared as strings only
MAX_DEPTH = 60  # nested groups / parentheses / fractions
MAX_RESULT_BITS = 20_000  # an exact power or factorial may not build a bigger number than this
MAX_FACTORIAL = 500

Node = tuple


class ParseError(ValueError):
    """The text is not an expression this parser understands (not an error of the reward)."""


class GuardError(ValueError):
    """The text is an expression but evaluating it would be unsafe (huge power, deep nesting)."""


# ------------------------------------------------------------------------------------------------
# tokenizer
# ------------------------------------------------------------------------------------------------
_FUNCS = {
    "sin",
    "cos",
    "tan",
    "cot",
    "sec",
    "csc",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "exp",
    "ln",
    "log",
    "lg",
}
_GREEK = {
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "varepsilon",
    "zeta",
    "eta",
    "theta",
    "vartheta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "rho",
    "sigma",
    "tau",
    "upsilon",
    "phi",
    "varphi",
    "chi",
    "psi",
    "omega",
    "Gamma",
    "Delta",
    "Theta",
    "Lambda",
    "Xi",
    "Sigma",
    "Phi",
    "Psi",
    "Omega",
}
_IGNORED_COMMANDS = {
    "left",
    "right",
    "big",
    "Big",
    "bigg",
    "Bigg",
    "bigl",
    "bigr",
    "Bigl",
    "Bigr",
    "displaystyle",
    "textstyle",
    "limits",
    "nolimits",
    ",",
    ";",
    ":",
    "!",
    " ",
    "quad",
    "qquad",
    "mathrm",
    "mathbf",
    "mathit",
    "text",
    "textbf",
    "textit",
    "textrm",
    "mbox",
    "operatorname",
    "boldsymbol",
    "mathbb",
}
_TOKEN_RE = re.compile(
    r"""
    (?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE]-?\d+(?![A-Za-z]))?)
  | (?P<cmd>\\(?:[A-Za-z]+|.))
  | (?P<word>[A-Za-z]+)
  | (?P<op>\*\*|[-+*/^_()\[\]{}|!,=<>])
  | (?P<space>\s+)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def tokenize(text: str) -> list[tuple[str, str]]:
    if len(text) > MAX_EXPR_CHARS:
        raise GuardError(f"expression longer than {MAX_EXPR_CHARS} characters")
    tokens: list[tuple[str, str]] = []
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup
        value = m.group()
        if kind == "space":
            continue
        if kind == "cmd":
            name = value[1:]
            if name in _IGNORED_COMMANDS:
                continue
            if name in ("cdot", "times", "ast"):
                tokens.append(("op", "*"))
                continue
            if name == "div":
                tokens.append(("op", "/"))
                continue
            if name in ("{", "}"):
                tokens.append(("op", name))  # \{ \} only matter to set detection, done before parsing
                continue
            if name in ("lvert", "rvert", "vert", "mid"):
                tokens.append(("op", "|"))
                continue
            if name in ("dfrac", "tfrac", "cfrac"):
                name = "frac"
            tokens.append(("cmd", name))
        elif kind == "other":
            if value in "°":
                tokens.append(("cmd", "circ"))
            elif value == "π":
                tokens.append(("cmd", "pi"))
            elif value == "√":
                tokens.append(("cmd", "sqrt"))
            elif value in "·×":
                tokens.append(("op", "*"))
            elif value in "−–":
                tokens.append(("op", "-"))
            elif value == "÷":
                tokens.append(("op", "/"))
            elif value == "'":
                tokens.append(("op", "'"))
            else:
                raise ParseError(f"unexpected character {value!r}")
        else:
            tokens.append((kind, value))
    return tokens


# ------------------------------------------------------------------------------------------------
# recursive-descent parser
# ------------------------------------------------------------------------------------------------
class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.toks = tokens
        self.i = 0
        self.depth = 0

    # helpers
    def peek(self, k: int = 0) -> tuple[str, str] | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise ParseError("unexpected end of expression")
        self.i += 1
        return tok

    def accept(self, kind: str, value: str | None = None) -> bool:
        tok = self.peek()
        if tok is not None and tok[0] == kind and (value is None or tok[1] == value):
            self.i += 1
            return True
        return False

    def expect(self, kind: str, value: str) -> None:
        if not self.accept(kind, value):
            raise ParseError(f"expected {value!r}")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise GuardError(f"expression nested deeper than {MAX_DEPTH} levels")

    def leave(self) -> None:
        self.depth -= 1

    # grammar
    def parse(self) -> Node:
        node = self.expr()
        if self.peek() is not None:
            raise ParseError(f"unexpected token {self.peek()[1]!r}")
        return node

    def expr(self) -> Node:
        terms = [self.term()]
        while True:
            if self.accept("op", "+"):
                terms.append(self.term())
            elif self.accept("op", "-"):
                terms.append(("neg", self.term()))
            elif self.peek() == ("cmd", "pm") or self.peek() == ("cmd", "mp"):
                raise ParseError("\\pm is not a single value")
            else:
                break
        return terms[0] if len(terms) == 1 else ("add", tuple(terms))

    def _starts_factor(self) -> bool:
        tok = self.peek()
        if tok is None:
            return False
        kind, value = tok
        if kind in ("num", "word"):
            return True
        if kind == "op":
            return value in ("(", "{", "[") or (value == "|" and False)
        if kind == "cmd":
            return value not in ("pm", "mp", "cup", "cap", "le", "ge", "leq", "geq", "ne", "neq", "to", "in")
        return False

    def term(self) -> Node:
        node = self.unary()
        factors = [node]
        while True:
            if self.accept("op", "*"):
                factors.append(self.unary())
            elif self.accept("op", "/"):
                rhs = self.unary()
                factors = [("div", _mul(factors), rhs)]
            elif self._starts_factor():
                factors.append(self.power())  # implicit multiplication: 2x, 3\sqrt{2}, x(y+1)
            else:
                break
        return _mul(factors)

    def unary(self) -> Node:
        if self.accept("op", "-"):
            self.enter()
            node = ("neg", self.unary())
            self.leave()
            return node
        if self.accept("op", "+"):
            return self.unary()
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        if self.accept("op", "^") or self.accept("op", "**"):
            if self.peek() == ("cmd", "circ"):
                self.take()
                return base  # degrees: 30^\circ == 30
            self.enter()
            exponent = self.exponent()
            self.leave()
            if exponent == ("cmd_circ",):
                return base
            return ("pow", base, exponent)
        return base

    def exponent(self) -> Node:
        tok = self.peek()
        if tok == ("op", "{"):
            self.take()
            if self.peek() == ("cmd", "circ"):
                self.take()
                self.expect("op", "}")
                return ("cmd_circ",)
            node = self.expr()
            self.expect("op", "}")
            return node
        if tok == ("op", "-"):
            self.take()
            return ("neg", self.exponent())
        if tok is not None and tok[0] == "num":
            self.take()
            digits = tok[1]
            # ^23 in LaTeX is (^2)3; keep the first digit only
            first, rest = digits[0], digits[1:]
            if rest:
                self.toks.insert(self.i, ("num", rest))
            return ("num", _number(first))
        return self.power_atom_only()

    def power_atom_only(self) -> Node:
        return self.postfix()

    def postfix(self) -> Node:
        node = self.atom()
        while True:
            if self.accept("op", "!"):
                node = ("fact", node)
            elif self.accept("op", "_"):
                sub = self.subscript_text()
                if node[0] == "sym":
                    node = ("sym", f"{node[1]}_{sub}")
                else:
                    raise ParseError("subscript on a non-symbol")
            elif self.peek() == ("op", "'"):
                self.take()
                if node[0] == "sym":
                    node = ("sym", node[1] + "'")
                else:
                    raise ParseError("prime on a non-symbol")
            else:
                return node

    def subscript_text(self) -> str:
        tok = self.take()
        if tok == ("op", "{"):
            parts = []
            depth = 1
            while True:
                t = self.take()
                if t == ("op", "{"):
                    depth += 1
                elif t == ("op", "}"):
                    depth -= 1
                    if depth == 0:
                        break
                parts.append(t[1])
            return "".join(parts)
        return tok[1]

    def group(self) -> Node:
        """A ``{...}`` argument, or a single token argument as in ``\\frac12``."""
        tok = self.peek()
        if tok == ("op", "{"):
            self.take()
            self.enter()
            node = self.expr()
            self.leave()
            self.expect("op", "}")
            return node
        if tok is not None and tok[0] == "num":
            self.take()
            digits = tok[1]
            if len(digits) > 1 and "." not in digits:
                self.toks.insert(self.i, ("num", digits[1:]))
                digits = digits[0]
            return ("num", _number(digits))
        if tok is not None and tok[0] == "word":
            self.take()
            if len(tok[1]) > 1:
                self.toks.insert(self.i, ("word", tok[1][1:]))
            return _word(tok[1][0])
        return self.atom()

    def atom(self) -> Node:
        tok = self.take()
        kind, value = tok
        if kind == "num":
            return ("num", _number(value))
        if kind == "word":
            return self.word(value)
        if kind == "op":
            if value in ("(", "[", "{"):
                closing = {"(": ")", "[": "]", "{": "}"}[value]
                self.enter()
                node = self.expr()
                self.leave()
                self.expect("op", closing)
                return node
            if value == "|":
                self.enter()
                node = self.expr()
                self.leave()
                self.expect("op", "|")
                return ("abs", node)
            raise ParseError(f"unexpected {value!r}")
        # commands
        if value == "frac":
            num = self.group()
            den = self.group()
            return ("div", num, den)
        if value in ("binom", "dbinom", "tbinom", "choose"):
            n = self.group()
            k = self.group()
            return ("binom", n, k)
        if value == "sqrt":
            index: Node | None = None
            if self.accept("op", "["):
                self.enter()
                index = self.expr()
                self.leave()
                self.expect("op", "]")
            arg = self.group()
            return ("root", arg, index or ("num", Fraction(2)))
        if value == "pi":
            return ("const", "pi")
        if value == "infty":
            return ("const", "inf")
        if value == "circ":
            return ("num", Fraction(1))  # stray degree sign multiplies by nothing
        if value in _GREEK:
            return ("sym", value)
        if value in _FUNCS:
            return self.function(value)
        if value == "exp":
            return self.function("exp")
        raise ParseError(f"unsupported command \\{value}")

    def word(self, value: str) -> Node:
        if value in _FUNCS:
            return self.function(value)
        if value == "sqrt":
            arg = self.atom()
            return ("root", arg, ("num", Fraction(2)))
        if value == "pi":
            return ("const", "pi")
        if len(value) == 1:
            return _word(value)
        # a run of letters: single symbol names multiplied (2xy = 2*x*y), the usual reading of math
        # answers; multi-letter words that are not variables are compared as text before parsing.
        return _mul([_word(ch) for ch in value])

    def function(self, name: str) -> Node:
        power: Node | None = None
        base: Node | None = None
        if name in ("log",) and self.accept("op", "_"):
            base = self.group()
        if self.accept("op", "^"):
            power = self.exponent()
        self.enter()
        if self.peek() in (("op", "("), ("op", "{"), ("op", "[")):
            arg = self.atom()
        else:
            arg = self.power()  # \sin x, \ln 2
        self.leave()
        if name in ("ln",):
            node: Node = ("log", arg, None)
        elif name == "log":
            node = ("log", arg, base)
        elif name == "lg":
            node = ("log", arg, ("num", Fraction(10)))
        else:
            node = ("fn", name, arg)
        if power is not None:
            if power == ("neg", ("num", Fraction(1))):
                raise ParseError("inverse function notation")
            node = ("pow", node, power)
        return node


def _number(text: str) -> Fraction:
    mantissa, _, exp = text.lower().partition("e")
    if exp and abs(int(exp)) > 300:
        raise GuardError("number too large")
    if len(mantissa) > 400:
        raise GuardError("number has too many digits")
    return Fraction(text)


def _word(ch: str) -> Node:
    if ch == "e":
        return ("const", "e")
    return ("sym", ch)


def _mul(factors: list[Node]) -> Node:
    return factors[0] if len(factors) == 1 else ("mul", tuple(factors))


def parse(text: str) -> Node:
    """Parse one scalar expression; raises ParseError or GuardError."""
    tokens = tokenize(text)
    if not tokens:
        raise ParseError("empty expression")
    return _Parser(tokens).parse()


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
