"""A small, strict name -> object registry backed by Python entry points.

Why this shape: built-ins and third-party plug-ins are declared the same way (an entry point in a
distribution's metadata), so there is one list, and a plug-in needs no change to lmmr1. Entry points
are read lazily, on the first miss or listing, never at import time, so importing lmmr1 stays cheap and
a broken plug-in only hurts the run that asks for it.

This module imports nothing heavy (no torch, Ray or verl): ``lmmr1 score`` and ``lmmr1 ls`` rely on it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Generic, TypeVar

from lmmr1.errors import UserError

T = TypeVar("T")


class RegistryError(UserError, LookupError):
    """Raised on an unknown name or a conflicting duplicate registration."""


@dataclass(frozen=True)
class Entry:
    """One registered object and where it came from (for `lmmr1 ls` and error messages)."""

    name: str
    target: str  # "module:attr"
    origin: str  # distribution name, or "code" for objects registered in-process


def _target_of(obj: Any) -> str:
    module = getattr(obj, "__module__", type(obj).__module__)
    qualname = getattr(obj, "__qualname__", type(obj).__qualname__)
    return f"{module}:{qualname}"


def load_target(target: str) -> Any:
    """Import ``"package.module:attr.sub"`` and return the attribute."""
    module_name, _, attr_path = target.partition(":")
    if not module_name or not attr_path:
        raise RegistryError(f"'{target}' is not of the form 'package.module:attribute'")
    obj: Any = importlib.import_module(module_name)
    for part in attr_path.split("."):
        obj = getattr(obj, part)
    return obj


class Registry(Generic[T]):
    """Registry of ``kind`` objects, also filled from the entry-point group ``group``.

    * ``register(name)`` (decorator or call) adds an in-process object; registering a *different*
      object under an existing name raises, re-registering the same target is a no-op (module reloads,
      Ray workers importing twice).
    * ``get(name)`` returns the object, loading the entry point on first use; a miss lists what is
      installed.
    """

    def __init__(self, kind: str, group: str) -> None:
        self.kind = kind
        self.group = group
        self._objects: dict[str, T] = {}
        self._entries: dict[str, Entry] = {}
        self._scanned = False

    # -- registration -------------------------------------------------------------------------
    def register(self, name: str, obj: T | None = None) -> Any:
        """Register ``obj`` under ``name``; without ``obj`` returns a decorator."""
        if obj is None:

            def decorator(target: T) -> T:
                self._add(name, target, origin="code")
                return target

            return decorator
        self._add(name, obj, origin="code")
        return obj

    def _add(self, name: str, obj: T, origin: str) -> None:
        target = _target_of(obj)
        existing = self._entries.get(name)
        if existing is not None and existing.target != target:
            raise RegistryError(
                f"{self.kind} '{name}' is already registered as {existing.target} (from {existing.origin}); "
                f"refusing to replace it with {target}. Pick another name."
            )
        self._objects[name] = obj
        self._entries[name] = Entry(name, target, origin)

    # -- entry points -------------------------------------------------------------------------
    def _scan(self) -> None:
        if self._scanned:
            return
        self._scanned = True
        seen: dict[str, Entry] = {}
        for ep in metadata.entry_points(group=self.group):
            dist = getattr(ep, "dist", None)
            origin = f"{dist.name} {dist.version}" if dist is not None else "entry point"
            entry = Entry(ep.name, ep.value, origin)
            previous = seen.get(ep.name)
            if previous is not None and previous.target != entry.target:
                raise RegistryError(
                    f"{self.kind} '{ep.name}' is declared twice in entry-point group '{self.group}': "
                    f"{previous.target} ({previous.origin}) and {entry.target} ({entry.origin}). "
                    "Uninstall one of the distributions or rename the entry point."
                )
            seen[ep.name] = entry
        for name, entry in seen.items():
            known = self._entries.get(name)
            if known is not None and known.target != entry.target and known.origin == "code":
                # An in-process registration wins only if it is the same object.
                raise RegistryError(
                    f"{self.kind} '{name}' is registered in code as {known.target} but the entry point "
                    f"from {entry.origin} points to {entry.target}. Rename one of them."
                )
            self._entries.setdefault(name, entry)

    # -- lookup -------------------------------------------------------------------------------
    def get(self, name: str) -> T:
        if name in self._objects:
            return self._objects[name]
        self._scan()
        entry = self._entries.get(name)
        if entry is None:
            installed = ", ".join(self.names()) or "(none)"
            raise RegistryError(
                f"unknown {self.kind} '{name}'. Installed: {installed}. "
                f"Plug-ins register under the entry-point group '{self.group}'."
            )
        obj = load_target(entry.target)
        self._objects[name] = obj
        return obj

    def entries(self) -> list[Entry]:
        self._scan()
        return sorted(self._entries.values(), key=lambda e: e.name)

    def names(self) -> list[str]:
        return [e.name for e in self.entries()]

    def __contains__(self, name: str) -> bool:
        self._scan()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


def resolve_callable(spec: str | Callable[..., Any], registry: Registry[Any]) -> Callable[..., Any]:
    """A registry name, or a ``module:attr`` path for one-off functions not worth packaging."""
    if callable(spec):
        return spec
    if ":" in spec:
        return load_target(spec)
    return registry.get(spec)
