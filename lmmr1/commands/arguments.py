"""Argument types shared by the sub-commands: a number out of range is an argparse usage error (exit 2, one
line naming the option), never a value that silently does something odd (``--n -3`` "writes -3 levels")."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def int_at_least(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be {low} or more, got {value}")
        return value

    parse.__name__ = f"integer >= {low}"
    return parse


def float_above(low: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not value > low:
            raise argparse.ArgumentTypeError(f"must be more than {low:g}, got {text}")
        return value

    parse.__name__ = f"number > {low:g}"
    return parse


positive_int = int_at_least(1)
