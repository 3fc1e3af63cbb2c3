"""Turn-level credit on Sokoban: episode-level GRPO (verl's) vs GiGPO vs turn-level GAE, same seeds and budget.

Why a tabular policy and not lmmr1's tiny language models: those cannot learn to write Sokoban moves on a CPU
budget (a move word is 2-3 of their 1,024 tokens), so a comparison through them would compare noise. Here the
policy is a softmax table over the four moves for each board, one move per turn, and everything else is what a
training run uses: the episodes are played in ``lmmr1/Sokoban-v0`` (its rewards: -0.1 a move, +1 a box onto a
goal, -1 off it, +10 solved), the anchors are the env's ``anchor_key()`` (the board), and the advantages come
from the code the trainer calls: verl's ``compute_grpo_outcome_advantage`` (episode level, every turn the same
advantage), ``lmmr1.verl.turn_credit.gigpo`` and ``turn_gae`` (with a table V(board) as the critic, fitted to
the returns it gives). The policy step is the softmax policy gradient ``logits[s] += lr * A * (onehot(a) - pi(s))``
for every turn, the same learning rate for all three.

    .venv/bin/python benchmarks/turn_credit/run.py            # ~2 min on 2 cores; writes results/turn_credit.md
    .venv/bin/python benchmarks/turn_credit/run.py --quick    # 1 seed, 30 iterations
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "turn_credit.md"
ESTIMATORS = ("episode_grpo", "gigpo", "turn_gae")


def make_levels(count: int, seed: int) -> list[str]:
    """Generated 6x6 one-box levels (lmmr1's easy 'walk' generator) whose shortest solution is 3-8 moves."""
    from lmmr1.envs.sokoban import SokobanEnv
    from lmmr1.envs.sokoban.solve import solve

    levels, k = [], 0
    while len(levels) < count:
        env = SokobanEnv(dim_room=(6, 6), num_boxes=1, generator="walk", obs_mode="text")
        _, info = env.reset(seed=seed * 1000 + k)
        k += 1
        moves = solve(info["xsb"])
        if moves is not None and 3 <= len(moves) <= 8:
            levels.append(info["xsb"])
    return levels


class TablePolicy:
    """Softmax over the 4 moves per board (logits start at 0: uniform)."""

    def __init__(self) -> None:
        self.logits: dict[str, np.ndarray] = {}

    def probs(self, board: str) -> np.ndarray:
        z = self.logits.setdefault(board, np.zeros(4))
        e = np.exp(z - z.max())
        return e / e.sum()

    def update(self, board: str, action: int, advantage: float, lr: float) -> None:
        grad = -self.probs(board)
        grad[action] += 1.0
        self.logits[board] = self.logits[board] + lr * advantage * grad


def play(level: str, policy: TablePolicy, rng: np.random.Generator, max_turns: int) -> dict:
    from lmmr1.envs.anchors import anchor_key
    from lmmr1.envs.sokoban import SokobanEnv

    env = SokobanEnv(level=level, max_steps=max_turns, obs_mode="text")
    env.reset()
    boards, actions, rewards, solved = [], [], [], False
    for _ in range(max_turns):
        board = anchor_key(env)
        action = int(rng.choice(4, p=policy.probs(board)))
        _, reward, terminated, truncated, info = env.step(action)
        boards.append(board)
        actions.append(action)
        rewards.append(float(reward))
        if terminated or truncated:
            solved = bool(info["all_boxes_on_target"])
            break
    return {"boards": boards, "actions": actions, "rewards": rewards, "solved": solved}


def advantages(estimator: str, group_ids: list, episodes: list[dict], values: dict, gamma: float) -> list[list[float]]:
    """Per episode, per turn, from the trainer's own estimator code (one token per turn)."""
    from verl.trainer.ppo.core_algos import compute_grpo_outcome_advantage

    from lmmr1.verl.turn_credit import Episode, TurnSettings, gigpo, turn_gae

    width = max(len(e["rewards"]) for e in episodes)
    mask = torch.zeros((len(episodes), width))
    for i, e in enumerate(episodes):
        mask[i, : len(e["rewards"])] = 1
    turns = [
        Episode(
            group=g,
            spans=[(t, t + 1) for t in range(len(e["rewards"]))],
            rewards=e["rewards"],
            anchors=e["boards"],
        )
        for g, e in zip(group_ids, episodes)
    ]
    if estimator == "episode_grpo":
        token_rewards = torch.zeros(mask.shape)
        for i, e in enumerate(episodes):
            token_rewards[i, len(e["rewards"]) - 1] = sum(e["rewards"])
        adv, _ = compute_grpo_outcome_advantage(token_rewards, mask, index=np.array(group_ids, dtype=object))
        return [adv[i, : len(e["rewards"])].tolist() for i, e in enumerate(episodes)]
    settings = TurnSettings(turn_gamma=gamma, turn_lambda=1.0)
    if estimator == "gigpo":
        return gigpo(turns, mask, settings).turn_advantages
    v = torch.zeros(mask.shape)
    for i, e in enumerate(episodes):
        for t, board in enumerate(e["boards"]):
            v[i, t] = values.get(board, 0.0)
    result = turn_gae(turns, v, mask, 1.0, 1.0, settings)
    for i, e in enumerate(episodes):  # the critic: V(board) towards the return it was given
        for t, board in enumerate(e["boards"]):
            values[board] = values.get(board, 0.0) + 0.5 * (float(result.returns[i, t]) - values.get(board, 0.0))
    return [result.advantages[i, : len(e["rewards"])].tolist() for i, e in enumerate(episodes)]


def train(
    estimator: str, levels: list[str], seed: int, iterations: int, group: int, lr: float, max_turns: int
) -> list[dict]:
    rng = np.random.default_rng(seed)
    policy, values, curve = TablePolicy(), {}, []
    for _ in range(iterations):
        episodes, group_ids = [], []
        for j, level in enumerate(levels):
            for _ in range(group):
                episodes.append(play(level, policy, rng, max_turns))
                group_ids.append(j)
        per_turn = advantages(estimator, group_ids, episodes, values, gamma=0.95)
        for e, adv in zip(episodes, per_turn):
            for board, action, a in zip(e["boards"], e["actions"], adv):
                policy.update(board, action, a, lr)
        curve.append(
            {
                "success": float(np.mean([e["solved"] for e in episodes])),
                "return": float(np.mean([sum(e["rewards"]) for e in episodes])),
                "moves": float(np.mean([len(e["rewards"]) for e in episodes if e["solved"]] or [np.nan])),
            }
        )
    return curve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=60)
    parser.add_argument("--levels", type=int, default=6)
    parser.add_argument("--group", type=int, default=8, help="episodes per level per iteration (rollout.n)")
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--max-turns", type=int, default=12)
    parser.add_argument("--quick", action="store_true", help="1 seed, 30 iterations")
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.iterations = 1, 30
    sys.path.insert(0, str(ROOT))
    levels = make_levels(args.levels, seed=7)
    curves: dict[str, list[list[dict]]] = {name: [] for name in ESTIMATORS}
    started = time.time()
    for seed in range(args.seeds):
        for name in ESTIMATORS:
            curves[name].append(train(name, levels, seed, args.iterations, args.group, args.lr, args.max_turns))
            print(f"seed {seed} {name}: success {curves[name][-1][-1]['success']:.2f}", flush=True)
    marks = [m for m in (5, 10, 20, 40, 60, 100) if m <= args.iterations]

    def window(name: str, upto: int, key: str) -> tuple[float, float]:
        per_seed = [np.nanmean([c[k][key] for k in range(max(0, upto - 5), upto)]) for c in curves[name]]
        return float(np.mean(per_seed)), float(np.std(per_seed))

    lines = [
        "# Turn-level credit on Sokoban (benchmarks/turn_credit/run.py)",
        "",
        f"{args.levels} generated 6x6 one-box levels (3-8 moves), {args.group} episodes per level per iteration, "
        f"at most {args.max_turns} moves, one move per turn; a softmax table policy per board, lr {args.lr}; "
        f"{args.seeds} seed(s), the same seeds for every estimator; {time.time() - started:.0f} s in all.",
        "",
        "Success rate (share of episodes that solve their level), mean over the 5 iterations up to the mark, "
        "mean ± std over seeds:",
        "",
        "| estimator | " + " | ".join(f"iter {m}" for m in marks) + " | return at the end | moves when solved |",
        "|---|" + "---|" * (len(marks) + 2),
    ]
    for name in ESTIMATORS:
        cells = [f"{window(name, m, 'success')[0]:.2f} ± {window(name, m, 'success')[1]:.2f}" for m in marks]
        ret = window(name, args.iterations, "return")
        moves = window(name, args.iterations, "moves")
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {ret[0]:.2f} ± {ret[1]:.2f} | {moves[0]:.1f} |")
    lines += [
        "",
        "episode_grpo: verl's `compute_grpo_outcome_advantage` (every turn gets its episode's advantage); gigpo: "
        "`lmmr1.verl.turn_credit.gigpo` (mean-normalised, step weight 1, turn gamma 0.95; anchors: the board); "
        "turn_gae: `lmmr1.verl.turn_credit.turn_gae` (turn gamma 0.95, lambda 1, whitened) with a table critic.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
