"""The recipes shipped in ``lmmr1.recipes`` (one YAML per recipe under ``recipe/``), for listings and errors."""

from __future__ import annotations

from importlib import resources


def recipe_names() -> list[str]:
    folder = resources.files("lmmr1.recipes") / "recipe"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def recipe_descriptions() -> dict[str, str]:
    """Each shipped recipe's one-line purpose (its ``recipe.description``), read as plain YAML (no Hydra)."""
    from omegaconf import OmegaConf

    folder = resources.files("lmmr1.recipes") / "recipe"
    out = {}
    for name in recipe_names():
        text = (folder / f"{name}.yaml").read_text(encoding="utf-8")
        raw = OmegaConf.to_container(OmegaConf.create(text), resolve=False)
        recipe = raw.get("recipe") if isinstance(raw, dict) else None
        out[name] = str((recipe or {}).get("description") or "") if isinstance(recipe, dict) else ""
    return out
