"""Turn-level credit for multi-turn agent stages: GiGPO and turn-level GAE (``algorithm=gigpo|turn_gae``).

Why: an episode-level estimator gives every token of an episode the same advantage, so the move that solved a
Sokoban level and the move that pushed a box into a corner are credited alike. Both estimators here give each
*turn* of an episode its own advantage, from the per-turn rewards and observations lmmr1's agent loops record
(``extra_fields``: ``turn_spans``, ``turn_scores``, ``turn_anchors``). lmmr1 keeps one training row per episode
(the turns' tokens with ``response_mask`` 1, the environment's with 0) and writes each turn's advantage on its
own tokens: the same tokens and advantages as GiGPO's one row per turn, without re-encoding the history.

* **GiGPO** (arXiv 2505.10978): the episode advantage ``A^E`` is the episode return normalised within the
  episodes of the same prompt (mean, optionally also std: ``std_normalize``); turns whose observation before
  the move is identical (the *anchor*: Sokoban's board, a football grid cell) across those episodes form a step
  group, and the discounted return from the turn on (``turn_gamma``) normalised within its step group is
  ``A^S`` (0 for a turn alone in its group or without an anchor). Each turn's tokens get
  ``A^E + step_weight * A^S``. With every step group a singleton this is exactly the episode-level GRPO
  advantage (``std_normalize`` picks GRPO or Dr.GRPO's form).
* **Turn-level GAE** (VAGEN's turn-aware GAE, with a critic): verl's GAE over the episode's model tokens, with
  each turn's reward at the turn's last token and the discount between turns ``turn_gamma``/``turn_lambda``
  instead of the per-token ``gamma``/``lam`` (which stay inside a turn). A one-turn episode gets exactly verl's
  GAE; like verl's, the advantages are whitened over the batch.

This module holds the arithmetic (torch/numpy, verl's masked_whiten): :mod:`lmmr1.verl.turn_credit_hook` feeds
it from verl's trainer.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
import torch
from verl.utils.torch_functional import masked_whiten

EPSILON = 1e-6  # as verl's GRPO


@dataclass(frozen=True)
class TurnSettings:
    """The estimators' settings (``algorithm.step_weight|turn_gamma|turn_lambda|std_normalize``)."""

    turn_gamma: float = 0.95  # discount between turns (GiGPO's step return; turn-level GAE's turn discount)
    turn_lambda: float = 1.0  # turn-level GAE's lambda between turns
    step_weight: float = 1.0  # GiGPO's w in A^E + w * A^S
    std_normalize: bool = False  # GiGPO: divide by the group's std too (GiGPO's default: mean only)

    @classmethod
    def from_mapping(cls, values: Optional[Mapping[str, Any]]) -> TurnSettings:
        values = dict(values or {})
        return cls(
            **{k: values[k] for k in ("turn_gamma", "turn_lambda", "step_weight", "std_normalize") if k in values}
        )


