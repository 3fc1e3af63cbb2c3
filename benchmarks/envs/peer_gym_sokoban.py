"""Measure gym-sokoban 0.0.6 (the peer LMM-R1 used). Runs inside the peer's own venv (old gym, numpy<2).

Prints one JSON object on stdout. Invoked by ``bench_envs.py``; not imported by lmmr1.
"""

import json
import os
import random
import sys
import time
import warnings

warnings.filterwarnings("ignore")
import numpy as np  # noqa: E402
from gym_sokoban.envs.room_utils import generate_room  # noqa: E402
from gym_sokoban.envs.sokoban_env import SokobanEnv  # noqa: E402


def main():
    cfg = json.loads(sys.argv[1])
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    random.seed(cfg["seed"])
    np.random.seed(cfg["seed"])
    results = {}
    for dim, boxes, n in cfg["gen_cases"]:
        env = SokobanEnv(dim_room=tuple(dim), num_boxes=boxes, max_steps=10**9, reset=False)
        levels = []
        devnull = open(os.devnull, "w")
        stdout, sys.stdout = sys.stdout, devnull  # gym-sokoban prints its retries
        try:
            rounds = cfg["rounds"] if (dim[0], dim[1], boxes) == (7, 7, 2) else 1
            reset_s = gen_s = float("inf")
            for _ in range(rounds):  # best of a few rounds: the machine may be shared
                start = time.perf_counter()
                for _ in range(n):
                    env.reset()  # generation + first frame, as a user of the env pays it
                    if len(levels) < cfg["keep_levels"]:
                        levels.append(env.room_state.tolist())
                reset_s = min(reset_s, (time.perf_counter() - start) / n)
                start = time.perf_counter()
                for _ in range(n):
                    while True:
                        try:
                            generate_room(dim=tuple(dim), num_steps=int(1.7 * (dim[0] + dim[1])), num_boxes=boxes)
                            break
                        except (RuntimeError, RuntimeWarning):
                            continue
                gen_s = min(gen_s, (time.perf_counter() - start) / n)
            while len(levels) < cfg["keep_levels"]:  # difficulty is measured on keep_levels levels of each set
                env.reset()
                levels.append(env.room_state.tolist())
        finally:
            sys.stdout = stdout
        results[f"{dim[0]}x{dim[1]}-{boxes}"] = {
            "reset_s": reset_s,
            "generate_s": gen_s,
            "levels": levels,
        }
    env = SokobanEnv(dim_room=(7, 7), num_boxes=2, max_steps=10**9)
    rng = np.random.default_rng(cfg["seed"])
    actions = rng.integers(1, 5, cfg["steps"]).tolist()  # push up/down/left/right
    step_s = float("inf")
    for _ in range(cfg["rounds"]):
        start = time.perf_counter()
        for a in actions:
            obs = env.step(a)[0]
        step_s = min(step_s, (time.perf_counter() - start) / len(actions))
    results["step_render_s"] = step_s
    results["frame_shape"] = list(obs.shape)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
