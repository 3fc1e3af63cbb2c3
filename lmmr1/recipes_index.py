"""The recipes shipped in ``lmmr1.recipes`` (one YAML per recipe under ``recipe/``), for listings and errors."""

from __future__ import annotations

from importlib import resources


def recipe_names() -> list[str]:
    folder = resources.files("lmmr1.recipes") / "recipe"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))