@dataclass
class Episode:
    """One training row seen as turns: token spans ``[start, end)`` in response positions, rewards, anchors."""

    group: Hashable  # the prompt's uid: the episodes started from the same state
    spans: list[tuple[int, int]]
    rewards: list[float]
    anchors: list[Optional[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.spans) != len(self.rewards):
            raise ValueError(f"{len(self.spans)} turn spans but {len(self.rewards)} turn rewards")
        if not self.anchors:
            self.anchors = [None] * len(self.spans)
        if len(self.anchors) != len(self.spans):
            raise ValueError(f"{len(self.spans)} turn spans but {len(self.anchors)} anchors")

    @property
    def total(self) -> float:
        return float(sum(self.rewards))


def _plain(value: Any) -> Any:
    inner = getattr(value, "data", value)  # tensordict NonTensorData
    if isinstance(inner, np.ndarray) and inner.ndim == 0:
        inner = inner.item()
    return inner


def episodes_from_rows(
    groups: Sequence[Hashable],
    extra_fields: Sequence[Any],
    token_level_rewards: torch.Tensor,
    token_level_scores: torch.Tensor,
    response_mask: torch.Tensor,
    fold_token_rewards: bool = True,
) -> list[Episode]:
    """The batch's rows as :class:`Episode` s.

    A row from lmmr1's agent loops carries ``turn_spans``/``turn_scores``/``turn_anchors``; any other row (a
    single-turn prompt in a mixed batch) is one turn over its whole response. A score the turns do not account
    for goes to the last turn. With ``fold_token_rewards``, reward that is not the environment's (a KL penalty
    in the reward: ``token_level_rewards - token_level_scores`` per token) goes to the turn holding its token,
    so every row's turn rewards add up to its ``token_level_rewards`` (GiGPO); turn-level GAE keeps them per
    token instead.
    """
    lengths = response_mask.sum(-1)
    extra_reward = (token_level_rewards - token_level_scores).float()
    episodes = []
    for i, group in enumerate(groups):
        fields = _plain(extra_fields[i]) if extra_fields is not None else None
        fields = fields if isinstance(fields, Mapping) else {}
        valid = int(response_mask[i].nonzero().max().item()) + 1 if int(lengths[i]) > 0 else 0
        spans_in = fields.get("turn_spans")
        if spans_in is not None and len(spans_in) > 0:
            width = token_level_rewards.shape[-1]
            spans = [(min(int(s), width), min(int(e), width)) for s, e in spans_in]
            rewards = [float(r) for r in fields.get("turn_scores", [])]
            anchors = list(fields.get("turn_anchors") or [None] * len(spans))
            anchors = [None if a is None else str(a) for a in anchors]
        else:
            spans, rewards, anchors = [(0, valid)], [float(token_level_scores[i].sum())], [None]
        residual = float(token_level_scores[i].sum()) - sum(rewards)
        rewards[-1] += residual
        for t, (s, e) in enumerate(spans):
            if fold_token_rewards and e > s:
                rewards[t] += float(extra_reward[i, s:e].sum())
        episodes.append(Episode(group=_plain(group), spans=spans, rewards=rewards, anchors=anchors))
    return episodes


def discounted_returns(rewards: Sequence[float], gamma: float) -> list[float]:
    """``R_t = sum_k gamma^k r_{t+k}`` for every turn t."""
    out, running = [0.0] * len(rewards), 0.0
    for t in reversed(range(len(rewards))):
        running = float(rewards[t]) + gamma * running
        out[t] = running
    return out


def _normalise(values: list[float], std_normalize: bool) -> tuple[float, float]:
    """(mean, scale) of a group as verl's GRPO takes them: a singleton has mean 0 and scale 1."""
    if len(values) == 1:
        return 0.0, 1.0
    tensor = torch.tensor(values, dtype=torch.float32)
    mean = float(tensor.mean())
    scale = float(tensor.std()) + EPSILON if std_normalize else 1.0  # torch.std: unbiased, as verl's GRPO
    return mean, scale


@dataclass
class TurnAdvantages:
    """Per-turn results (for metrics and the episode log) next to the token tensors verl needs."""

    advantages: torch.Tensor  # (batch, response_length)
    returns: torch.Tensor
    turn_advantages: list[list[float]]  # per episode, per turn (before any whitening)
    episode_advantages: list[float] = field(default_factory=list)  # GiGPO's A^E
    step_advantages: list[list[float]] = field(default_factory=list)  # GiGPO's A^S
    step_returns: list[list[float]] = field(default_factory=list)
    step_group_sizes: list[list[int]] = field(default_factory=list)  # per turn: its step group's size


def _broadcast(
    episodes: Sequence[Episode], per_turn: Sequence[Sequence[float]], response_mask: torch.Tensor
) -> torch.Tensor:
    out = torch.zeros(response_mask.shape, dtype=torch.float32)
    for i, (episode, values) in enumerate(zip(episodes, per_turn)):
        for (s, e), value in zip(episode.spans, values):
            if e > s:
                out[i, s:e] = value
    return out * response_mask.to(out.dtype)


def gigpo(episodes: Sequence[Episode], response_mask: torch.Tensor, settings: TurnSettings) -> TurnAdvantages:
    """GiGPO's advantages (see the module docstring); ``returns`` equal the advantages, as verl's GRPO."""
    by_group: dict[Hashable, list[int]] = defaultdict(list)
    for i, episode in enumerate(episodes):
        by_group[episode.group].append(i)
    episode_adv = [0.0] * len(episodes)
    for members in by_group.values():
        mean, scale = _normalise([episodes[i].total for i in members], settings.std_normalize)
        for i in members:
            episode_adv[i] = (episodes[i].total - mean) / scale

    step_returns = [discounted_returns(e.rewards, settings.turn_gamma) for e in episodes]
    by_anchor: dict[tuple[Hashable, str], list[tuple[int, int]]] = defaultdict(list)
    for i, episode in enumerate(episodes):
        for t, anchor in enumerate(episode.anchors):
            if anchor is not None:
                by_anchor[(episode.group, anchor)].append((i, t))
    step_adv = [[0.0] * len(e.spans) for e in episodes]
    sizes = [[1] * len(e.spans) for e in episodes]
    for members in by_anchor.values():
        for i, t in members:
            sizes[i][t] = len(members)
        if len(members) < 2:
            continue
        mean, scale = _normalise([step_returns[i][t] for i, t in members], settings.std_normalize)
        for i, t in members:
            step_adv[i][t] = (step_returns[i][t] - mean) / scale

    per_turn = [[episode_adv[i] + settings.step_weight * a for a in step_adv[i]] for i in range(len(episodes))]
    advantages = _broadcast(episodes, per_turn, response_mask)
    return TurnAdvantages(
        advantages=advantages,
        returns=advantages.clone(),
        turn_advantages=per_turn,
        episode_advantages=episode_adv,
        step_advantages=step_adv,
        step_returns=step_returns,
        step_group_sizes=sizes,
    )


def turn_gae(
    episodes: Sequence[Episode],
    values: torch.Tensor,
    response_mask: torch.Tensor,
    gamma: float,
    lam: float,
    settings: TurnSettings,
    extra_token_rewards: Optional[torch.Tensor] = None,
) -> TurnAdvantages:
    """Turn-level GAE (see the module docstring). ``values``: the critic's, per response token.

    ``extra_token_rewards`` are per-token rewards that are not a turn's (a KL penalty in the reward:
    ``token_level_rewards - token_level_scores``), with episodes from ``episodes_from_rows(...,
    fold_token_rewards=False)``.
    """
    batch, width = response_mask.shape
    mask = response_mask.to(torch.float32)
    rewards = torch.zeros((batch, width), dtype=torch.float32)
    step_gamma = torch.full((batch, width), float(gamma))
    step_decay = torch.full((batch, width), float(gamma) * float(lam))
    for i, episode in enumerate(episodes):
        ends = []
        for (s, e), reward in zip(episode.spans, episode.rewards):
            tokens = (mask[i, s:e] > 0).nonzero()
            if len(tokens) == 0:
                continue
            last = s + int(tokens.max())
            rewards[i, last] += reward
            ends.append(last)
        for last in ends[:-1]:  # the step from a turn's last token to the next turn's first crosses turns
            step_gamma[i, last] = settings.turn_gamma
            step_decay[i, last] = settings.turn_gamma * settings.turn_lambda
    if extra_token_rewards is not None:
        rewards = rewards + extra_token_rewards.float()
    values = values.float()
    with torch.no_grad():
        next_values = torch.zeros(batch)
        last_gae = torch.zeros(batch)
        reversed_adv = []
        for t in reversed(range(width)):
            delta = rewards[:, t] + step_gamma[:, t] * next_values - values[:, t]
            candidate = delta + step_decay[:, t] * last_gae
            next_values = values[:, t] * mask[:, t] + (1 - mask[:, t]) * next_values
            last_gae = candidate * mask[:, t] + (1 - mask[:, t]) * last_gae
            reversed_adv.append(last_gae)
        raw = torch.stack(reversed_adv[::-1], dim=1)
        returns = raw + values
        advantages = masked_whiten(raw, mask)  # verl's, as its GAE whitens
    per_turn = []
    for i, episode in enumerate(episodes):
        row = []
        for s, e in episode.spans:
            tokens = (mask[i, s:e] > 0).nonzero()
            row.append(float(raw[i, s + int(tokens.min())]) if len(tokens) else float("nan"))
        per_turn.append(row)
    return TurnAdvantages(advantages=advantages, returns=returns, turn_advantages=per_turn)


def turn_metrics(estimator: str, episodes: Sequence[Episode], result: TurnAdvantages) -> dict[str, float]:
    """What shows the estimator works: turns, step-group sizes, A^E / A^S spread, per-turn advantage spread."""
    prefix = f"turn_credit/{estimator}"
    turns = [len(e.spans) for e in episodes]
    spreads = [
        max(v) - min(v) for v in ([x for x in row if not math.isnan(x)] for row in result.turn_advantages) if len(v) > 1
    ]
    metrics = {
        f"{prefix}/turns/mean": float(np.mean(turns)) if turns else 0.0,
        f"{prefix}/turns/max": float(max(turns, default=0)),
        f"{prefix}/turn_adv_spread/mean": float(np.mean(spreads)) if spreads else 0.0,
        f"{prefix}/turn_adv_spread/max": float(max(spreads, default=0.0)),
    }
    if estimator == "gigpo":
        anchored = [
            size
            for episode, row in zip(episodes, result.step_group_sizes)
            for size, a in zip(row, episode.anchors)
            if a is not None
        ]
        step = [a for row in result.step_advantages for a in row]
        metrics.update(
            {
                f"{prefix}/step_group_size/mean": float(np.mean(anchored)) if anchored else 0.0,
                f"{prefix}/step_group_size/max": float(max(anchored, default=0)),
                f"{prefix}/steps_in_shared_groups": float(np.mean([s > 1 for s in anchored])) if anchored else 0.0,
                f"{prefix}/episode_adv/mean": float(np.mean(result.episode_advantages)),
                f"{prefix}/episode_adv/std": float(np.std(result.episode_advantages)),
                f"{prefix}/step_adv/mean": float(np.mean(step)) if step else 0.0,
                f"{prefix}/step_adv/std": float(np.std(step)) if step else 0.0,
                f"{prefix}/step_adv/abs_max": float(max((abs(a) for a in step), default=0.0)),
            }
        )
    return metrics


def episode_log_rows(
    step: int, keys: Sequence[str], estimator: str, episodes: Sequence[Episode], result: TurnAdvantages
) -> list[dict[str, Any]]:
    """One JSON line per episode for ``STAGE/turn_credit.jsonl`` (``lmmr1 view`` shows them)."""
    rows = []
    for i, episode in enumerate(episodes):
        turns = []
        for t, (s, e) in enumerate(episode.spans):
            turn = {"tokens": [s, e], "reward": episode.rewards[t], "advantage": result.turn_advantages[i][t]}
            if estimator == "gigpo":
                turn.update(
                    {
                        "anchor": episode.anchors[t],
                        "step_return": result.step_returns[i][t],
                        "step_group_size": result.step_group_sizes[i][t],
                        "step_advantage": result.step_advantages[i][t],
                    }
                )
            turns.append(turn)
        row = {"step": step, "key": str(keys[i]), "estimator": estimator, "return": episode.total, "turns": turns}
        if estimator == "gigpo":
            row["episode_advantage"] = result.episode_advantages[i]
        rows.append(row)
    return rows
