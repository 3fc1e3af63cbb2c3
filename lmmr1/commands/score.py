"""``lmmr1 score``: score a JSONL file with a registered reward.

Input rows: ``response``, ``ground_truth``, optional ``data_source`` and ``extra_info``. Output: one JSON
line per input row, in input order, with ``score``, the reward's components, ``timeout`` (0/1) and
``error`` when the row could not be scored (its score is then 0). A row that is not valid UTF-8 or not
valid JSON is reported the same way instead of stopping the run.

Light on purpose: imports only the reward registry, the scorer and tqdm (no torch, Ray or verl).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from lmmr1.errors import UserError
from lmmr1.jsonl import LineError, iter_lines


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "score",
        help="score a JSONL file (response, ground_truth[, data_source, extra_info]) with a reward",
        description=__doc__.split("\n\n")[1],
    )
    p.add_argument("--reward", required=True, help="reward name (see `lmmr1 ls rewards`) or module:function")
    p.add_argument("--input", required=True, help="JSONL file to score ('-' for stdin)")
    p.add_argument("--output", help="where to write the scored JSONL (default: stdout)")
    p.add_argument("--timeout", type=float, default=2.0, help="per-row time limit in seconds (default 2)")
    p.add_argument("--workers", type=int, default=2, help="worker processes for slow rows (default 2)")
    p.add_argument("--reward-kwargs", default="{}", help="JSON object of keyword arguments for the reward")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=handler)


def _read_rows(path: str) -> list[tuple[dict[str, Any] | None, str | None]]:
    """(row, None) or (None, reason) per non-empty line."""
    data = sys.stdin.buffer.read() if path == "-" else None
    rows: list[tuple[dict[str, Any] | None, str | None]] = []
    for lineno, row in iter_lines(path, data):
        if isinstance(row, LineError):
            rows.append((None, f"line {lineno}: {row.reason}"))
            continue
        if not isinstance(row, dict):
            rows.append((None, f"line {lineno}: expected a JSON object, got {type(row).__name__}"))
            continue
        missing = [k for k in ("response", "ground_truth") if k not in row]
        if missing:
            rows.append((None, f"line {lineno}: missing field(s) {', '.join(missing)}"))
            continue
        response = row["response"]
        if isinstance(response, (int, float)) and not isinstance(response, bool):
            row["response"] = json.dumps(response)  # a bare number answered is the text of that number
        elif not isinstance(response, str):
            rows.append((None, f"line {lineno}: 'response' is {_json_type(response)}, expected text (a string)"))
            continue
        rows.append((row, None))
    return rows


def _json_type(value: Any) -> str:
    names = {bool: "true/false", type(None): "null", list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)


def handler(args: argparse.Namespace) -> int:
    from lmmr1.outputs import check_output_file, write_text
    from lmmr1.registry import RegistryError

    if not args.timeout > 0:
        raise UserError(f"--timeout {args.timeout:g}: seconds per row, must be more than 0")
    if args.workers < 1:
        raise UserError(f"--workers {args.workers}: worker processes, must be 1 or more")
    if args.output:
        check_output_file(args.output)
    from lmmr1.rewards.scoring import Scorer

    try:
        kwargs = json.loads(args.reward_kwargs)
    except ValueError as exc:
        raise UserError(f"--reward-kwargs is not valid JSON: {exc}") from None
    if not isinstance(kwargs, dict):
        raise UserError("--reward-kwargs must be a JSON object")
    from lmmr1.rewards.arguments import RewardArgumentError, check_reward_arguments

    try:
        check_reward_arguments(args.reward, kwargs)
        scorer = Scorer({"name": args.reward, "kwargs": kwargs}, workers=args.workers, timeout_s=args.timeout)
    except (RewardArgumentError, RegistryError, ImportError, AttributeError) as exc:
        raise UserError(f"{exc}") from None
    try:
        rows = _read_rows(args.input)
    except OSError as exc:
        raise UserError(f"cannot read {args.input}: {exc}") from None

    t0 = time.perf_counter()
    good = [(i, row) for i, (row, _) in enumerate(rows) if row is not None]
    items = [(row.get("data_source"), row["response"], row["ground_truth"], row.get("extra_info")) for _, row in good]
    from tqdm import tqdm

    with tqdm(
        total=len(rows), desc=f"score[{args.reward}]", unit="row", file=sys.stderr, disable=args.quiet, mininterval=0.5
    ) as bar:
        bar.update(len(rows) - len(good))
        scored = scorer.score_many(items, on_done=bar.update)
    results: list[dict[str, Any]] = []
    for _, reason in rows:
        if reason is not None:
            results.append(scorer.failed(args.reward, reason))
        else:
            results.append({})
    for (i, _), result in zip(good, scored):
        results[i] = result
    scorer.close()
    elapsed = time.perf_counter() - t0

    lines = "".join(json.dumps(result) + "\n" for result in results)
    if args.output:
        write_text(args.output, lines)
    else:
        sys.stdout.write(lines)
    n = len(results)
    mean = sum(r["score"] for r in results) / n if n else 0.0
    timeouts = sum(int(r.get("timeout", 0)) for r in results)
    errors = sum(1 for r in results if r.get("error"))
    print(
        f"scored {n} rows with '{args.reward}' in {elapsed:.2f}s ({n / elapsed if elapsed else 0:.0f} rows/s): "
        f"mean score {mean:.4f}, timeouts {timeouts}, errors {errors}",
        file=sys.stderr,
    )
    if not good:
        raise UserError(f"no row of {args.input} could be scored (each output row's 'error' says why)")
    return 0
