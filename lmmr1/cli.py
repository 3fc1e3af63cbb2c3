"""The ``lmmr1`` command: light tools around training (scoring, listing, data).

Each sub-command lives in its own module under ``lmmr1.commands`` and is imported only when asked for,
so ``lmmr1 score`` never pays for (or needs) torch, Ray or verl. Training itself is the Hydra app
``python -m lmmr1.main``.

A command module exposes ``register(subparsers) -> None`` which adds its parser and sets
``func=handler`` where ``handler(args) -> int`` returns the exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# sub-command name -> module that registers it
COMMANDS: dict[str, str] = {
    "score": "lmmr1.commands.score",
    "ls": "lmmr1.commands.ls",
    "data": "lmmr1.commands.data",
    "eval": "lmmr1.commands.eval",
    "report": "lmmr1.commands.report",
    "train": "lmmr1.commands.train",
    "status": "lmmr1.commands.status",
    "plot": "lmmr1.commands.plot",
    "view": "lmmr1.commands.view",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lmmr1",
        description="LMM-R1 tools. Training: lmmr1 train +recipe=NAME (= python -m lmmr1.main +recipe=NAME)",
    )
    parser.add_argument("-V", "--version", action="store_true", help="print lmmr1's version and exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        if only is not None and name != only:
            # still list it in --help without importing its module
            subparsers.add_parser(name, help=f"(see: lmmr1 {name} --help)")
            continue
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from lmmr1.errors import guarded

    if argv and argv[0] == "train":  # everything after it is Hydra's, options included (--help, --cfg job)
        from lmmr1.commands.train import run

        return guarded("lmmr1 train", lambda: run(argv[1:]))
    if argv and argv[0] in ("--version", "-V"):
        print(f"lmmr1 {_version()}")
        return 0
    wanted = argv[0] if argv and argv[0] in COMMANDS else None
    parser = build_parser(only=wanted)
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    return guarded(f"lmmr1 {args.command}", lambda: func(args))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lmmr1")
    except PackageNotFoundError:  # a source tree that was not installed
        from lmmr1 import __version__

        return __version__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
