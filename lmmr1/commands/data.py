"""``lmmr1 data``: prepare, mix, split, dedup and inspect training data (verl's parquet layout).

    lmmr1 data prepare --format hf --input deepscaler/ --output data/deepscaler.parquet
    lmmr1 data prepare --format lmmr1-message --input vermulti.jsonl --output data/vermulti.parquet --skip-bad
    lmmr1 data prepare --format sft-messages --input cot.jsonl --output data/sft/train.parquet  (SFT stages)
    lmmr1 data mix data/vermulti.parquet:0.7 data/deepscaler.parquet:0.3 --n 40000 --seed 1 --output data/mix.parquet
    lmmr1 data split data/mix.parquet --val-fraction 0.02 --train-output train.parquet --val-output val.parquet
    lmmr1 data dedup data/mix.parquet --output data/mix.dedup.parquet
    lmmr1 data inspect data/vermulti.parquet --model Qwen2.5-VL-3B-Instruct --max-prompt-length 4096
    lmmr1 data generate sokoban --n 5000 --dim 7 --boxes 2 --seed 0 --output DIR     (Sokoban level set)
    lmmr1 data generate football --n 1000 --scenario academy_3_vs_1_with_keeper --output DIR   (football games)

One spelling throughout: ``--output`` is where a command writes (a file, or a folder for ``generate``), a list
is space-separated values (``--input a b``), ``data mix`` takes ``PATH:WEIGHT`` pairs, and splitting is
``data split`` alone.

Nothing here imports torch or verl unless asked (inspect --model loads transformers).
"""

from __future__ import annotations

import argparse
import re
import sys

from lmmr1.commands.data_sokoban import register_football, register_sokoban
from lmmr1.data.errors import DataError


def _prepare(args: argparse.Namespace) -> int:
    from lmmr1.data.formats.base import PrepareOptions
    from lmmr1.data.prepare import prepare
    from lmmr1.prompts import SYSTEM_PROMPT

    options = PrepareOptions(
        data_source=args.data_source,
        system_prompt=None if args.no_system_prompt else (args.system_prompt or SYSTEM_PROMPT),
        override_system=args.no_system_prompt or args.system_prompt is not None,
        suffix="" if args.no_suffix else args.suffix,
        image_root=args.image_root,
        image_prefix_map=tuple(_prefix_pair(m) for m in args.image_prefix_map or []),
        split=args.split,
        question_key=args.question_key,
        answer_key=args.answer_key,
        image_key=args.image_key,
        id_key=args.id_key,
        keep_keys=args.keep or [],
        hf_split=args.hf_split,
        where=[_where_pair(w) for w in args.where or []],
        agent_name=args.agent_name,
        instruction=args.instruction,
        render=args.render,
    )
    report = prepare(
        args.format,
        args.input,
        args.output,
        options,
        skip_bad=args.skip_bad,
        max_errors=args.max_errors,
        show_progress=not args.quiet,
    )
    for bad in report.skipped[:5]:
        print(f"skipped {bad.where}: {bad.reason}", file=sys.stderr)
    print(report.summary(), file=sys.stderr)
    return 0


def _prefix_pair(spec: str) -> tuple[str, str]:
    old, sep, new = spec.partition("=")
    if not sep or not old:
        raise DataError(f"--image-prefix-map {spec!r}: expected OLD=NEW")
    return old, new


def _where_pair(spec: str) -> tuple[str, re.Pattern[str]]:
    key, sep, pattern = spec.partition("=")
    if not sep or not key:
        raise DataError(f"--where {spec!r}: expected FIELD=REGEX")
    try:
        return key, re.compile(pattern)
    except re.error as exc:
        raise DataError(f"--where {spec!r}: bad regular expression ({exc})") from None


