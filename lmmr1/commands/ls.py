"""``lmmr1 ls rewards|recipes|envs``: what is installed, from the same registries the runtime uses."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("ls", help="list installed rewards, recipes or environments")
    p.add_argument("what", choices=["rewards", "recipes", "envs"])
    p.set_defaults(func=handler)


def _rewards() -> list[str]:
    from lmmr1.rewards import REWARDS

    entries = REWARDS.entries()
    width = max((len(e.name) for e in entries), default=0)
    return [f"{e.name:<{width}}  {e.target}  ({e.origin})" for e in entries]


def _recipes() -> list[str]:
    from lmmr1.recipes_index import recipe_names

    return recipe_names()


def _envs() -> list[str]:
    try:
        import gymnasium

        import lmmr1.envs  # noqa: F401  (registers lmmr1/* ids)
    except ImportError as exc:
        print(f"lmmr1 ls envs: {exc}", file=sys.stderr)
        return []
    register_envs = getattr(lmmr1.envs, "register_envs", None)
    if callable(register_envs):
        register_envs()
    return sorted(i for i in gymnasium.registry if str(i).startswith("lmmr1/"))


def handler(args: argparse.Namespace) -> int:
    lines = {"rewards": _rewards, "recipes": _recipes, "envs": _envs}[args.what]()
    for line in lines:
        print(line)
    return 0
