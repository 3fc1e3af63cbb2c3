"""The recipes shipped in ``lmmr1.recipes`` (one YAML per recipe under ``recipe/``), for listings and errors."""

from __future__ import annotations

from importlib import resources


def recipe_names() -> list[str]:
    folder = resources.files("lmmr1.recipes") / "recipe"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def recipe_header(name: str) -> str:
    """The comment block a recipe opens with (what it reproduces and its launch line)."""
    text = (resources.files("lmmr1.recipes") / "recipe" / f"{name}.yaml").read_text(encoding="utf-8")
    lines = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in text.splitlines()
             if line.startswith("#") and not line.startswith("# @package")]
    return "\n".join(lines)
