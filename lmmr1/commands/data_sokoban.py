"""``lmmr1 data sokoban``: a reproducible Sokoban level set with first frames and verl-ready prompts.

    lmmr1 data sokoban --n 5000 --dim 7 --boxes 2 --seed 0 --out DIR

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

:func:`register_football` adds ``lmmr1 data football --n N --scenario S --seed K --out DIR``: rows (first frame,
prompt, ``extra_info`` = scenario + seed) for the ``football_online`` agent loop.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path
from typing import Any

SOKOBAN_GLOBAL_INSTRUCTION = (
    "<image>\nThis is a game of Sokoban. You are the green character; the wooden crates are boxes, the red rings "
    "are goals, and the brick cells are walls. A box on a goal turns green. You can move Up, Down, Left or Right; "
    "walking into a box pushes it one cell if the cell behind it is free. You cannot pull boxes or push two at "
    "once. Push every box onto a goal.\nPlan the whole game from this picture and give all your moves at once: "
    "the answer is the sequence of moves separated by commas, e.g. <answer>Left, Up, Up, Right</answer>."
)

SOKOBAN_ONLINE_INSTRUCTION = (
    "<image>\nThis is a game of Sokoban. You are the green character; the wooden crates are boxes, the red rings "
    "are goals, and the brick cells are walls. A box on a goal turns green. You can move Up, Down, Left or Right; "
    "walking into a box pushes it one cell if the cell behind it is free. Push every box onto a goal.\nWe play "
    "turn by turn: answer with your next moves separated by commas (at most {max_moves}), e.g. "
    "<answer>Left, Up</answer>; you will then see the new state."
)

AGENT_NAMES = {"global": "single_turn_agent", "online": "sokoban_online"}


def level_seed(base_seed: int, index: int, attempt: int = 0) -> int:
    """The seed of level ``index`` (a 63-bit int, usable as ``env.reset(seed=...)``)."""
    import numpy as np

    return int(np.random.SeedSequence([base_seed, index, attempt]).generate_state(2, np.uint64)[0] >> np.uint64(1))


def _png_bytes(image) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def build_prompt(task: str, max_moves: int = 5) -> list[dict[str, str]]:
    from lmmr1.prompts import SYSTEM_PROMPT

    user = SOKOBAN_GLOBAL_INSTRUCTION if task == "global" else SOKOBAN_ONLINE_INSTRUCTION.format(max_moves=max_moves)
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def generate_level_set(
    n: int,
    dim: tuple[int, int],
    boxes: int,
    seed: int,
    out: Path,
    task: str = "global",
    tile_size: int = 16,
    max_steps: int = 120,
    solve: bool = False,
    min_moves: int = 0,
    unique: bool = True,
    progress: bool = True,
) -> dict[str, Any]:
    """Write the level set (see the module docstring); returns a summary dict."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    from tqdm import tqdm

    from lmmr1.envs.sokoban import SokobanEnv, generate_level, solve as solve_level

    if task not in AGENT_NAMES:
        raise ValueError(f"--task must be one of {', '.join(AGENT_NAMES)}, got {task!r}")
    out.mkdir(parents=True, exist_ok=True)
    frames = out / "frames"
    frames.mkdir(exist_ok=True)
    env = SokobanEnv(dim_room=dim, num_boxes=boxes, max_steps=max_steps, tile_size=tile_size)
    prompt = build_prompt(task)
    seen: set[str] = set()
    rows, skipped, too_easy = [], 0, 0
    start = time.perf_counter()
    with open(out / "levels.jsonl", "w", encoding="utf-8") as levels_file:
        for i in tqdm(range(n), desc="sokoban levels", unit="level", file=sys.stderr, disable=not progress):
            for attempt in range(1000):
                s = level_seed(seed, i, attempt)
                xsb = generate_level(np.random.default_rng(s), dim, boxes)
                if unique and xsb in seen:
                    skipped += 1
                    continue
                moves = solve_level(xsb) if (solve or min_moves) else None
                if min_moves and (moves is None or len(moves) < min_moves):
                    too_easy += 1
                    continue
                break
            else:
                raise RuntimeError(f"no acceptable level for index {i} in 1000 draws: lower --min-moves or enlarge the room")
            seen.add(xsb)
            level_id = f"sokoban-{dim[0]}x{dim[1]}-b{boxes}-s{seed}-{i:06d}"
            record: dict[str, Any] = {"id": level_id, "seed": s, "xsb": xsb, "dim": list(dim), "boxes": boxes}
            if solve or min_moves:
                record["optimal_moves"] = None if moves is None else len(moves)
            levels_file.write(json.dumps(record) + "\n")
            frame, _ = env.reset(options={"level": xsb})
            png = _png_bytes(frame)
            (frames / f"{level_id}.png").write_bytes(png)
            rows.append({
                "data_source": "sokoban",
                "prompt": prompt,
                "images": [{"bytes": png}],
                "reward_model": {"style": "rule", "ground_truth": xsb},
                "extra_info": {"index": i, "id": level_id, "seed": s, "xsb": xsb},
                "agent_name": AGENT_NAMES[task],
            })
    pq.write_table(pa.Table.from_pylist(rows), out / "train.parquet")
    return {"levels": n, "duplicates_skipped": skipped, "too_easy_skipped": too_easy,
            "seconds": time.perf_counter() - start, "out": str(out)}


