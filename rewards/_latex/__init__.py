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

from .evaluate import eval_complex, eval_exact, free_symbols, has_const
from .parser import parse
from .to_sympy import to_sympy
from .tokens import tokenize
from .tree import MAX_DEPTH, MAX_EXPR_CHARS, MAX_FACTORIAL, MAX_RESULT_BITS, GuardError, Node, ParseError

__all__ = [
    "MAX_DEPTH",
    "MAX_EXPR_CHARS",
    "MAX_FACTORIAL",
    "MAX_RESULT_BITS",
    "GuardError",
    "Node",
    "ParseError",
    "eval_complex",
    "eval_exact",
    "free_symbols",
    "has_const",
    "parse",
    "to_sympy",
    "tokenize",
]
