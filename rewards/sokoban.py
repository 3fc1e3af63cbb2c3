"""LMM-R1's Sokoban "global" reward: the whole move list in one answer, scored by replaying it.

``ground_truth`` is the level as XSB text (the whole room, as written by ``lmmr1 data generate sokoban`` into
``reward_model.ground_truth``). The semantics follow LMM-R1's released Sokoban verifier:

* **Format gate** - the response must contain exactly one each of ``<think>``, ``</think>``, ``<answer>`` and
  ``</answer>``, and every comma-separated item of the answer must be one of Left/Right/Up/Down (any case,
  surrounding spaces ignored). Otherwise the reward is 0 and nothing else is computed.
* **Environment** - replay the first 50 moves with gym-sokoban's rewards (-0.1 per step, +1 box onto a
  goal, -1 box off a goal, +10 all boxes placed; 120-step limit) and keep the best running total, starting
  from 0; replay stops when the episode ends or a step earns more than 3 (the level is solved).
* **Format bonus** - 0.5.
* **Action count** - with ``n`` answer items: ``0.05 * n`` if ``n < 20``, else ``1 - ((n - 20) / 30) ** 2 * 0.2``
  (so 1.0 at 20, 0.8 at 50, and negative for very long lists).
* **Thinking length** - 0.001 per word of the think part (words split on single spaces, words of one
  character not counted), capped at 0.2 (200 words).
* **Repetition** - if some k-gram (k = 1..5) of the answer's words repeats back to back more than 7 times,
  the action-count term becomes ``min(0, term - 0.2)``.

score = environment + 0.5 + action count + thinking length. Imports numpy and gymnasium (through
``lmmr1.envs``), never torch, Ray or verl.
"""

from __future__ import annotations

import re
from typing import Any

from lmmr1.envs.sokoban import SokobanGame, parse_xsb

MOVES = {"up": 0, "down": 1, "left": 2, "right": 3}
MAX_REPLAY = 50
MAX_STEPS = 120
FORMAT_BONUS = 0.5
_END_TOKENS = ("<|im_end|>", "<｜end▁of▁sentence｜>", "<|endoftext|>")
_WORD = re.compile(r"\b\w[\w']*\b")

_ZERO: dict[str, Any] = {
    "score": 0.0,
    "env_reward": 0.0,
    "format": 0.0,
    "action_bonus": 0.0,
    "thinking_bonus": 0.0,
    "num_actions": 0,
    "thinking_words": 0,
    "solved": 0.0,
}


def _clean(response: str) -> str:
    for token in _END_TOKENS:
        response = response.replace(token, "")
    return response.strip()


def answer_items(response: str) -> list[str] | None:
    """The lower-cased, stripped comma-separated items of the answer, or None if the format gate fails."""
    counts = [response.count(tag) for tag in ("<think>", "</think>", "<answer>", "</answer>")]
    if counts != [1, 1, 1, 1]:
        return None
    items = [item.strip().lower() for item in response.split("<answer>")[1].split("</answer>")[0].split(",")]
    if not all(item in MOVES for item in items):
        return None
    return items


def action_count_bonus(n: int) -> float:
    if n < 20:
        return n * 0.05
    return 20 * 0.05 - ((n - 20) / 30) ** 2 * 0.2


def thinking_words(response: str) -> int:
    think = response.split("<think>")[1].split("</think>")[0].strip()
    return sum(1 for word in think.split(" ") if len(word) > 1)


def has_run_of_repeats(text: str, max_repeats: int = 7, max_k: int = 5) -> bool:
    """True if some k-gram (k <= max_k) of the text's words occurs back to back more than ``max_repeats`` times.

    For each k, an occurrence at word index s continues a run when the same k-gram last started at s - k.
    """
    words = _WORD.findall(text.lower())
    for k in range(1, max_k + 1):
        last: dict[tuple[str, ...], tuple[int, int]] = {}
        for s in range(len(words) - k + 1):
            gram = tuple(words[s : s + k])
            prev = last.get(gram)
            run = prev[1] + 1 if prev is not None and prev[0] == s - k else 1
            last[gram] = (s, run)
            if run > max_repeats:
                return True
    return False


def replay_best_return(xsb: str, moves: list[int], max_moves: int = MAX_REPLAY) -> tuple[float, bool]:
    """Best running total of gym-sokoban rewards over the first ``max_moves`` moves (from 0), and whether solved."""
    game = SokobanGame(parse_xsb(xsb))
    total = best = 0.0
    for move in moves[:max_moves]:
        reward, _, _ = game.step(move)
        total += reward
        if total > best:
            best = total
        if game.solved or game.steps >= MAX_STEPS or reward > 3:
            break
    return best, game.solved


def sokoban_global_reward(
    data_source: str, solution_str: str, ground_truth: str, extra_info: dict | None = None, **kwargs: Any
) -> dict[str, Any]:
    """LMM-R1's global Sokoban reward for one response (see the module docstring); ``ground_truth`` = XSB."""
    response = _clean(solution_str)
    items = answer_items(response)
    if items is None:
        return dict(_ZERO)
    action_bonus = action_count_bonus(len(items))
    answer_text = response.split("<answer>")[1].split("</answer>")[0].strip()
    if has_run_of_repeats(answer_text):
        action_bonus = min(0.0, action_bonus - 0.2)
    words = thinking_words(response)
    thinking_bonus = min(words, 200) * 0.001
    env_reward, solved = replay_best_return(ground_truth, [MOVES[item] for item in items])
    score = env_reward + FORMAT_BONUS + action_bonus + thinking_bonus
    return {
        "score": float(score),
        "env_reward": float(env_reward),
        "format": 1.0,
        "action_bonus": float(action_bonus),
        "thinking_bonus": float(thinking_bonus),
        "num_actions": len(items),
        "thinking_words": words,
        "solved": float(solved),
    }


__all__ = ["sokoban_global_reward", "answer_items", "has_run_of_repeats", "replay_best_return"]