def _mix(args: argparse.Namespace) -> int:
    from lmmr1.data import mix as mixing

    if args.val_fraction is not None or args.val_output is not None:
        raise DataError(
            "data mix writes the mixture only; split it with `lmmr1 data split MIX.parquet --val-fraction F "
            "--train-output TRAIN.parquet --val-output VAL.parquet`"
        )
    parts = [mixing.parse_part(s) for s in args.parts]
    result = mixing.mix(parts, args.output, n=args.n, seed=args.seed, replace=args.replace)
    print(f"mixed {result['rows']} rows ({_per_source(result)}) -> {args.output}", file=sys.stderr)
    return 0


def _generate_what(args: argparse.Namespace) -> int:
    raise DataError(
        "say what to generate: `lmmr1 data generate sokoban --output DIR ...` (a level set) or "
        "`lmmr1 data generate football --output DIR ...` (games); add --help to either for its options"
    )


def _per_source(result: dict) -> str:
    return ", ".join(f"{path}: {n}" for path, n in result["per_source"].items())


def _split(args: argparse.Namespace) -> int:
    from lmmr1.data import mix as mixing

    counts = mixing.split(
        args.input, args.train_output, args.val_output, val_fraction=args.val_fraction, seed=args.seed
    )
    print(
        f"split {args.input}: train {counts['train']} -> {args.train_output}, val {counts['val']} -> {args.val_output}",
        file=sys.stderr,
    )
    return 0


def _dedup(args: argparse.Namespace) -> int:
    from lmmr1.data import mix as mixing

    result = mixing.dedup(args.input, args.output)
    print(
        f"dedup {args.input}: {result['rows_in']} rows in, {result['removed']} duplicate prompts removed, "
        f"{result['rows_out']} rows -> {args.output}",
        file=sys.stderr,
    )
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from lmmr1.data.inspect import inspect_file

    report = inspect_file(
        args.file,
        args.model,
        max_pixels=args.max_pixels,
        min_pixels=args.min_pixels,
        max_prompt_length=args.max_prompt_length,
        show_progress=not args.quiet,
    )
    print(report.to_text())
    return 1 if (args.strict and report.over()) else 0


