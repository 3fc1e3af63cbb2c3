"""Generated training sets: Sokoban level sets and football game sets (library code).

Used by ``lmmr1 data generate sokoban`` / ``lmmr1 data generate football`` and by the bundled smoke samples
(:mod:`lmmr1.samples`). Level ``i`` depends only on (``seed``, ``i``) and the room settings, so a larger
``n`` extends a set without changing its first levels. Imports no torch, Ray or verl.

Layout written into ``out``: ``levels.jsonl`` (Sokoban: ``id``, ``seed``, ``xsb``, ``dim``, ``boxes`` and,
when solved, ``optimal_moves``), ``frames/<id>.png`` (the first frame as the model sees it) and
``train.parquet`` (verl's RL layout, written atomically by :mod:`lmmr1.data.writer`).
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from lmmr1.data.writer import atomic_path, write_table_atomic
from lmmr1.prompts import SOKOBAN_AGENT_NAMES, football_prompt, sokoban_prompt


def _png_bytes(image) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def level_seed(base_seed: int, index: int, attempt: int = 0) -> int:
    """The seed of level ``index`` (a 63-bit int, usable as ``env.reset(seed=...)``)."""
    import numpy as np

    return int(np.random.SeedSequence([base_seed, index, attempt]).generate_state(2, np.uint64)[0] >> np.uint64(1))


def sokoban_levels(
    n: int,
    dim: tuple[int, int],
    boxes: int,
    seed: int,
    task: str = "global",
    tile_size: int = 16,
    max_steps: int = 120,
    solve: bool = False,
    min_moves: int = 0,
    unique: bool = True,
    progress: bool = True,
    stats: dict[str, int] | None = None,
    generator: str = "dfs",
) -> Iterator[tuple[dict[str, Any], bytes, dict[str, Any]]]:
    """Yield ``(level record, first-frame PNG, verl row)`` for levels ``0..n-1`` (nothing is written).

    ``stats`` (if given) counts ``duplicates_skipped`` and ``too_easy_skipped`` redraws.
    """
    import numpy as np
    from tqdm import tqdm

    from lmmr1.envs.sokoban import SokobanEnv, generate_level
    from lmmr1.envs.sokoban import solve as solve_level

    if task not in SOKOBAN_AGENT_NAMES:
        raise ValueError(f"task must be one of {', '.join(SOKOBAN_AGENT_NAMES)}, got {task!r}")
    stats = stats if stats is not None else {}
    stats.setdefault("duplicates_skipped", 0)
    stats.setdefault("too_easy_skipped", 0)
    env = SokobanEnv(dim_room=dim, num_boxes=boxes, max_steps=max_steps, tile_size=tile_size)
    prompt = sokoban_prompt(task)
    seen: set[str] = set()
    for i in tqdm(range(n), desc="sokoban levels", unit="level", file=sys.stderr, disable=not progress):
        for attempt in range(1000):
            s = level_seed(seed, i, attempt)
            xsb = generate_level(np.random.default_rng(s), dim, boxes, generator=generator)
            if unique and xsb in seen:
                stats["duplicates_skipped"] += 1
                continue
            moves = solve_level(xsb) if (solve or min_moves) else None
            if min_moves and (moves is None or len(moves) < min_moves):
                stats["too_easy_skipped"] += 1
                continue
            break
        else:
            raise RuntimeError(
                f"no acceptable level for index {i} in 1000 draws: lower --min-moves or enlarge the room"
            )
        seen.add(xsb)
        level_id = f"sokoban-{dim[0]}x{dim[1]}-b{boxes}-s{seed}-{i:06d}"
        record: dict[str, Any] = {"id": level_id, "seed": s, "xsb": xsb, "dim": list(dim), "boxes": boxes}
        if solve or min_moves:
            record["optimal_moves"] = None if moves is None else len(moves)
        frame, _ = env.reset(options={"level": xsb})
        png = _png_bytes(frame)
        row = {
            "data_source": "sokoban",
            "prompt": prompt,
            "images": [{"bytes": png}],
            "reward_model": {"style": "rule", "ground_truth": xsb},
            "extra_info": {"index": i, "id": level_id, "seed": s, "xsb": xsb},
            "agent_name": SOKOBAN_AGENT_NAMES[task],
        }
        yield record, png, row


def generate_level_set(
    n: int, dim: tuple[int, int], boxes: int, seed: int, out: Path, **options: Any
) -> dict[str, Any]:
    """Write the level set into ``out`` (see the module docstring); returns a summary dict.

    ``options`` are :func:`sokoban_levels`'s keyword arguments (task, tile_size, max_steps, solve, ...).
    """
    out.mkdir(parents=True, exist_ok=True)
    frames = out / "frames"
    frames.mkdir(exist_ok=True)
    stats: dict[str, int] = {}
    rows = []
    start = time.perf_counter()
    with atomic_path(str(out / "levels.jsonl")) as tmp, open(tmp, "w", encoding="utf-8") as levels_file:
        for record, png, row in sokoban_levels(n, dim, boxes, seed, stats=stats, **options):
            levels_file.write(json.dumps(record) + "\n")
            (frames / f"{record['id']}.png").write_bytes(png)
            rows.append(row)
    write_table_atomic(pa.Table.from_pylist(rows), str(out / "train.parquet"))
    return {"levels": n, **stats, "seconds": time.perf_counter() - start, "out": str(out)}


def football_rows(
    n: int, scenario: str, seed: int, frames: Path | None = None, progress: bool = True
) -> list[dict[str, Any]]:
    """verl rows for the ``football_online`` agent loop, one per game (first frame as the prompt image).

    Each row's game is ``extra_info`` = ``{"index", "id", "scenario", "seed"}``; the loop rebuilds it from
    there and returns the shaped reward itself (``reward_model.ground_truth`` is empty and unused). With
    ``frames``, each first frame is also written there as PNG.
    """
    from tqdm import tqdm

    from lmmr1.envs.football import ACTION_NAMES, FootballEnv

    env = FootballEnv(scenario=scenario)
    prompt = football_prompt(ACTION_NAMES)
    rows = []
    for i in tqdm(range(n), desc="football games", unit="game", file=sys.stderr, disable=not progress):
        s = level_seed(seed, i)
        obs, _ = env.reset(seed=s)
        png = _png_bytes(obs["frame"])
        game_id = f"football-{scenario}-s{seed}-{i:06d}"
        if frames is not None:
            (frames / f"{game_id}.png").write_bytes(png)
        rows.append(
            {
                "data_source": "football",
                "prompt": prompt,
                "images": [{"bytes": png}],
                "reward_model": {"style": "rule", "ground_truth": ""},
                "extra_info": {"index": i, "id": game_id, "scenario": scenario, "seed": s},
                "agent_name": "football_online",
            }
        )
    return rows


def generate_football_set(n: int, scenario: str, seed: int, out: Path, progress: bool = True) -> dict[str, Any]:
    """``train.parquet`` of :func:`football_rows` and the first frames (``frames/``) under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "frames").mkdir(exist_ok=True)
    start = time.perf_counter()
    rows = football_rows(n, scenario, seed, out / "frames", progress)
    write_table_atomic(pa.Table.from_pylist(rows), str(out / "train.parquet"))
    return {"games": n, "seconds": time.perf_counter() - start, "out": str(out)}
