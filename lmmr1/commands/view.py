"""``lmmr1 view RUN_DIR``: one self-contained HTML page of a run (open it in any browser, no server).

    lmmr1 view runs/mgt_percereason                      # -> runs/mgt_percereason/view.html
    lmmr1 view runs/mgt_percereason --eval eval/ --output run.html

The page holds the manifest as a table, the training curves, the evaluation tables (any ``lmmr1 eval``
summary.json under RUN_DIR or under the ``--eval`` folders) and a rollout browser: every scored response
(``STAGE/reward_rows.jsonl``) filterable by stage, step, data source, reward and text, with its
``<think>`` and ``<answer>`` parts, the extracted and the gold answer, the reward's components and any
error reason, under the question it answered and its image for a multimodal prompt; and the newest logged
responses of each RL stage (``STAGE/tokens.jsonl``) token by token, coloured by probability or entropy, with
their reasoning steps as a graph. Nothing is fetched from the network.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lmmr1.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "view",
        help="a self-contained HTML page of a run: manifest, curves, evaluation, rollout browser",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run_dir", help="a run's output_dir (holds manifest.json)")
    p.add_argument("--output", help="the HTML file to write (default: RUN_DIR/view.html)")
    p.add_argument("--eval", nargs="*", default=[], help="folders with lmmr1 eval results to show as tables")
    p.add_argument("--max-rows", type=int, default=100_000, help="embed at most this many responses (default 100000)")
    p.add_argument("--response-chars", type=int, default=1500, help="characters of each response shown (default 1500)")
    p.add_argument("--max-images", type=int, default=2000, help="embed at most this many prompt images (default 2000)")
    p.add_argument(
        "--token-responses",
        type=int,
        default=12,
        help="newest logged responses per stage shown token by token (default 12; 0: no token view)",
    )
    p.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    from lmmr1.report.html_view import build_html
    from lmmr1.report.run_dir import RunDirError, load_run

    if args.max_rows < 1 or args.response_chars < 1 or args.max_images < 0 or args.token_responses < 0:
        raise UserError(
            "--max-rows and --response-chars must be 1 or more, --max-images and --token-responses 0 or more"
        )
    from lmmr1.outputs import check_output_file, write_text

    if args.output:
        check_output_file(args.output)  # before the page is built, not after
    missing = [folder for folder in args.eval if not Path(folder).is_dir()]
    if missing:
        raise UserError(f"--eval {', '.join(missing)}: no such folder")
    try:
        run = load_run(args.run_dir)
        page, counts = build_html(
            run, [Path(p) for p in args.eval], args.max_rows, args.response_chars, args.max_images, args.token_responses
        )
        run.warn("lmmr1 view")  # the run's unreadable lines, those of the files the page read too
    except RunDirError as exc:
        raise UserError(f"{exc}") from None
    out = Path(args.output) if args.output else run.path / "view.html"
    write_text(check_output_file(out), page)
    print(f"lmmr1 view: {out} ({len(page) / 1e6:.1f} MB, {counts['rows']:,} of {counts['rows_total']:,} responses)")
    return 0
