"""The tree's node type, the hard limits every step keeps, and the two errors."""

from __future__ import annotations

MAX_EXPR_CHARS = 2_000  # longer expressions are compared as strings only
MAX_DEPTH = 60  # nested groups / parentheses / fractions
MAX_RESULT_BITS = 20_000  # an exact power or factorial may not build a bigger number than this
MAX_FACTORIAL = 500

Node = tuple


class ParseError(ValueError):
    """The text is not an expression this parser understands (not an error of the reward)."""


class GuardError(ValueError):
    """The text is an expression but evaluating it would be unsafe (huge power, deep nesting)."""
