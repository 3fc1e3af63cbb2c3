"""``lmmr1 train +recipe=NAME [key=value ...]``: the same as ``python -m lmmr1.main`` (Hydra overrides).

The overrides go to Hydra's compose API as a list (``lmmr1.main.train``); Hydra's own flags (``--help``,
``--cfg job``) are handed to its command line.

lmmr1 train +recipe=fre_text
lmmr1 train +recipe=mgt_geo scale=paper explain=true
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train",
        help="run a recipe (Hydra overrides, as python -m lmmr1.main)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
    )
    p.add_argument("overrides", nargs=argparse.REMAINDER, help="+recipe=NAME and key=value overrides")
    p.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    return run(args.overrides)


def run(overrides: list[str]) -> int:
    from lmmr1 import main as app

    return app.train(list(overrides))
