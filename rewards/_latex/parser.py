"""Tokens -> expression tree, by recursive descent with depth and size limits."""

from __future__ import annotations

from fractions import Fraction

from .tokens import _FUNCS, _GREEK, tokenize
from .tree import MAX_DEPTH, GuardError, Node, ParseError


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
