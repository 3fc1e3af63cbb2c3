"""Check a configured value against the type a settings dataclass declares for it.

Hydra hands lmmr1 plain YAML values: ``actor_lr=fast`` arrives as the string ``"fast"``. Checking each
value against the field's annotation, once, before anything starts, turns that into an error naming the
key, the value, the layer that set it and what is accepted, instead of a crash inside a Ray worker.

Only the annotation shapes lmmr1's settings use are understood (``int``, ``float``, ``bool``, ``str``,
``Optional[X]``, ``tuple[float, float]``, ``list[str]``, ``dict[str, Any]``, ``Any``); anything else is
a programming error and raises ``TypeError``.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable
from typing import Any, Union

from lmmr1.errors import UserError


class SettingError(UserError, ValueError):
    """A setting's value or name is not accepted; the message says which, and what is."""


_NAMES = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


def close_match(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the nearest candidate, or an empty string."""
    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{found[0]}'?)" if found else ""


def describe(annotation: Any) -> str:
    """Human wording of an annotation, for error messages."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation in _NAMES:
        return _NAMES[annotation]
    if annotation is Any:
        return "any value"
    if origin in (Union, types.UnionType):
        inner = [describe(a) for a in args if a is not type(None)]
        return " or ".join(inner) + (" or null" if type(None) in args else "")
    if origin is tuple:
        return f"a list of {len(args)} values ({', '.join(describe(a) for a in args)})"
    if origin is list:
        return f"a list of {describe(args[0])}s" if args else "a list"
    if origin is dict:
        return "a mapping"
    return getattr(annotation, "__name__", str(annotation))


def coerce(value: Any, annotation: Any, key: str, where: str = "") -> Any:
    """``value`` converted to ``annotation`` where that is lossless; :class:`SettingError` otherwise."""
    ok, converted = _try(value, annotation)
    if ok:
        return converted
    origin = f" (set by {where})" if where else ""
    raise SettingError(f"{key} = {value!r}{origin}: expected {describe(annotation)}.")


def _try(value: Any, annotation: Any) -> tuple[bool, Any]:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is Any:
        return True, value
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return True, None
        for arg in args:
            if arg is type(None):
                continue
            ok, converted = _try(value, arg)
            if ok:
                return True, converted
        return False, None
    if annotation is bool:
        return (True, value) if isinstance(value, bool) else (False, None)
    if annotation is int:
        if isinstance(value, bool):
            return False, None
        if isinstance(value, int):
            return True, value
        if isinstance(value, float) and value.is_integer():
            return True, int(value)
        return False, None
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False, None
        return True, float(value)
    if annotation is str:
        return (True, value) if isinstance(value, str) else (False, None)
    if origin is tuple:
        if not isinstance(value, (list, tuple)) or len(value) != len(args):
            return False, None
        items = [_try(v, a) for v, a in zip(value, args)]
        if not all(ok for ok, _ in items):
            return False, None
        return True, tuple(v for _, v in items)
    if origin is list:
        if isinstance(value, str) and args and args[0] is str:
            return True, [value]
        if not isinstance(value, (list, tuple)):
            return False, None
        if not args:
            return True, list(value)
        items = [_try(v, args[0]) for v in value]
        if not all(ok for ok, _ in items):
            return False, None
        return True, [v for _, v in items]
    if origin is dict:
        return (True, dict(value)) if isinstance(value, dict) else (False, None)
    raise TypeError(f"typecheck: unsupported annotation {annotation!r}")
