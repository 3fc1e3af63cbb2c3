"""``lmmr1 plot RUN_DIR``: PNG training curves of a whole curriculum, stage boundaries marked.

    lmmr1 plot runs/mgt_percereason                 # -> runs/mgt_percereason/plots/*.png
    lmmr1 plot runs/mgt_percereason --output figs

Reads ``metrics.jsonl``; writes ``overview.png`` (every panel) and one PNG per panel: reward and its
components, accuracy, format, response length, KL, entropy, value loss (GAE stages), validation scores.
"""

from __future__ import annotations

import argparse

from lmmr1.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "plot",
        help="PNG training curves of a run directory (all stages on one axis)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run_dir", help="a run's output_dir (holds manifest.json and metrics.jsonl)")
    p.add_argument("--output", help="folder for the PNG files (default: RUN_DIR/plots)")
    p.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    from lmmr1.outputs import check_output_dir
    from lmmr1.report.curves import plot_run
    from lmmr1.report.run_dir import RunDirError, load_run

    try:
        run = load_run(args.run_dir)
        run.warn("lmmr1 plot")
        out = check_output_dir(args.output if args.output else run.path / "plots")
        paths = plot_run(run, out)
    except (RunDirError, ValueError) as exc:
        raise UserError(f"{exc}") from None
    print(f"lmmr1 plot: {len(paths)} PNG files in {paths[0].parent}")
    for path in paths:
        print(f"  {path.name}")
    return 0