FOOTBALL_INSTRUCTION = (
    "<image>\nYou play football (soccer) for the yellow team, attacking the goal on the right. You control the "
    "yellow player with the white ring. Each turn, answer with one action: {actions}. Directions and sprint "
    "or dribble keep acting until released; builtin_ai lets the computer play your player for a moment. "
    "Example: <answer>right</answer>."
)


def generate_football_set(n: int, scenario: str, seed: int, out: Path, progress: bool = True) -> dict[str, Any]:
    """verl rows for the ``football_online`` agent loop: ``train.parquet`` + first frames (``frames/``).

    Each row's game is ``extra_info`` = ``{"index", "scenario", "seed"}``; the loop rebuilds it from there and
    returns the shaped reward itself (``reward_model.ground_truth`` is empty and unused).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq
    from tqdm import tqdm

    from lmmr1.envs.football import ACTION_NAMES, FootballEnv
    from lmmr1.prompts import SYSTEM_PROMPT

    out.mkdir(parents=True, exist_ok=True)
    (out / "frames").mkdir(exist_ok=True)
    env = FootballEnv(scenario=scenario)
    prompt = [{"role": "system", "content": SYSTEM_PROMPT},
              {"role": "user", "content": FOOTBALL_INSTRUCTION.format(actions=", ".join(ACTION_NAMES))}]
    rows = []
    start = time.perf_counter()
    for i in tqdm(range(n), desc="football games", unit="game", file=sys.stderr, disable=not progress):
        s = level_seed(seed, i)
        obs, _ = env.reset(seed=s)
        png = _png_bytes(obs["frame"])
        game_id = f"football-{scenario}-s{seed}-{i:06d}"
        (out / "frames" / f"{game_id}.png").write_bytes(png)
        rows.append({
            "data_source": "football",
            "prompt": prompt,
            "images": [{"bytes": png}],
            "reward_model": {"style": "rule", "ground_truth": ""},
            "extra_info": {"index": i, "id": game_id, "scenario": scenario, "seed": s},
            "agent_name": "football_online",
        })
    pq.write_table(pa.Table.from_pylist(rows), out / "train.parquet")
    return {"games": n, "seconds": time.perf_counter() - start, "out": str(out)}


def _run_football(args: argparse.Namespace) -> int:
    summary = generate_football_set(args.n, args.scenario, args.seed, Path(args.out).resolve(), progress=not args.quiet)
    print(f"wrote {summary['games']} {args.scenario} games (seed {args.seed}) to {summary['out']} "
          f"in {summary['seconds']:.1f}s", file=sys.stderr)
    return 0


def register_football(data_subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``football`` to ``lmmr1 data``: prompts for the ``football_online`` agent loop."""
    from lmmr1.envs.football import SCENARIOS

    parser = data_subparsers.add_parser("football", help="prompts for the online football agent loop")
    parser.add_argument("--n", type=int, default=1000, help="number of games (default 1000)")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="academy_3_vs_1_with_keeper")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=_run_football, data_func=_run_football)
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
    summary = generate_level_set(
        n=args.n, dim=args.dim, boxes=args.boxes, seed=args.seed, out=Path(args.out).resolve(), task=args.task,
        tile_size=args.tile_size, max_steps=args.max_steps, solve=args.solve, min_moves=args.min_moves,
        progress=not args.quiet,
    )
    print(
        f"wrote {summary['levels']} levels ({args.dim[0]}x{args.dim[1]}, {args.boxes} boxes, seed {args.seed}, "
        f"task {args.task}) to {summary['out']} in {summary['seconds']:.1f}s "
        f"({summary['duplicates_skipped']} duplicates and {summary['too_easy_skipped']} too-easy levels redrawn)",
        file=sys.stderr,
    )
    return 0


def register_sokoban(data_subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``sokoban`` to the sub-commands of ``lmmr1 data``; the handler is ``args.func``."""
    parser = data_subparsers.add_parser(
        "sokoban",
        help="generate a Sokoban level set (levels, first frames, verl prompts)",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("--n", type=int, default=5000, help="number of levels (default 5000, as LMM-R1)")
    parser.add_argument("--dim", type=_dim, default=(7, 7), help="room size: N or HxW (default 7)")
    parser.add_argument("--boxes", type=int, default=2, help="boxes per level (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="base seed; level i depends on (seed, i) only")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--task", choices=sorted(AGENT_NAMES), default="global",
                        help="global: one image in, all moves out (LMM-R1); online: multi-turn agent loop")
    parser.add_argument("--tile-size", type=int, default=16, help="pixels per cell of the frames (default 16)")
    parser.add_argument("--max-steps", type=int, default=120, help="episode step limit (default 120)")
    parser.add_argument("--solve", action="store_true", help="also record each level's optimal move count (slower)")
    parser.add_argument("--min-moves", type=int, default=0,
                        help="redraw levels whose shortest solution has fewer moves (implies --solve; default 0: off)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=_run, data_func=_run)  # data_func: what `lmmr1 data` dispatches on
    return parser


__all__ = ["register_sokoban", "register_football", "generate_level_set", "generate_football_set", "build_prompt",
           "level_seed"]
