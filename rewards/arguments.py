"""Check a reward's name and arguments before a run starts.

A reward's arguments are the named keyword parameters of its function after verl's four
(``data_source, solution_str, ground_truth, extra_info``). Its ``**kwargs`` is part of verl's calling
contract (verl may pass keywords of its own) and is *not* an argument list: a misspelled argument
(``format_weigth``) would otherwise be swallowed by it and the run would train with the default. A
reward that really takes free-form arguments says so with :func:`free_form_arguments`. An argument
annotated ``Literal[...]`` or ``bool`` is checked by value too (``boxes="every"`` is refused, naming what it accepts).
"""

from __future__ import annotations

import difflib
import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any

VERL_PARAMETERS = ("data_source", "solution_str", "ground_truth", "extra_info")


class RewardArgumentError(ValueError):
    """Unknown reward, or an argument the reward does not take."""


def free_form_arguments(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a reward whose ``**kwargs`` are its arguments (no check of their names)."""
    fn.free_form_arguments = True  # type: ignore[attr-defined]
    return fn


def reward_parameters(fn: Callable[..., Any]) -> dict[str, Any] | None:
    """``{argument: default}`` of a reward, or None when it takes free-form arguments."""
    if getattr(fn, "free_form_arguments", False):
        return None
    out: dict[str, Any] = {}
    for name, param in inspect.signature(fn).parameters.items():
        if name in VERL_PARAMETERS or param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
            continue
        out[name] = None if param.default is param.empty else param.default
    return out


def _literal_choices(fn: Callable[..., Any]) -> dict[str, tuple[Any, ...]]:
    """``{argument: allowed values}`` for the arguments annotated ``Literal[...]``."""
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # an annotation that does not resolve: no value check, names are still checked
        return {}
    choices = {k: typing.get_args(v) for k, v in hints.items() if typing.get_origin(v) is typing.Literal}
    choices.update({k: (True, False) for k, v in hints.items() if v is bool})  # approximate="yes" is refused
    return choices


def _check_reward_signature(name: str, fn: Any) -> None:
    """A reward is called as ``fn(data_source, solution_str, ground_truth, extra_info=...)`` (verl's custom
    reward signature); anything else (``os:system``, a class, a constant) is refused before it is called."""
    import inspect

    if not callable(fn):
        raise RewardArgumentError(f"reward '{name}' is a {type(fn).__name__}, not a function")
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return  # a callable Python cannot describe (some C functions): judged when called
    try:
        signature.bind("source", "response", "gold", extra_info=None)
    except TypeError:
        raise RewardArgumentError(
            f"reward '{name}' is not a reward function: a reward takes (data_source, solution_str, ground_truth, "
            f"extra_info=None, **kwargs), but '{name}' takes {signature}"
        ) from None


def check_reward_arguments(name: str, kwargs: Mapping[str, Any]) -> Callable[..., Any]:
    """The reward ``name`` (registry name or ``module:function``), after checking ``kwargs`` against it."""
    from lmmr1.registry import RegistryError

    from . import REWARDS, get_reward

    try:
        fn = get_reward(name)
    except RegistryError as exc:
        near = difflib.get_close_matches(str(name), REWARDS.names(), n=1)
        hint = f" Did you mean '{near[0]}'?" if near else ""
        raise RewardArgumentError(f"{exc}{hint}") from None
    except (ImportError, AttributeError) as exc:
        raise RewardArgumentError(f"reward '{name}' could not be loaded: {exc}") from None
    _check_reward_signature(name, fn)
    accepted = reward_parameters(fn)
    if accepted is None:
        return fn
    choices = _literal_choices(fn)
    for key in kwargs:
        if key in accepted:
            if key in choices and kwargs[key] not in choices[key]:
                allowed = ", ".join(repr(c) for c in choices[key])
                raise RewardArgumentError(
                    f"reward '{name}': argument '{key}' is {kwargs[key]!r}; it accepts {allowed}."
                )
            continue
        near = difflib.get_close_matches(str(key), list(accepted), n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        takes = ", ".join(f"{k}={v!r}" for k, v in accepted.items()) or "no arguments"
        raise RewardArgumentError(f"reward '{name}' has no argument '{key}'{hint}. It takes: {takes}.")
    return fn
