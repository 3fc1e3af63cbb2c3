"""Environment benchmarks: lmmr1's Sokoban against gym-sokoban side by side, and football on lmmr1's engine
against Google Research Football (``bench_football.py``).

    .venv/bin/python benchmarks/envs/bench_envs.py            # writes benchmarks/results/envs.md
    .venv/bin/python benchmarks/envs/bench_envs.py --setup-peer   # first creates the peer's venv
    xvfb-run -a .venv/bin/python benchmarks/envs/bench_envs.py    # with a display: GRF's own 3D render timed too

gym-sokoban 0.0.6 (what LMM-R1 used) needs old gym, ``pkg_resources`` and numpy<2, so it runs in its own
venv (``--peer-python``, default ``benchmarks/.venv-peer/bin/python``; ``--setup-peer`` builds it with the
pins in PEER_REQUIREMENTS) through ``peer_gym_sokoban.py`` in a subprocess. Both sides are pinned to one
core. Timed: level generation (``reset()``: generate + first frame, and the bare generator), one
``step()`` with its RGB frame, and the levels' difficulty (optimal move count from lmmr1's solver).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import bench_football  # noqa: E402  (this folder; the script is run by path)
import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DIFFICULTY_LEVELS = 100
DEFAULT_PEER = ROOT / "benchmarks" / ".venv-peer" / "bin" / "python"
PEER_REQUIREMENTS = [
    "gym==0.26.2",
    "numpy==1.26.4",
    "imageio==2.38.1",
    "tqdm",
    "requests",
    "gym-sokoban==0.0.6",
    "setuptools<81",
]  # setuptools: gym-sokoban imports pkg_resources
GEN_CASES = [((7, 7), 2, 200), ((7, 7), 3, 60), ((10, 10), 3, 15)]
ROUNDS = 3  # best of ROUNDS for the cheap measurements (7x7 with 2 boxes, step): the machine may be shared


def pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def setup_peer(python: Path) -> None:
    venv = python.parent.parent
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *PEER_REQUIREMENTS], check=True)


def run_peer(python: Path, seed: int, steps: int) -> dict:
    cfg = {
        "seed": seed,
        "steps": steps,
        "keep_levels": DIFFICULTY_LEVELS,
        "rounds": ROUNDS,
        "gen_cases": [[list(dim), boxes, n] for dim, boxes, n in GEN_CASES],
    }
    out = subprocess.run(
        [str(python), str(HERE / "peer_gym_sokoban.py"), json.dumps(cfg)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_ours(seed: int, steps: int) -> dict:
    import lmmr1.envs  # noqa: F401
    from lmmr1.envs.sokoban import SokobanEnv, generate_level

    results = {}
    for dim, boxes, n in GEN_CASES:
        env = SokobanEnv(dim_room=dim, num_boxes=boxes, max_steps=10**9)
        env.reset(seed=seed)
        levels = []
        rounds = ROUNDS if (dim, boxes) == ((7, 7), 2) else 1
        reset_s = gen_s = float("inf")
        rng = np.random.default_rng(seed)
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(n):
                _, info = env.reset()
                levels.append(info["xsb"])
            reset_s = min(reset_s, (time.perf_counter() - start) / n)
            start = time.perf_counter()
            for _ in range(n):
                generate_level(rng, dim, boxes)
            gen_s = min(gen_s, (time.perf_counter() - start) / n)
        while len(levels) < DIFFICULTY_LEVELS:
            levels.append(env.reset()[1]["xsb"])
        walk_rng = np.random.default_rng(seed)
        start = time.perf_counter()
        walk = [generate_level(walk_rng, dim, boxes, generator="walk") for _ in range(n)]
        walk_s = (time.perf_counter() - start) / n
        while len(walk) < DIFFICULTY_LEVELS:
            walk.append(generate_level(walk_rng, dim, boxes, generator="walk"))
        results[f"{dim[0]}x{dim[1]}-{boxes}"] = {
            "reset_s": reset_s,
            "generate_s": gen_s,
            "levels": levels[:DIFFICULTY_LEVELS],
            "walk_levels": walk[:DIFFICULTY_LEVELS],
            "walk_generate_s": walk_s,
            "distinct": len(set(levels)) / len(levels),
        }
    env = SokobanEnv(dim_room=(7, 7), num_boxes=2, max_steps=10**9)
    env.reset(seed=seed)
    actions = np.random.default_rng(seed).integers(0, 4, steps).tolist()
    step_s = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for a in actions:
            obs = env.step(a)[0]
        step_s = min(step_s, (time.perf_counter() - start) / len(actions))
    results["step_render_s"] = step_s
    results["frame_shape"] = list(obs.shape)
    return results


def optimal_lengths(levels, kind: str) -> np.ndarray:
    """Optimal solution length (moves) of each level, NaN where the solver gives up."""
    from lmmr1.envs.sokoban import level_from_npy_array, parse_xsb, solve

    lengths = []
    for lv in levels:
        level = parse_xsb(lv) if kind == "xsb" else level_from_npy_array(np.array(lv))
        moves = solve(level)
        lengths.append(len(moves) if moves is not None else np.nan)
    return np.array(lengths, float)


HIST_BINS = (0, 5, 10, 15, 20, 25, 30, 40, 60, 1000)


def histogram(lengths: np.ndarray) -> list[int]:
    return np.histogram(lengths[~np.isnan(lengths)], bins=HIST_BINS)[0].tolist()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peer-python", type=Path, default=Path(os.environ.get("LMMR1_PEER_PYTHON", DEFAULT_PEER)))
    parser.add_argument("--setup-peer", action="store_true", help="create the peer venv first")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--episodes", type=int, default=20, help="football episodes per scenario and engine")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "envs.md")
    args = parser.parse_args()
    pin_one_core()
    if args.setup_peer:
        setup_peer(args.peer_python)
    if not args.peer_python.exists():
        print(f"peer python {args.peer_python} not found: run with --setup-peer or --peer-python", file=sys.stderr)
        return 2
    print("measuring gym-sokoban (peer venv) ...", file=sys.stderr)
    peer = run_peer(args.peer_python, args.seed, args.steps)
    print("measuring lmmr1 ...", file=sys.stderr)
    ours = run_ours(args.seed, args.steps)

    lines = [
        "# Environment benchmarks",
        "",
        f"Machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores (each side pinned to one "
        f"core), Python {platform.python_version()}. Peer: gym-sokoban 0.0.6 on gym 0.26.2 / numpy 1.26 in its own "
        f"venv. Command: `.venv/bin/python benchmarks/envs/bench_envs.py` (seed {args.seed}). Load average at the "
        f"end: {os.getloadavg()[0]:.1f} (the machine is shared; 7x7/2-box and step timings are the best of {ROUNDS} "
        "rounds, others one round).",
        "",
        "## Sokoban: lmmr1/Sokoban-v0 vs gym-sokoban",
        "",
        "| measure | gym-sokoban 0.0.6 | lmmr1 | speed-up |",
        "|---|---:|---:|---:|",
    ]
    for dim, boxes, n in GEN_CASES:
        key = f"{dim[0]}x{dim[1]}-{boxes}"
        p, o = peer[key], ours[key]
        lines.append(
            f"| `reset()` (generate + first frame), {dim[0]}x{dim[1]}, {boxes} boxes, ms/level (n={n}) | "
            f"{p['reset_s'] * 1e3:.2f} | {o['reset_s'] * 1e3:.3f} | {p['reset_s'] / o['reset_s']:.0f}x |"
        )
        lines.append(
            f"| generator alone, {dim[0]}x{dim[1]}, {boxes} boxes, ms/level | {p['generate_s'] * 1e3:.2f} | "
            f"{o['generate_s'] * 1e3:.3f} | {p['generate_s'] / o['generate_s']:.0f}x |"
        )
    lines.append(
        f"| `step()` + RGB frame {tuple(ours['frame_shape'])}, 7x7, us/step (n={args.steps}) | "
        f"{peer['step_render_s'] * 1e6:.0f} | {ours['step_render_s'] * 1e6:.1f} | "
        f"{peer['step_render_s'] / ours['step_render_s']:.0f}x |"
    )
    lines += [
        "",
        f"Level difficulty: optimal number of moves (lmmr1's breadth-first solver) of {DIFFICULTY_LEVELS} levels of "
        "each set; unsolvable share in brackets. lmmr1's default generator (`dfs`) is gym-sokoban's method; "
        '`walk` is the easier, earlier one (`generator="walk"`).',
        "",
        "| set | gym-sokoban | lmmr1 `dfs` | difference | lmmr1 `walk` | `walk` ms/level |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    hist_rows = []
    for dim, boxes, _ in GEN_CASES:
        key = f"{dim[0]}x{dim[1]}-{boxes}"
        peer_len = optimal_lengths(peer[key]["levels"], "npy")
        ours_len = optimal_lengths(ours[key]["levels"], "xsb")
        walk_len = optimal_lengths(ours[key]["walk_levels"], "xsb")
        pm, om, wm = (float(np.nanmean(x)) for x in (peer_len, ours_len, walk_len))
        lines.append(
            f"| {dim[0]}x{dim[1]}, {boxes} boxes | {pm:.1f} ({np.mean(np.isnan(peer_len)):.0%}) | "
            f"{om:.1f} ({np.mean(np.isnan(ours_len)):.0%}) | {(om - pm) / pm:+.1%} | {wm:.1f} | "
            f"{ours[key]['walk_generate_s'] * 1e3:.3f} |"
        )
        for name, lengths in (("gym-sokoban", peer_len), ("lmmr1 dfs", ours_len)):
            hist_rows.append(
                f"| {dim[0]}x{dim[1]}, {boxes} boxes, {name} | " + " | ".join(map(str, histogram(lengths))) + " |"
            )
    labels = [f"{a}-{b - 1}" if b < 1000 else f"{a}+" for a, b in zip(HIST_BINS, HIST_BINS[1:])]
    lines += [
        "",
        "Histogram of optimal solution lengths (levels per bin of moves):",
        "",
        "| set | " + " | ".join(labels) + " |",
        "|---|" + "---:|" * len(labels),
        *hist_rows,
    ]
    lines += [
        "",
        "gym-sokoban's levels are not reproducible from a seed (it draws from the global `random` and "
        "`numpy.random`); lmmr1's are (`reset(seed=...)`).",
        "",
    ]
    print("measuring football ...", file=sys.stderr)
    lines += bench_football.markdown(args.seed, args.steps, args.episodes)
    text = "\n".join(lines)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
