"""What a reward promises the scorer, declared in one place: ``@reward_contract(components=..., fast_path=...)``.

* ``components``: the numeric keys every result carries besides ``score`` (``acc``, ``format``, ...): logged
  per step as ``reward/<component>/mean``. Without a declaration the scorer finds them with one probe call.
* ``fast_path``: a function with the reward's signature that is cheap and bounded and returns the result,
  or None when slow work is needed (the scorer then uses its killable, time-limited worker pool);
  ``"self"`` when the reward itself is cheap and bounded; ``"in_process"`` when the reward decides most rows
  in-process and only some need slow work: the reward itself, run with :func:`slow_allowed` false, where a
  slow step raises :class:`NeedSlow` instead (and the fast path returns None). Without one, every call goes to
  the pool.

The decorator checks the declaration when the module is imported (names, reserved keys, a fast path that
takes the reward's arguments), so a wrong contract fails at start-up, not in the middle of a run. It also
keeps the two attributes earlier versions read (``fn.components``, ``fn.fast_path``), and
:func:`contract_of` reads either form, so plug-ins written against those attributes keep working.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
RESERVED = ("score", "timeout", "error", "reason")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ContractError(TypeError):
    """A reward's declared contract is malformed (raised when its module is imported)."""


class NeedSlow(Exception):
    """In-process checks could not decide; the slow (killable, time-limited) path is needed."""


_SLOW_ALLOWED: ContextVar[bool] = ContextVar("lmmr1_reward_slow_allowed", default=True)


def slow_allowed() -> bool:
    """False inside an ``"in_process"`` fast path: a reward must raise :class:`NeedSlow` rather than do slow work."""
    return _SLOW_ALLOWED.get()


def _in_process(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The reward as its own fast path: slow work switched off; None where it would have been needed."""

    @functools.wraps(fn)
    def fast(*args: Any, **kwargs: Any) -> Any:
        token = _SLOW_ALLOWED.set(False)
        try:
            return fn(*args, **kwargs)
        except NeedSlow:
            return None
        finally:
            _SLOW_ALLOWED.reset(token)

    return fast


@dataclass(frozen=True)
class RewardContract:
    components: tuple[str, ...] | None
    fast_path: Callable[..., Any] | None


def _check_fast_path(fn: Callable[..., Any], fast: Callable[..., Any]) -> None:
    reward_params = [p for p in inspect.signature(fn).parameters.values() if p.kind != p.VAR_KEYWORD]
    fast_params = inspect.signature(fast).parameters
    takes_any = any(p.kind == p.VAR_KEYWORD for p in fast_params.values())
    missing = [p.name for p in reward_params if p.name not in fast_params and not takes_any]
    if missing:
        raise ContractError(
            f"reward {fn.__qualname__}: its fast path {getattr(fast, '__qualname__', fast)!r} does not take "
            f"{', '.join(missing)} (a fast path takes the reward's own arguments)"
        )


def reward_contract(
    *,
    components: Sequence[str] | None = None,
    fast_path: Callable[..., Any] | Literal["self", "in_process"] | None = None,
) -> Callable[[F], F]:
    """Declare a reward's components and fast path (see the module docstring)."""

    def declare(fn: F) -> F:
        names: tuple[str, ...] | None = None
        if components is not None:
            if isinstance(components, str):
                raise ContractError(f"reward {fn.__qualname__}: components must be a sequence of names, not a string")
            names = tuple(components)
            for name in names:
                if not isinstance(name, str) or not _NAME.match(name):
                    raise ContractError(f"reward {fn.__qualname__}: component {name!r} is not a plain name")
                if name in RESERVED:
                    raise ContractError(f"reward {fn.__qualname__}: component {name!r} is reserved by the scorer")
            if len(set(names)) != len(names):
                raise ContractError(f"reward {fn.__qualname__}: components {names} repeat a name")
        fast = fn if fast_path == "self" else _in_process(fn) if fast_path == "in_process" else fast_path
        if fast is not None:
            if not callable(fast):
                raise ContractError(f"reward {fn.__qualname__}: fast_path must be a function, 'self' or 'in_process'")
            _check_fast_path(fn, fast)
        fn.__lmmr1_contract__ = RewardContract(names, fast)  # type: ignore[attr-defined]
        if names is not None:
            fn.components = names  # type: ignore[attr-defined]
        if fast is not None:
            fn.fast_path = fast  # type: ignore[attr-defined]
        return fn

    return declare


def contract_of(fn: Callable[..., Any]) -> RewardContract:
    """The declared contract, or the one the legacy attributes describe (``RewardContract(None, None)``)."""
    declared = getattr(fn, "__lmmr1_contract__", None)
    if isinstance(declared, RewardContract):
        return declared
    components = getattr(fn, "components", None)
    return RewardContract(tuple(components) if components is not None else None, getattr(fn, "fast_path", None))