def handler(args: argparse.Namespace) -> int:
    func = getattr(args, "data_func", None)
    if func is None:
        args.data_parser.print_help()
        return 2
    from lmmr1.outputs import check_output_dir, check_output_file

    # every place a sub-command writes is checked before it reads a row
    if getattr(args, "output_is_dir", False):
        check_output_dir(args.output, "--output")
    else:
        for option in ("output", "train_output", "val_output"):
            if getattr(args, option, None):
                check_output_file(getattr(args, option), "--" + option.replace("_", "-"))
    try:
        return int(func(args) or 0)
    except DataError as exc:
        print(f"lmmr1 data: error: {exc}", file=sys.stderr)
        return 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "data",
        help="prepare, mix, split, dedup and inspect training data",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=handler, data_parser=parser)
    sub = parser.add_subparsers(dest="data_command", metavar="SUBCOMMAND")

    p = sub.add_parser("prepare", help="convert a source dataset to verl's parquet layout")
    p.add_argument(
        "--format",
        required=True,
        choices=["lmmr1-message", "hf", "sokoban", "sft-messages"],
        help="lmmr1-message (LMM-R1's JSONL), hf (datasets / parquet / JSON), sokoban (level sets): RL rows; "
        "sft-messages: conversations for SFT stages (messages [+ images], message + response, prompt + response)",
    )
    p.add_argument("--input", required=True, nargs="+", help="file(s) or folder(s) (sokoban: level-set folder)")
    p.add_argument("--output", required=True, help="the .parquet file to write (written atomically)")
    p.add_argument("--data-source", help="data_source column (selects the reward); default: from the input name")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--system-prompt", help="system prompt text (default: LMM-R1's)")
    g.add_argument("--no-system-prompt", action="store_true", help="no system turn")
    g2 = p.add_mutually_exclusive_group()
    g2.add_argument("--suffix", help="text appended to each question (hf default: the \\boxed{} instruction)")
    g2.add_argument("--no-suffix", action="store_true", help="append nothing to the questions")
    p.add_argument("--image-root", help="folder that relative image paths are resolved against")
    p.add_argument(
        "--image-prefix-map",
        action="append",
        metavar="OLD=NEW",
        help="rewrite image paths starting with OLD (files written on another machine); repeatable",
    )
    p.add_argument("--split", default="train", help="value of extra_info.split (default: train)")
    p.add_argument(
        "--where",
        action="append",
        metavar="FIELD=REGEX",
        help="keep only source records whose FIELD matches REGEX (e.g. a VerMulti subset); repeatable, "
        "all must match; left-out rows are counted in the summary (lmmr1-message and hf formats)",
    )
    p.add_argument(
        "--skip-bad", action="store_true", help="write the good rows and OUT.skipped.jsonl instead of stopping"
    )
    p.add_argument("--max-errors", type=int, default=20, help="bad rows listed before stopping (default 20)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    h = p.add_argument_group("hf format")
    h.add_argument("--question-key"), h.add_argument("--answer-key"), h.add_argument("--image-key")
    h.add_argument("--id-key")
    h.add_argument(
        "--keep", action="append", metavar="COLUMN", help="copy a source column into extra_info (repeatable)"
    )
    h.add_argument("--hf-split", help="split of a dataset folder (DatasetDict name, or a file-name part)")
    s = p.add_argument_group("sokoban format")
    s.add_argument("--agent-name", help="verl agent loop for the rows (default: single_turn_agent)")
    s.add_argument("--instruction", help="task text after the image (default: the global-plan instruction)")
    s.add_argument("--render", action="store_true", help="draw first frames with lmmr1.envs instead of the PNGs")
    p.set_defaults(data_func=_prepare)

    p = sub.add_parser("mix", help="weighted mixture of prepared files (PATH:WEIGHT ...)")
    p.add_argument("parts", nargs="+", metavar="PATH:WEIGHT")
    p.add_argument("--output", required=True)
    p.add_argument("--n", type=int, help="rows in the mixture (default: as many as possible without repeats)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--replace", action="store_true", help="allow repeating rows of a source that is too small")
    # lmmr1 0.x split here too; refused with the one command that splits
    p.add_argument("--val-fraction", help=argparse.SUPPRESS)
    p.add_argument("--val-output", help=argparse.SUPPRESS)
    p.set_defaults(data_func=_mix)

    p = sub.add_parser("split", help="deterministic train/validation split of a prepared file")
    p.add_argument("input")
    p.add_argument("--val-fraction", type=float, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--train-output", required=True)
    p.add_argument("--val-output", required=True)
    p.set_defaults(data_func=_split)

    p = sub.add_parser("dedup", help="drop rows whose prompt (text and images) was seen before")
    p.add_argument("input")
    p.add_argument("--output", required=True)
    p.set_defaults(data_func=_dedup)

    p = sub.add_parser("inspect", help="rows, sources, image sizes and prompt token lengths of a prepared file")
    p.add_argument("file")
    p.add_argument("--model", help="local model folder whose processor counts the tokens")
    p.add_argument("--max-pixels", type=int, help="image budget (default: the processor's)")
    p.add_argument("--min-pixels", type=int)
    p.add_argument("--max-prompt-length", type=int, help="count rows longer than this (data.max_prompt_length)")
    p.add_argument("--strict", action="store_true", help="exit 1 when rows exceed --max-prompt-length")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(data_func=_inspect)

    g = sub.add_parser("generate", help="new data: a Sokoban level set, or football games (rows included)")
    generators = g.add_subparsers(dest="generate_command", metavar="WHAT")
    register_sokoban(generators)
    register_football(generators)
    g.set_defaults(data_func=_generate_what)
    register_sokoban(sub, listed=False)  # lmmr1 0.x's names: `data sokoban`, `data football`
    register_football(sub, listed=False)
