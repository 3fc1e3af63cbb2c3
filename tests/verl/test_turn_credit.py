"""GiGPO and turn-level GAE (lmmr1.verl.turn_credit) against advantages worked out by hand, and against verl.

The pinned batch: 4 episodes of one Sokoban level (one prompt, rollout.n = 4), played move by move in
``lmmr1/Sokoban-v0`` so the turn rewards and board anchors are the environment's own. The level is a corridor,
player, box, goal: ``#@ $ .#``. gym-sokoban's rewards: -0.1 a move, +1 a box onto a goal, +10 when solved.

    E0: [Right] [Right, Right]      boards B0, B1        rewards -0.1, 10.8  (the box reaches the goal)
    E1: [Left] [Right] [Left]       boards B0, B0, B1    rewards -0.1, -0.1, -0.1  (Left walks into the wall)
    E2: [Right] [Left]              boards B0, B1        rewards -0.1, -0.1
    E3: [Right, Right]              boards B0            rewards -0.2

Hand computation (turn_gamma 0.95, step_weight 1, mean-normalised as GiGPO's default):
  returns 10.7, -0.3, -0.2, -0.2, mean 2.5          -> A^E = 8.2, -2.8, -2.7, -2.7
  step returns R_t = r_t + 0.95 R_{t+1}:
    E0: 10.16, 10.8   E1: -0.28525, -0.195, -0.1   E2: -0.195, -0.1   E3: -0.2
  group B0 (5 turns): 10.16, -0.28525, -0.195, -0.195, -0.2, mean 9.28475 / 5 = 1.85695
  group B1 (3 turns): 10.8, -0.1, -0.1, mean 10.6 / 3
"""

from __future__ import annotations

import math

import pytest
import torch

from lmmr1.verl.turn_credit import (
    Episode,
    TurnSettings,
    discounted_returns,
    episode_log_rows,
    episodes_from_rows,
    gigpo,
    turn_gae,
    turn_metrics,
)

LEVEL = "#######\n#@ $ .#\n#######"
MOVES = {  # per episode, per turn
    "E0": [["right"], ["right", "right"]],
    "E1": [["left"], ["right"], ["left"]],
    "E2": [["right"], ["left"]],
    "E3": [["right", "right"]],
}
TURN_TOKENS, OBS_TOKENS = 3, 2  # each model turn 3 tokens, then 2 environment tokens (mask 0)


def _play() -> tuple[list[Episode], torch.Tensor]:
    from lmmr1.envs.anchors import anchor_key
    from lmmr1.envs.sokoban import ACTION_NAMES, SokobanEnv

    episodes, masks = [], []
    for moves in MOVES.values():
        env = SokobanEnv(level=LEVEL)
        env.reset()
        spans, rewards, anchors, mask = [], [], [], []
        for turn in moves:
            anchors.append(anchor_key(env))
            reward = sum(env.step(ACTION_NAMES.index(m))[1] for m in turn)
            rewards.append(reward)
            if mask:
                mask += [0] * OBS_TOKENS
            spans.append((len(mask), len(mask) + TURN_TOKENS))
            mask += [1] * TURN_TOKENS
        episodes.append(Episode(group="level-1", spans=spans, rewards=rewards, anchors=anchors))
        masks.append(mask)
    width = max(len(m) for m in masks)
    return episodes, torch.tensor([m + [0] * (width - len(m)) for m in masks])


def test_the_pinned_episodes_are_what_the_environment_played():
    episodes, _ = _play()
    assert [e.rewards for e in episodes] == [
        pytest.approx([-0.1, 10.8]),
        pytest.approx([-0.1, -0.1, -0.1]),
        pytest.approx([-0.1, -0.1]),
        pytest.approx([-0.2]),
    ]
    b0 = episodes[0].anchors[0]
    b1 = episodes[0].anchors[1]
    assert b0 != b1
    assert episodes[1].anchors == [b0, b0, b1] and episodes[2].anchors == [b0, b1] and episodes[3].anchors == [b0]


