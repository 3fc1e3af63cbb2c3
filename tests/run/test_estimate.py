"""The dry run's GPU-hour estimate (lmmr1.run.estimate), worked out by hand for one stage."""

from __future__ import annotations

import pytest

from lmmr1.config.schema import AlgorithmSpec, LoraSpec, ScaleSpec, StageSpec
from lmmr1.run.estimate import LORA_UPDATE_FACTOR, ROLLOUT_TPS, TRAIN_TPS, estimate


def _stage(**kwargs) -> StageSpec:
    return StageSpec(
        name="s",
        rollout_batch_size=4,
        n_samples=2,
        max_prompt_length=400,
        max_response_length=1000,
        total_steps=10,
        algorithm=AlgorithmSpec(kl_in_reward=True),
        **kwargs,
    )


def test_a_lora_stage_saves_a_third_of_the_update_pass_only():
    scale = ScaleSpec("paper", "cuda", 1, 8, "vllm", "fsdp2", 1, 0.6, 4, "bfloat16", True)
    sequences, response, tokens = 8, 500.0, 8 * (100.0 + 500.0)
    full = estimate(_stage(), scale, rows=None)
    # old log-probs, the update, the reference (KL in the reward): 3 passes
    assert full.gpu_hours == pytest.approx(10 * (sequences * response / ROLLOUT_TPS + tokens * 3 / TRAIN_TPS) / 3600)
    lora = estimate(_stage(lora=LoraSpec(rank=8)), scale, rows=None)
    passes = 2 + LORA_UPDATE_FACTOR
    assert lora.gpu_hours == pytest.approx(
        10 * (sequences * response / ROLLOUT_TPS + tokens * passes / TRAIN_TPS) / 3600
    )
    assert lora.gpu_hours < full.gpu_hours and lora.tokens_per_step == full.tokens_per_step
