"""Football part of the environment benchmark (``bench_envs.py`` calls it): lmmr1's engine and Google Research
Football (GRF) behind the same ``lmmr1/Football-v0``, side by side in one run.

* speed: steps per second with the frame a model sees, one core, both engines on the same scenarios (GRF's
  academy scenario and a full 11 vs 11 game); GRF's own 3D render too when a display is available
  (run the benchmark under ``xvfb-run -a``);
* reward agreement: the same scripted attacker plays the same seeded scenarios on both engines with
  MageBench's reward (the same code on both: differences come from the games, not the reward).

GRF runs only where it is installed (``scripts/install_gfootball.sh``); elsewhere its rows say so.
"""

from __future__ import annotations

import importlib.util
import os
import time
from statistics import mean, pstdev

AGREEMENT_SCENARIOS = ("academy_empty_goal_close", "academy_run_to_score_with_keeper", "academy_3_vs_1_with_keeper")
# per engine: a small academy scenario and a full game (GRF's 11_vs_11_stochastic is lmmr1's 11_vs_11)
SPEED_SCENARIOS = {
    "lmmr1": ("academy_3_vs_1_with_keeper", "11_vs_11"),
    "gfootball": ("academy_3_vs_1_with_keeper", "11_vs_11_stochastic"),
}
TERMS = ("progress", "opponents_passed", "goal", "steal", "pass", "shot")


def grf_installed() -> bool:
    return importlib.util.find_spec("gfootball_engine") is not None


def engines() -> list[str]:
    return ["lmmr1", "gfootball"] if grf_installed() else ["lmmr1"]


def speed(seed: int, steps: int) -> list[dict]:
    """Steps/s of ``env.step`` with the frame rendered into the observation, per engine and scenario."""
    from lmmr1.envs.football import FootballEnv, scripted_attacker

    rows = []
    for engine in engines():
        for scenario in SPEED_SCENARIOS[engine]:
            env = FootballEnv(
                scenario=scenario, render_mode="rgb_array", max_steps=10**6, engine=engine, reward="magebench"
            )
            obs, _ = env.reset(seed=seed)
            start = time.perf_counter()
            for _ in range(steps):
                obs, _, terminated, truncated, _ = env.step(scripted_attacker(obs))
                if terminated or truncated:
                    obs, _ = env.reset()
            rate = steps / (time.perf_counter() - start)
            rows.append({"engine": engine, "scenario": scenario, "steps_per_s": rate, "frame": obs["frame"].shape})
            env.close()
    return rows


def grf_native_render(steps: int = 30) -> dict | None:
    """GRF's own 3D frame (OpenGL, 1280x720) per step on a full game; None without GRF or a display."""
    if not grf_installed() or not os.environ.get("DISPLAY"):
        return None
    from lmmr1.envs.football.gfootball_engine import _import_grf

    _import_grf()
    from gfootball.env import config, football_env

    env = football_env.FootballEnv(
        config.Config(
            {
                "level": "11_vs_11_stochastic",
                "render": True,
                "action_set": "v2",
                "players": ["agent:left_players=1"],
                "game_engine_random_seed": 0,
            }
        )
    )
    env.reset()
    env.render(mode="rgb_array")  # GRF: the first render sets the camera up
    start = time.perf_counter()
    for _ in range(steps):
        env.step([0])
        frame = env.render(mode="rgb_array")
    rate = steps / (time.perf_counter() - start)
    env.close()
    return {"steps_per_s": rate, "frame": frame.shape}


