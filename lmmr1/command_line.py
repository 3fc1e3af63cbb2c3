"""The training command line checked before Hydra runs: one lmmr1 line instead of Hydra's error report.

Hydra reports a misspelt group choice (``+recipe=fre_txt``), an unknown key (``deterministc=true``) or a
malformed override with a 15-line message (the search path, a hint about ``HYDRA_FULL_ERROR``) and, for an
unknown key, suggests adding it with ``+``, which would only hide the typo. :func:`preflight` composes the
same overrides with Hydra's compose API first and turns its exceptions into ``KEY: what is wrong (did you
mean ...)``. Written for hydra-core 1.3 (its exception classes and messages).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Optional

from lmmr1.typecheck import close_match

CONFIG_MODULE = "lmmr1.recipes"
GROUP_WORDS = {
    "recipe": ("recipe", " (lmmr1 ls recipes)"),
    "scale": ("scale preset", " (recipes/scale/)"),
    "algorithm": ("algorithm preset", " (recipes/algorithm/)"),
    "model": ("model preset", " (recipes/model/)"),
    "data": ("data preset", " (recipes/data/)"),
}


def hydra_flags(argv: Sequence[str]) -> bool:
    """Hydra's own options (``--help``, ``--cfg job``, ``-m`` ...) are Hydra's to handle."""
    return any(a.startswith("-") for a in argv)


def _compose(overrides: list[str]):
    from hydra import compose, initialize_config_module

    with initialize_config_module(config_module=CONFIG_MODULE, version_base="1.3"):
        return compose(config_name="config", overrides=overrides)


def preflight(argv: Sequence[str]) -> Optional[str]:
    """None when Hydra composes ``argv``; else one line naming the override, the problem and the fix."""
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException

    overrides = list(argv)
    if hydra_flags(overrides) or GlobalHydra.instance().is_initialized():
        return None
    try:
        _compose(overrides)
    except HydraException as exc:
        return explain_hydra_error(exc, overrides)
    return None


def _typed(overrides: list[str], key: str) -> str:
    for item in overrides:
        name = item.split("=", 1)[0].lstrip("+~")
        if name == key:
            return item
    return key


def explain_hydra_error(exc: Exception, overrides: list[str]) -> str:
    from hydra.errors import MissingConfigException, OverrideParseException

    text = str(exc)
    missing = re.search(r"Could not find '([^/']+)/([^']+)'", text)
    if isinstance(exc, MissingConfigException) and missing:
        group, choice = missing.groups()
        options = list(getattr(exc, "options", None) or [])
        what, where = GROUP_WORDS.get(group, (f"'{group}' option", ""))
        return (
            f"{_typed(overrides, group)}: no such {what}{close_match(choice, options)}. "
            f"Accepted: {', '.join(options) or '(none found)'}{where}."
        )
    unknown = re.search(r"Could not override '([^']+)'", text)
    if unknown:
        key = unknown.group(1)
        if _settable_with_plus(key):
            typed = _typed(overrides, key)
            return f"{typed}: the recipe does not set '{key}', so Hydra needs a '+' to add it: +{typed.lstrip('+')}"
        parent, _, leaf = key.rpartition(".")
        candidates = _keys_at(parent, [o for o in overrides if o.split("=", 1)[0].lstrip("+~") != key])
        where = f"'{parent}'" if parent else "the top level"
        listing = f" Keys at {where}: {', '.join(sorted(candidates))}." if candidates else ""
        return f"{_typed(overrides, key)}: unknown key '{key}'{close_match(leaf, candidates)}.{listing}"
    exists = re.search(r"An item is already at '([^']+)'", text)
    if exists:
        key = exists.group(1)
        typed = _typed(overrides, key)
        return f"{typed}: '{key}' is already a setting; set it without the '+': {typed.lstrip('+')}"
    multiple = re.search(r"Multiple values for (\w+)", text)
    if multiple:
        group = multiple.group(1)
        return f"{group} is chosen twice on the command line; keep one {group}=... (or +{group}=...)"
    if isinstance(exc, OverrideParseException):
        bad = next((o for o in overrides if _parse_fails(o)), None)
        first = text.strip().splitlines()[0]
        return (
            f"{bad or 'the command line'}: cannot read this override ({first}). Overrides are key=value; "
            "lists are [a,b]; quote a value with spaces, brackets or commas: key='a, b'."
        )
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"the command line could not be composed: {first}"


def _settable_with_plus(key: str) -> bool:
    """A stage setting the recipe leaves at its default (``stages.S.mini_batch_size``, ``stages.S.verl.X``)."""
    from lmmr1.config import SCALE_BLOCKS, STAGE_SETTING_NAMES

    parts = key.split(".")
    if len(parts) < 3 or parts[0] != "stages":
        return False
    head = parts[2]
    if head in SCALE_BLOCKS and len(parts) > 3:
        head = parts[3]
    return head in STAGE_SETTING_NAMES


def _parse_fails(override: str) -> bool:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        OverridesParser.create().parse_overrides([override])
    except Exception:
        return True
    return False


def _keys_at(path: str, overrides: list[str]) -> list[str]:
    """Keys of the composed config at ``path`` (for a did-you-mean); empty when it cannot be composed."""
    from omegaconf import OmegaConf

    try:
        cfg = _compose(overrides)
    except Exception:
        return []
    node = OmegaConf.select(cfg, path) if path else cfg
    try:
        return [str(k) for k in node.keys()] if node is not None and hasattr(node, "keys") else []
    except Exception:
        return []
