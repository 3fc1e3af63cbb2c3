"""Benchmark: ``lmmr1 data prepare`` on 100,000 generated text rows (DeepScaleR-shaped JSONL, hf format).

Target (issue 5): under 60 s on 2 cores, with a progress bar. Runs the real command in a subprocess (so the
time includes interpreter start-up and the progress bar goes to the terminal's stderr), checks the output
row count, and writes a Markdown table to ``benchmarks/results/data.md``.

The peer is the way verl's own example scripts (``examples/data_preprocess/*.py``) build the same file:
``datasets.load_dataset("json")`` + ``Dataset.map`` to verl's columns + ``to_parquet``, written here in
that style (no validation, no atomic write), also run as a subprocess on the same input.

    python benchmarks/data/bench_prepare.py [--rows 100000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

TARGET_SECONDS = 60.0
RESULTS = Path(__file__).resolve().parents[1] / "results" / "data.md"


def generate(path: Path, rows: int, seed: int = 0) -> None:
    """DeepScaleR-like rows: a LaTeX problem (~200-600 chars), a short answer, a worked solution."""
    rng = random.Random(seed)
    words = (
        "let triangle integer sum product real number positive prime find compute the of and a "
        "such that if where value greatest least how many digits square root function sequence"
    ).split()
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(rows):
            problem = " ".join(rng.choice(words) for _ in range(rng.randint(30, 90)))
            problem += f" Compute $\\frac{{{rng.randint(1, 99)}}}{{{rng.randint(2, 99)}}} + x_{{{i}}}$."
            answer = rng.choice(
                [
                    str(rng.randint(0, 10_000)),
                    f"\\frac{{{rng.randint(1, 9)}}}{{{rng.randint(2, 9)}}}",
                    f"{rng.randint(2, 9)}\\sqrt{{{rng.randint(2, 7)}}}",
                ]
            )
            solution = " ".join(rng.choice(words) for _ in range(rng.randint(40, 120))) + f" \\boxed{{{answer}}}"
            fh.write(json.dumps({"problem": problem, "answer": answer, "solution": solution}) + "\n")


def peer_worker(src: str, out: str) -> None:
    """verl-example style: datasets load + map + to_parquet (the peer being timed)."""
    import datasets

    from lmmr1.prompts import MATH_SUFFIX, SYSTEM_PROMPT

    ds = datasets.load_dataset("json", data_files=src, split="train")

    def to_verl(example, idx):
        return {
            "data_source": "deepscaler",
            "prompt": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": example["problem"] + MATH_SUFFIX},
            ],
            "reward_model": {"style": "rule", "ground_truth": example["answer"]},
            "extra_info": {
                "index": idx,
                "split": "train",
                "answer": example["answer"],
                "solution": example["solution"],
            },
        }

    ds = ds.map(to_verl, with_indices=True, remove_columns=ds.column_names)
    ds.to_parquet(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", help="keep the generated files in this folder")
    parser.add_argument("--no-write", action="store_true", help="do not update benchmarks/results/data.md")
    parser.add_argument("--no-peer", action="store_true", help="skip the verl-example-style peer run")
    parser.add_argument("--peer-worker", nargs=2, metavar=("SRC", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer_worker:
        peer_worker(*args.peer_worker)
        return 0

    work = Path(args.keep or tempfile.mkdtemp(prefix="lmmr1_bench_data_"))
    work.mkdir(parents=True, exist_ok=True)
    src, out = work / "deepscaler_like.jsonl", work / "deepscaler_like.parquet"
    t0 = time.perf_counter()
    generate(src, args.rows)
    gen_s = time.perf_counter() - t0
    cmd = [
        sys.executable,
        "-m",
        "lmmr1.cli",
        "data",
        "prepare",
        "--format",
        "hf",
        "--input",
        str(src),
        "--output",
        str(out),
        "--data-source",
        "deepscaler",
    ]
    print("$ " + " ".join(cmd), file=sys.stderr)
    try:
        t0 = time.perf_counter()
        proc = subprocess.run(cmd)  # stderr inherited: the progress bar and the summary line are shown live
        wall = time.perf_counter() - t0
        peer = None
        if not args.no_peer:
            peer_out = work / "peer.parquet"
            env = dict(os.environ, HF_DATASETS_CACHE=str(work / "hf_cache"))  # a cold cache, like a first run
            t0 = time.perf_counter()
            peer_proc = subprocess.run([sys.executable, __file__, "--peer-worker", str(src), str(peer_out)], env=env)
            peer_wall = time.perf_counter() - t0
            if peer_proc.returncode == 0:
                peer = (peer_wall, pq.ParquetFile(peer_out).metadata.num_rows, peer_out.stat().st_size)
        return report(args, src, out, proc.returncode, wall, gen_s, peer)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def report(
    args: argparse.Namespace,
    src: Path,
    out: Path,
    returncode: int,
    wall: float,
    gen_s: float,
    peer: tuple[float, int, int] | None,
) -> int:
    if returncode != 0:
        print(f"prepare failed with exit code {returncode}", file=sys.stderr)
        return 1
    rows_out = pq.ParquetFile(out).metadata.num_rows
    ok = rows_out == args.rows and wall < TARGET_SECONDS
    table = "\n".join(
        [
            "# Data layer benchmark",
            "",
            f"`lmmr1 data prepare --format hf` on {args.rows:,} generated DeepScaleR-shaped text rows "
            f"(problem/answer/solution JSONL, {src.stat().st_size / 1e6:.1f} MB), run as a subprocess "
            "(time includes interpreter start-up). Reproduce: `python benchmarks/data/bench_prepare.py`.",
            "",
            "| tool | rows in | rows out | wall time (s) | rows/s | output (MB) | validates rows | target < 60 s |",
            "|---|---:|---:|---:|---:|---:|---|---|",
            f"| lmmr1 data prepare | {args.rows:,} | {rows_out:,} | {wall:.1f} | {args.rows / wall:,.0f} | "
            f"{out.stat().st_size / 1e6:.1f} | yes (FILE:LINE errors, ids, gold answers) | {'pass' if ok else 'FAIL'} |",
        ]
        + (
            [
                f"| verl example style (datasets map + to_parquet) | {args.rows:,} | {peer[1]:,} | {peer[0]:.1f} | "
                f"{args.rows / peer[0]:,.0f} | {peer[2] / 1e6:.1f} | no | {'pass' if peer[0] < TARGET_SECONDS else 'FAIL'} |",
            ]
            if peer
            else []
        )
        + [
            "",
            f"Machine: {platform.machine()}, {os.cpu_count()} CPU(s), Python {platform.python_version()}; "
            f"input generation (not timed) took {gen_s:.1f} s.",
            "",
        ]
    )
    print(table)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(table, encoding="utf-8")
        print(f"written to {RESULTS}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