def agreement(seed: int, episodes: int) -> list[dict]:
    """Per scenario and engine: MageBench return (mean, sd), goal share, steps and mean per-term totals of
    ``episodes`` seeded episodes of the scripted attacker (400 steps at most, MageBench's length)."""
    from lmmr1.envs.football import FootballEnv, scripted_attacker

    rows = []
    for scenario in AGREEMENT_SCENARIOS:
        for engine in engines():
            env = FootballEnv(scenario=scenario, engine=engine, reward="magebench")
            returns, goals, lengths, terms = [], [], [], {t: [] for t in TERMS}
            for episode in range(episodes):
                obs, _ = env.reset(seed=seed + episode)
                total, steps, sums = 0.0, 0, dict.fromkeys(TERMS, 0.0)
                while True:
                    obs, reward, terminated, truncated, info = env.step(scripted_attacker(obs))
                    total += reward
                    steps += 1
                    for k, v in info["reward_terms"].items():
                        sums[k] += v
                    if terminated or truncated:
                        break
                returns.append(total)
                goals.append(int(obs["score"][0]) > 0)
                lengths.append(steps)
                for k in TERMS:
                    terms[k].append(sums[k])
            env.close()
            rows.append(
                {
                    "scenario": scenario,
                    "engine": engine,
                    "return_mean": mean(returns),
                    "return_sd": pstdev(returns),
                    "goal_share": mean(goals),
                    "steps_mean": mean(lengths),
                    "terms": {k: mean(v) for k, v in terms.items()},
                }
            )
    return rows


def markdown(seed: int, steps: int, episodes: int) -> list[str]:
    """The football section of benchmarks/results/envs.md."""
    version = None
    if grf_installed():
        import importlib.metadata

        version = importlib.metadata.version("gfootball")
    names = {"lmmr1": "lmmr1 (2D)", "gfootball": f"GRF {version}" if version else "GRF"}
    lines = [
        "## Football: lmmr1/Football-v0 on lmmr1's engine and on Google Research Football",
        "",
        f"Engines measured: {', '.join(names[e] for e in engines())}"
        + ("" if version else " (GRF is not installed on this machine: `scripts/install_gfootball.sh`)")
        + f". The frame is lmmr1's 2D picture (336x168) on both engines. {steps} steps of the scripted attacker "
        "per row, one core.",
        "",
        "| engine | scenario | steps/s with the frame | frame |",
        "|---|---|---:|---|",
    ]
    for row in speed(seed, steps):
        lines.append(
            f"| {names[row['engine']]} | {row['scenario']} | {row['steps_per_s']:.0f} | "
            f"{row['frame'][1]}x{row['frame'][0]} RGB |"
        )
    native = grf_native_render()
    if native:
        lines.append(
            f"| {names['gfootball']}, its own 3D render (software GL under Xvfb) | 11_vs_11_stochastic | "
            f"{native['steps_per_s']:.1f} | {native['frame'][1]}x{native['frame'][0]} RGB |"
        )
    elif version:
        lines.append(f"| {names['gfootball']}, its own 3D render | 11_vs_11_stochastic | not measured (no display) | |")
    lines += [
        "",
        f"Reward agreement: {episodes} seeded episodes (seeds {seed}..{seed + episodes - 1}) of the same scripted "
        "attacker (`lmmr1.envs.football.scripted_attacker`: run at goal, shoot inside x > 0.72) per scenario, "
        "MageBench's reward (x20 scale) computed by the same code on both engines, so the differences are the "
        "games' (GRF's physics, AI and kick animations against lmmr1's simple game). Academy scenarios start "
        "from GRF's positions on both engines.",
        "",
        "| scenario | engine | return, mean (sd) | goal share | steps | progress | opponents passed | goal | steal | shot |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in agreement(seed, episodes):
        t = row["terms"]
        lines.append(
            f"| {row['scenario']} | {names[row['engine']]} | {row['return_mean']:.1f} ({row['return_sd']:.1f}) | "
            f"{row['goal_share']:.0%} | {row['steps_mean']:.0f} | {t['progress']:.1f} | {t['opponents_passed']:.1f} | "
            f"{t['goal']:.1f} | {t['steal']:.1f} | {t['shot']:.1f} |"
        )
    if version:
        lines += [
            "",
            "Exact agreement, where it is expected: `tests/envs/test_football_gfootball.py` checks that lmmr1's "
            "adapter reports the observation of GRF's own environment class at every step (same seed and actions; "
            "also for a MageBench scenario file that lmmr1 reads as data and GRF executes), and recomputes the "
            "MageBench reward of a GRF episode by hand.",
        ]
    return lines + [""]