def test_gigpo_matches_the_hand_computed_advantages():
    episodes, mask = _play()
    result = gigpo(episodes, mask, TurnSettings(turn_gamma=0.95, step_weight=1.0, std_normalize=False))
    b0_mean, b1_mean = 9.28475 / 5, 10.6 / 3
    expected = [
        [8.2 + (10.16 - b0_mean), 8.2 + (10.8 - b1_mean)],
        [-2.8 + (-0.28525 - b0_mean), -2.8 + (-0.195 - b0_mean), -2.8 + (-0.1 - b1_mean)],
        [-2.7 + (-0.195 - b0_mean), -2.7 + (-0.1 - b1_mean)],
        [-2.7 + (-0.2 - b0_mean)],
    ]
    assert result.episode_advantages == pytest.approx([8.2, -2.8, -2.7, -2.7], abs=1e-6)
    for got, want in zip(result.turn_advantages, expected):
        assert got == pytest.approx(want, abs=1e-6)
    assert result.step_group_sizes == [[5, 3], [5, 5, 3], [5, 3], [5]]
    # every token of a turn carries the turn's advantage; environment tokens and padding carry 0
    for i, episode in enumerate(episodes):
        for (s, e), value in zip(episode.spans, expected[i]):
            assert result.advantages[i, s:e].tolist() == pytest.approx([value] * (e - s), rel=1e-6)
    assert torch.all(result.advantages[mask == 0] == 0)
    assert torch.equal(result.returns, result.advantages)


def test_gigpo_std_normalisation_divides_both_parts_by_their_groups_std():
    episodes, mask = _play()
    result = gigpo(episodes, mask, TurnSettings(turn_gamma=0.95, step_weight=0.5, std_normalize=True))
    episode_std = math.sqrt((8.2**2 + 2.8**2 + 2.7**2 + 2.7**2) / 3)  # unbiased, around the mean 2.5
    b1 = [10.8, -0.1, -0.1]
    b1_mean = sum(b1) / 3
    b1_std = math.sqrt(sum((x - b1_mean) ** 2 for x in b1) / 2)
    want = 8.2 / (episode_std + 1e-6) + 0.5 * (10.8 - b1_mean) / (b1_std + 1e-6)
    assert result.turn_advantages[0][1] == pytest.approx(want, abs=1e-6)


def test_all_singleton_step_groups_reduce_gigpo_to_verls_grpo():
    """Without anchors (or with all different ones) A^S is 0 and GiGPO is verl's own GRPO advantage."""
    from verl.trainer.ppo.core_algos import compute_grpo_outcome_advantage

    episodes, mask = _play()
    for std_normalize in (False, True):
        lonely = [
            Episode(group=e.group, spans=e.spans, rewards=e.rewards, anchors=[f"{i}-{t}" for t in range(len(e.spans))])
            for i, e in enumerate(episodes)
        ]
        result = gigpo(lonely, mask, TurnSettings(std_normalize=std_normalize))
        token_rewards = torch.zeros(mask.shape)
        for i, e in enumerate(episodes):
            token_rewards[i, e.spans[-1][1] - 1] = e.total
        grpo, _ = compute_grpo_outcome_advantage(
            token_rewards, mask, index=[e.group for e in episodes], norm_adv_by_std_in_grpo=std_normalize
        )
        assert torch.allclose(result.advantages, grpo, atol=1e-6)
        assert all(a == 0 for row in result.step_advantages for a in row)


def test_turn_gae_on_the_pinned_episodes_with_zero_values_gives_discounted_turn_returns():
    """With a critic that says 0 everywhere, gamma = lam = 1 inside a turn and turn_lambda 1, the raw advantage
    of every token of turn t is the discounted return R_t worked out above."""
    episodes, mask = _play()
    values = torch.zeros(mask.shape)
    result = turn_gae(episodes, values, mask, 1.0, 1.0, TurnSettings(turn_gamma=0.95, turn_lambda=1.0))
    expected = [[10.16, 10.8], [-0.28525, -0.195, -0.1], [-0.195, -0.1], [-0.2]]
    for i, episode in enumerate(episodes):
        assert result.turn_advantages[i] == pytest.approx(expected[i], abs=1e-6)
        for (s, e), value in zip(episode.spans, expected[i]):
            assert result.returns[i, s:e].tolist() == pytest.approx([value] * (e - s), abs=1e-6)


