"""``lmmr1 ls rewards|recipes|envs|patches``: what is installed, from the same registries the runtime uses."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "ls", help="list installed rewards, recipes, environments, benchmarks or lmmr1's patches to other libraries"
    )
    p.add_argument("what", choices=["rewards", "recipes", "envs", "patches", "benchmarks"])
    p.set_defaults(func=handler)


def _rewards() -> list[str]:
    from lmmr1.rewards import REWARDS

    entries = REWARDS.entries()
    width = max((len(e.name) for e in entries), default=0)
    return [f"{e.name:<{width}}  {e.target}  ({e.origin})" for e in entries]


def _recipes() -> list[str]:
    from lmmr1.recipes_index import recipe_descriptions

    described = recipe_descriptions()
    width = max((len(n) for n in described), default=0)
    return [f"{name:<{width}}  {text}".rstrip() for name, text in described.items()]


def _envs() -> list[str]:
    from lmmr1.envs import ENV_SPECS

    return [f"{env_id}  {entry}" for env_id, (entry, _, _) in sorted(ENV_SPECS.items())]


def _benchmarks() -> list[str]:
    from lmmr1.eval import BENCHMARKS

    lines = []
    for entry in BENCHMARKS.entries():
        cls = BENCHMARKS.get(entry.name)
        lines.append(f"{entry.name:<16} DATA_DIR/{entry.name}/: {cls.expects}  ({entry.origin})")
        for key, option in getattr(cls, "options", {}).items():
            accepted = f" ({'|'.join(option.choices)})" if option.choices else ""
            lines.append(
                f"{'':<16}   --option {entry.name}.{key}=... {option.help}{accepted}; default {option.default}"
            )
    return lines


def _patches() -> list[str]:
    from lmmr1.verl.patches import table

    return table()


def handler(args: argparse.Namespace) -> int:
    lines = {"rewards": _rewards, "recipes": _recipes, "envs": _envs, "patches": _patches, "benchmarks": _benchmarks}[
        args.what
    ]()
    for line in lines:
        print(line)
    return 0
