"""``lmmr1 report PATH...``: the paper's Tables 1-3 with your evaluation results beside them.

    lmmr1 report eval/                      # every summary.json below eval/ (one row per evaluated model)
    lmmr1 report --paper-only               # the published tables alone

Writes ``OUTPUT/report.md`` and one PNG bar chart per table (``OUTPUT/table1.png`` ...) and prints the
Markdown. Each of your rows names its protocol; a delta row compares it with the published row of the
same label (``FRE-Text``, ``MGT-Geo``, ...; set with ``lmmr1 eval --label``).
"""

from __future__ import annotations

import argparse
import sys

from lmmr1.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "report",
        help="the paper's tables beside your evaluation results",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="*", help="eval output folders, summary.json files or run directories")
    p.add_argument(
        "--output",
        help="folder for report.md and the PNG charts (default: report/; with --paper-only nothing is written "
        "unless --output is given)",
    )
    p.add_argument("--paper-only", action="store_true", help="print the published tables alone")
    p.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    from lmmr1.report.plots import bar_chart
    from lmmr1.report.tables import TABLES, build, find_summaries, markdown, user_row

    summaries = [] if args.paper_only else find_summaries(args.paths)
    if not args.paper_only and not summaries:
        raise UserError(
            f"no lmmr1 eval summary.json under {', '.join(args.paths) or '(no path given)'}; "
            "run `lmmr1 eval ... --output DIR` first, or pass --paper-only"
        )
    from lmmr1.outputs import check_output_dir, write_text

    write = bool(args.output) or not args.paper_only
    out = check_output_dir(args.output or "report") if write else None
    parts = ["# LMM-R1 reproduction report", ""]
    for path, summary in summaries:
        parts.append(
            f"* {summary.get('label') or path.parent.name}: `{path}` — protocol `{summary['protocol']}`, "
            f"model `{summary.get('model')}`, backend {summary.get('backend')}, judge {summary.get('judge') or 'none'}"
            + (
                f", generation capped at {summary['max_new_tokens_cap']} new tokens"
                if summary.get("max_new_tokens_cap")
                else ""
            )
            + (
                f", first {limits[0]} items per benchmark"
                if (
                    limits := sorted(
                        {b.get("limited_to") for b in summary["benchmarks"].values() if b.get("limited_to")}
                    )
                )
                else ""
            )
        )
    parts.append("")
    for table in TABLES:
        user = [
            row
            for path, summary in summaries
            if (row := user_row(table, summary, summary.get("label") or path.parent.name)) is not None
        ]
        if not args.paper_only and not user:
            continue
        rows = build(table, user)
        parts.append(markdown(table, rows))
        if out is not None:
            chart = bar_chart(table, rows, out / f"{table}.png")
            parts.append(f"![{table}]({chart.name})\n")
    text = "\n".join(parts)
    print(text)
    if out is not None:
        write_text(out / "report.md", text)
        print(f"[lmmr1] report written to {out / 'report.md'} (+ PNG charts)", file=sys.stderr)
    return 0