def test_turn_gae_two_turns_by_hand():
    """Tokens: turn 0 at 0-1, an environment token at 2, turn 1 at 3-4. Rewards 1 (turn 0), 2 (turn 1).
    Values 0.5, 0.4, (9: an environment token, skipped), 0.3, 0.2. gamma = lam = 1, turn_gamma 0.9,
    turn_lambda 0.8. Backwards: t4: 2 - 0.2 = 1.8; t3: 0.2 - 0.3 + 1.8 = 1.7; t1 (crosses to turn 1):
    delta 1 + 0.9 * 0.3 - 0.4 = 0.87, A = 0.87 + 0.9 * 0.8 * 1.7 = 2.094; t0: 0.4 - 0.5 + 2.094 = 1.994."""
    mask = torch.tensor([[1, 1, 0, 1, 1]])
    values = torch.tensor([[0.5, 0.4, 9.0, 0.3, 0.2]])
    episodes = [Episode(group="g", spans=[(0, 2), (3, 5)], rewards=[1.0, 2.0])]
    result = turn_gae(episodes, values, mask, 1.0, 1.0, TurnSettings(turn_gamma=0.9, turn_lambda=0.8))
    raw = torch.tensor([[1.994, 2.094, 1.7, 1.7, 1.8]])
    assert result.returns.tolist()[0] == pytest.approx((raw + values).tolist()[0], abs=1e-6)
    assert result.turn_advantages == [pytest.approx([1.994, 1.7], abs=1e-6)]
    from verl.utils.torch_functional import masked_whiten

    assert torch.allclose(result.advantages, masked_whiten(raw, mask), atol=1e-6)


def test_a_one_turn_episode_under_turn_gae_equals_verls_gae():
    from verl.trainer.ppo.core_algos import compute_gae_advantage_return

    generator = torch.Generator().manual_seed(7)
    mask = torch.tensor([[1] * 9 + [0] * 3, [1] * 12, [1] * 5 + [0] * 7])
    values = torch.randn(mask.shape, generator=generator)
    episodes, token_rewards = [], torch.zeros(mask.shape)
    for i in range(3):
        end = int(mask[i].sum())
        reward = float(torch.randn((), generator=generator))
        token_rewards[i, end - 1] = reward
        episodes.append(Episode(group=i, spans=[(0, end)], rewards=[reward]))
    ours = turn_gae(episodes, values, mask, 0.99, 0.95, TurnSettings(turn_gamma=0.5, turn_lambda=0.5))
    adv, ret = compute_gae_advantage_return(token_rewards, values, mask, 0.99, 0.95)
    assert torch.allclose(ours.advantages * mask, adv * mask, atol=1e-6)
    assert torch.allclose(ours.returns * mask, ret * mask, atol=1e-6)


def test_rows_without_turns_are_one_turn_and_kl_in_the_reward_stays_with_its_turn():
    mask = torch.tensor([[1, 1, 0, 1], [1, 1, 1, 0]])
    scores = torch.tensor([[0.0, 0.0, 0.0, 3.0], [0.0, 0.0, 5.0, 0.0]])
    kl = torch.tensor([[-0.1, -0.1, 0.0, -0.2], [-0.3, 0.0, 0.0, 0.0]])
    extra = [{"turn_spans": [[0, 2], [3, 4]], "turn_scores": [1.0, 2.0], "turn_anchors": ["a", "b"]}, {}]
    episodes = episodes_from_rows(["u", "v"], extra, scores + kl, scores, mask)
    assert episodes[0].rewards == pytest.approx([0.8, 1.8]) and episodes[0].anchors == ["a", "b"]
    assert episodes[1].spans == [(0, 3)] and episodes[1].rewards == pytest.approx([4.7])
    assert episodes[1].anchors == [None]
    kept = episodes_from_rows(["u", "v"], extra, scores + kl, scores, mask, fold_token_rewards=False)
    assert kept[0].rewards == pytest.approx([1.0, 2.0])


def test_metrics_and_the_episode_log_describe_the_credit():
    episodes, mask = _play()
    result = gigpo(episodes, mask, TurnSettings())
    metrics = turn_metrics("gigpo", episodes, result)
    assert metrics["turn_credit/gigpo/step_group_size/mean"] == pytest.approx((5 * 5 + 3 * 3) / 8)
    assert metrics["turn_credit/gigpo/steps_in_shared_groups"] == 1.0
    assert metrics["turn_credit/gigpo/turn_adv_spread/max"] > 0  # turns of one episode are credited apart
    rows = episode_log_rows(3, ["k0", "k1", "k2", "k3"], "gigpo", episodes, result)
    assert rows[0]["step"] == 3 and len(rows[1]["turns"]) == 3
    assert rows[0]["turns"][1]["reward"] == pytest.approx(10.8) and rows[0]["turns"][1]["step_group_size"] == 3


def test_discounted_returns():
    assert discounted_returns([1.0, 0.0, 2.0], 0.5) == pytest.approx([1.5, 1.0, 2.0])
