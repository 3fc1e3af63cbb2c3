"""The dry run's GPU-hour estimate (lmmr1.run.estimate), worked out by hand for one stage."""

from __future__ import annotations

import pytest

from lmmr1.config.schema import AlgorithmSpec, LoraSpec, ScaleSpec, SFTSpec, StageSpec
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


def test_an_sft_stage_is_one_training_pass_over_its_batch_and_generates_nothing():
    scale = ScaleSpec("paper", "cuda", 1, 8, "vllm", "fsdp2", 1, 0.6, 4, "bfloat16", True)
    sft = SFTSpec(batch_size=32, max_length=2048)
    # 1000 rows, 32 a step, 3 epochs: 31 x 3 steps; 32 x 1024 tokens a step (half of max_length)
    stage = StageSpec(name="sft", kind="sft", sft=sft, epochs=3, rollout_batch_size=4, n_samples=16)
    result = estimate(stage, scale, rows=1000)
    assert (result.steps, result.tokens_per_step) == (93, 32 * 1024)
    assert result.gpu_hours == pytest.approx(93 * 32 * 1024 / TRAIN_TPS / 3600)
    lora = estimate(StageSpec(name="sft", kind="sft", sft=sft, epochs=3, lora=LoraSpec(rank=8)), scale, rows=1000)
    assert lora.gpu_hours == pytest.approx(result.gpu_hours * LORA_UPDATE_FACTOR)


def test_a_stage_of_unknown_length_is_priced_per_100_steps_not_as_zero():
    scale = ScaleSpec("paper", "cuda", 1, 8, "vllm", "fsdp2", 1, 0.6, 4, "bfloat16", True)
    stage = StageSpec(name="mine", kind="sft", sft=SFTSpec(batch_size=32, max_length=2048))
    result = estimate(stage, scale, rows=None)
    assert not result.steps_known
    per_100 = 100 * 32 * 1024 / TRAIN_TPS / 3600
    assert f"about {per_100:,.1f} GPU-hours per 100 steps" in result.line(8) and "steps unknown" in result.line(8)
    known = estimate(StageSpec(name="mine", kind="sft", sft=SFTSpec(batch_size=32), total_steps=5), scale, rows=None)
    assert known.steps_known and known.steps == 5 and "(0 rows, total_steps)" in known.line(8)
