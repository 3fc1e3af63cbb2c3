"""``lmmr1 data generate sokoban``: a reproducible Sokoban level set with first frames and verl-ready prompts.

    lmmr1 data generate sokoban --n 5000 --dim 7 --boxes 2 --seed 0 --output DIR

writes into DIR:

* ``levels.jsonl`` - one level per line: ``id``, ``seed`` (``gym.make("lmmr1/Sokoban-v0").reset(seed=seed)``
  regenerates the same level), ``xsb``, ``dim``, ``boxes`` and, with ``--solve`` or ``--min-moves``,
  ``optimal_moves`` (``--min-moves K`` redraws levels solvable in fewer than K moves: a difficulty floor);
* ``frames/<id>.png`` - the first frame as the model sees it;
* ``train.parquet`` - verl's RL layout: ``data_source`` ("sokoban"), ``prompt`` (system + user chat messages,
  the user turn holds an ``<image>`` placeholder), ``images`` (``[{"bytes": png}]``), ``reward_model``
  (``{"style": "rule", "ground_truth": xsb}``), ``extra_info`` (``index``, ``id``, ``seed``, ``xsb``),
  ``agent_name`` (``single_turn_agent`` for ``--task global``, ``sokoban_online`` for ``--task online``).

Level ``i`` depends only on (``--seed``, ``i``) and the room settings, so a larger ``--n`` extends a set
without changing its first levels. Imports no torch, Ray or verl.

``lmmr1 data generate football --n N --scenario S --seed K --output DIR``: rows (first frame, prompt, ``extra_info`` =
scenario + seed) for the ``football_online`` agent loop.

``generate`` makes new data; ``lmmr1 data prepare --format sokoban`` turns level-set folders (these, or
LMM-R1's) into rows. ``lmmr1 data generate sokoban`` / ``lmmr1 data generate football`` (lmmr1 0.x's names) still work.
The generators themselves are library code (:mod:`lmmr1.data.generate`); this module is the command line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lmmr1.commands.arguments import int_at_least, positive_int
from lmmr1.data.errors import DataError
from lmmr1.data.generate import generate_football_set, generate_level_set
from lmmr1.prompts import SOKOBAN_AGENT_NAMES


def _run_football(args: argparse.Namespace) -> int:
    summary = generate_football_set(
        args.n, args.scenario, args.seed, Path(args.output).resolve(), progress=not args.quiet
    )
    print(
        f"wrote {summary['games']} {args.scenario} games (seed {args.seed}) to {summary['out']} "
        f"in {summary['seconds']:.1f}s",
        file=sys.stderr,
    )
    return 0


def register_football(subparsers: argparse._SubParsersAction, listed: bool = True) -> argparse.ArgumentParser:
    """Add ``football`` (prompts for the ``football_online`` agent loop); ``listed=False``: not in the help."""
    from lmmr1.envs.football import SCENARIOS

    shown = {"help": "football games: first frames and prompts for the online agent loop"} if listed else {}
    parser = subparsers.add_parser("football", **shown)
    parser.add_argument("--n", type=positive_int, default=1000, help="number of games (default 1000)")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="academy_3_vs_1_with_keeper")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", required=True, help="output directory")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(data_func=_run_football, output_is_dir=True)
    return parser


def _dim(text: str) -> tuple[int, int]:
    parts = text.lower().replace("x", ",").split(",")
    try:
        values = [int(p) for p in parts if p.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--dim must be N or HxW, got {text!r}") from None
    if len(values) == 1:
        values *= 2
    if len(values) != 2 or min(values) < 3:
        raise argparse.ArgumentTypeError(f"--dim must be N or HxW with sides >= 3, got {text!r}")
    return values[0], values[1]


def _run(args: argparse.Namespace) -> int:
    height, width = args.dim
    interior = (height - 2) * (width - 2)
    if 2 * args.boxes + 1 > interior:  # a box and a target each, and the player, on the floor inside the walls
        raise DataError(
            f"--boxes {args.boxes} do not fit a {height}x{width} room ({interior} cells inside the walls hold at "
            f"most {(interior - 1) // 2} boxes with their targets); use a larger --dim or fewer --boxes"
        )
    try:
        summary = generate_level_set(
            n=args.n,
            dim=args.dim,
            boxes=args.boxes,
            seed=args.seed,
            out=Path(args.output).resolve(),
            task=args.task,
            tile_size=args.tile_size,
            max_steps=args.max_steps,
            solve=args.solve,
            min_moves=args.min_moves,
            generator=args.generator,
            progress=not args.quiet,
        )
    except RuntimeError as exc:
        if "could not generate" not in str(exc):
            raise
        raise DataError(str(exc)) from None  # the room and box count the user chose admit no level
    print(
        f"wrote {summary['levels']} levels ({args.dim[0]}x{args.dim[1]}, {args.boxes} boxes, seed {args.seed}, "
        f"task {args.task}) to {summary['out']} in {summary['seconds']:.1f}s "
        f"({summary['duplicates_skipped']} duplicates and {summary['too_easy_skipped']} too-easy levels redrawn)",
        file=sys.stderr,
    )
    return 0


def register_sokoban(subparsers: argparse._SubParsersAction, listed: bool = True) -> argparse.ArgumentParser:
    """Add ``sokoban`` (a level set with first frames and rows); ``listed=False``: not in the help."""
    shown = {"help": "a Sokoban level set: levels, first frames, verl rows"} if listed else {}
    parser = subparsers.add_parser("sokoban", description=__doc__.split("\n\n")[0], **shown)
    parser.add_argument("--n", type=positive_int, default=5000, help="number of levels (default 5000, as LMM-R1)")
    parser.add_argument("--dim", type=_dim, default=(7, 7), help="room size: N or HxW (default 7)")
    parser.add_argument("--boxes", type=positive_int, default=2, help="boxes per level (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="base seed; level i depends on (seed, i) only")
    parser.add_argument("--output", required=True, help="output directory")
    parser.add_argument(
        "--task",
        choices=sorted(SOKOBAN_AGENT_NAMES),
        default="global",
        help="global: one image in, all moves out (LMM-R1); online: multi-turn agent loop",
    )
    parser.add_argument(
        "--tile-size", type=int_at_least(4), default=16, help="pixels per cell of the frames (default 16)"
    )
    parser.add_argument("--max-steps", type=positive_int, default=120, help="episode step limit (default 120)")
    parser.add_argument("--solve", action="store_true", help="also record each level's optimal move count (slower)")
    parser.add_argument(
        "--min-moves",
        type=int,
        default=0,
        help="redraw levels whose shortest solution has fewer moves (implies --solve; default 0: off)",
    )
    parser.add_argument(
        "--generator",
        choices=("dfs", "walk"),
        default="dfs",
        help="dfs: gym-sokoban's method and difficulty (default); walk: easier levels, for curricula that start easy",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(data_func=_run, output_is_dir=True)  # data_func: what `lmmr1 data` dispatches on
    return parser


__all__ = ["register_sokoban", "register_football"]
