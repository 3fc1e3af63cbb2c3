"""Raw verl keys (``stages.S.verl.KEY=VALUE``) checked by name and type against the installed verl.

verl's trainer YAML is only half of its schema: a section with ``_target_: verl.workers.config.RolloutConfig``
is built into that dataclass, whose fields include settings the YAML does not list
(``actor_rollout_ref.rollout.enable_sleep_mode``), and whose annotations say what type a value must have.
A key is accepted when the YAML or the section's dataclass has it; its value must fit the dataclass field's
annotation, or, for a plain YAML entry, the type of verl's default. So ``trainer.save_freq=abc`` is refused
before Ray starts instead of failing inside the trainer. Written for verl 0.9.1's config layout.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import types
import typing
from typing import Any, Literal, Optional, Union

_SCALARS = (bool, int, float, str)


def _target_class(node: dict) -> Optional[type]:
    target = node.get("_target_")
    if not isinstance(target, str) or "." not in target:
        return None
    module, _, name = target.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), name)
    except Exception:  # a section verl builds lazily or on other hardware: judge by the YAML alone
        return None
    return cls if dataclasses.is_dataclass(cls) else None


def _field_types(cls: type) -> dict[str, Any]:
    try:
        hints = typing.get_type_hints(cls)
    except Exception:
        hints = {}
    return {f.name: hints.get(f.name, Any) for f in dataclasses.fields(cls) if not f.name.startswith("_")}


def _field_default(cls: type, name: str) -> Any:
    for f in dataclasses.fields(cls):
        if f.name == name:
            if f.default is not dataclasses.MISSING:
                return f.default
            if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
                try:
                    value = f.default_factory()  # type: ignore[misc]
                except Exception:
                    return None
                return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value
    return None


def _fits(value: Any, annotation: Any) -> Optional[bool]:
    """True/False when ``annotation`` is one this check understands, None when it is not (not checked)."""
    if annotation is Any:
        return None
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Literal:
        return value in args
    if origin in (Union, types.UnionType):
        if value is None:
            return type(None) in args
        verdicts = [_fits(value, a) for a in args if a is not type(None)]
        if any(v is None for v in verdicts):
            return None
        return any(verdicts)
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is str:
        return isinstance(value, str)
    if origin in (list, tuple) or annotation in (list, tuple):
        return isinstance(value, (list, tuple, str))  # verl turns a lone string into a one-item list
    if origin is dict or annotation is dict:
        return isinstance(value, dict)
    return None


def _describe(annotation: Any) -> str:
    from lmmr1.typecheck import describe

    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    try:
        return describe(annotation)
    except Exception:
        return str(annotation)


def _type_of_default(default: Any) -> Any:
    if isinstance(default, bool):
        return bool
    if isinstance(default, int):
        return Union[int, None]  # verl's int settings are often nullable in practice (e.g. total_training_steps)
    if isinstance(default, float):
        return Union[float, None]
    if isinstance(default, list):
        return list
    return Any  # strings are free-form (interpolations, paths, names); None is free


def check_verl_key(defaults: dict, dotted: str, value: Any) -> None:
    """Raise ValueError unless ``dotted`` names a verl setting and ``value`` has its type."""
    node: Any = defaults
    cls: Optional[type] = None
    annotation: Any = Any
    walked: list[str] = []
    for part in dotted.split("."):
        if isinstance(node, dict):
            cls = _target_class(node)
            fields = _field_types(cls) if cls else {}
            if not node and not fields:
                return  # free-form mapping in verl's schema (override_config, engine_kwargs ...)
            keys = [str(k) for k in node if k != "_target_"]
            if part in node and part != "_target_":
                annotation = fields.get(part, Any)
                node = node[part]
                if annotation is Any and not isinstance(node, dict):
                    annotation = _type_of_default(node)
            elif part in fields:
                annotation = fields[part]
                node = _field_default(cls, part)  # type: ignore[arg-type]
            else:
                names = sorted(set(keys) | set(fields))
                near = difflib.get_close_matches(part, names, n=1, cutoff=0.6)
                hint = f"; did you mean '{'.'.join([*walked, near[0]])}'?" if near else ""
                where = ".".join(walked) or "the top level"
                raise ValueError(
                    f"'{dotted}' is not a key of verl's trainer config (no '{part}' under {where}{hint}). "
                    f"Keys there: {', '.join(names)[:400]}"
                )
            walked.append(part)
            continue
        if node is None or annotation is Any or _fits({}, annotation):
            return  # below a free-form value
        raise ValueError(f"'{dotted}': '{'.'.join(walked)}' is a value in verl's trainer config, not a section")
    if isinstance(value, str) and value.startswith("${"):
        return  # an interpolation, resolved by OmegaConf later
    if _fits(value, annotation) is False:
        raise ValueError(f"'{dotted}' = {value!r}: verl expects {_describe(annotation)}")
