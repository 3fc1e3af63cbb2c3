"""A rough GPU-hour estimate per stage, from its settings, printed by the dry run before you spend them.

    steps            = epochs x rows / rollout batch           (or total_steps when set)
    tokens per step  = rollout batch x samples x (prompt tokens + response tokens)
    GPU-seconds/step = generated tokens / ROLLOUT_TPS  +  tokens / TRAIN_TPS x passes

Assumptions (stated with every estimate; change them here, not silently): a 3B model in bf16 on
80 GB-class GPUs; vLLM generates ``ROLLOUT_TPS`` tokens/s per GPU at this batch size; the FSDP actor
processes ``TRAIN_TPS`` tokens/s per GPU per forward+backward; a step makes ``passes`` such passes over
its tokens (old log-probs, reference log-probs when KL is on, the update; a critic adds two more);
prompts average ``PROMPT_FRACTION`` of ``max_prompt_length`` and responses ``RESPONSE_FRACTION`` of
``max_response_length``. With LoRA the update pass costs ``LORA_UPDATE_FACTOR`` of a full one (the frozen
base needs no weight gradients: the backward pass computes activation gradients only). Real runs vary by 2x either way; the estimate is for planning, not a promise.

An SFT stage generates nothing and makes one forward+backward pass over its batch a step:

    steps            = epochs x rows / sft.batch_size          (or total_steps when set)
    tokens per step  = sft.batch_size x sft.max_length x SFT_FRACTION
    GPU-seconds/step = tokens / TRAIN_TPS x (1, or LORA_UPDATE_FACTOR with LoRA)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from lmmr1.config import ScaleSpec, StageSpec

ROLLOUT_TPS = 2500.0  # generated tokens / s / GPU (vLLM, 3B, large batch)
TRAIN_TPS = 12000.0  # tokens / s / GPU for one forward+backward (FSDP, bf16, 3B)
PROMPT_FRACTION = 0.25
LORA_UPDATE_FACTOR = 2.0 / 3.0  # forward 1 + activation backward 1 of forward 1 + backward 2
RESPONSE_FRACTION = 0.5
SFT_FRACTION = 0.5  # an SFT conversation averages half of sft.max_length

# rows of the paper's datasets, used when the data files are not on this machine
PAPER_ROWS = {
    "fre_text": 40315,
    "fre_multi": 65000,
    "mgt_geo": 15000,
    "mgt_percereason": 65000,
    "direct_rl_geo": 15000,
    "mgt_sokoban": 10000,
}


@dataclass
class Estimate:
    stage: str
    steps: int
    tokens_per_step: int
    gpu_hours: float
    rows: int
    rows_from: str

    @property
    def steps_known(self) -> bool:
        """False when neither total_steps nor the data's size is known here: the hours are then per 100 steps."""
        return self.rows_from != "unknown size"

    def line(self, gpus: int) -> str:
        if not self.steps_known:
            per_100 = self.gpu_hours / max(1, self.steps) * 100
            return (
                f"{self.stage}: {self.tokens_per_step / 1e6:.1f}M tokens/step; number of steps unknown (no data "
                f"files on this machine, no paper size for this stage, no total_steps) = about {per_100:,.1f} "
                f"GPU-hours per 100 steps ({per_100 / max(1, gpus):,.2f} h on {gpus} GPUs)"
            )
        hours = self.gpu_hours / max(1, gpus)
        return (
            f"{self.stage}: {self.steps} steps x {self.tokens_per_step / 1e6:.1f}M tokens/step "
            f"({self.rows} rows, {self.rows_from}) = about {self.gpu_hours:,.0f} GPU-hours "
            f"({hours:,.1f} h on {gpus} GPUs)"
        )


def assumptions() -> str:
    return (
        f"assumes {ROLLOUT_TPS:.0f} generated tokens/s/GPU (vLLM), {TRAIN_TPS:.0f} trained tokens/s/GPU, "
        f"prompts at {PROMPT_FRACTION:.0%} and responses at {RESPONSE_FRACTION:.0%} of their limits, SFT conversations at "
        f"{SFT_FRACTION:.0%} of sft.max_length (lmmr1/run/estimate.py)"
    )


def estimate(stage: StageSpec, scale: ScaleSpec, rows: Optional[int]) -> Estimate:
    rows_from = "data files"
    if rows is None:
        rows = PAPER_ROWS.get(stage.name, 0)
        rows_from = "paper's dataset size" if rows else "unknown size"
    if stage.total_steps:
        rows_from = rows_from if rows else "total_steps"
    if stage.kind == "sft":
        return _sft_estimate(stage, rows, rows_from)
    if stage.total_steps:
        steps = int(stage.total_steps)
    else:
        steps = max(1, rows // max(1, stage.rollout_batch_size)) * stage.epochs
    sequences = stage.rollout_batch_size * stage.n_samples
    prompt = stage.max_prompt_length * PROMPT_FRACTION
    response = stage.max_response_length * RESPONSE_FRACTION
    tokens = sequences * (prompt + response)
    passes = 1 + (LORA_UPDATE_FACTOR if stage.lora.rank else 1.0)
    passes += 1 if (stage.algorithm.kl_in_reward or stage.algorithm.kl_loss) else 0
    passes += 2 if stage.algorithm.use_critic else 0
    seconds = sequences * response / ROLLOUT_TPS + tokens * passes / TRAIN_TPS
    return Estimate(stage.name, steps, int(tokens), steps * seconds / 3600.0, rows, rows_from)


def _sft_estimate(stage: StageSpec, rows: int, rows_from: str) -> Estimate:
    """One forward+backward pass over the batch's tokens a step; no generation (formula in the docstring)."""
    batch = max(1, stage.sft.batch_size)
    steps = int(stage.total_steps) if stage.total_steps else max(1, rows // batch) * stage.epochs
    tokens = batch * stage.sft.max_length * SFT_FRACTION
    passes = LORA_UPDATE_FACTOR if stage.lora.rank else 1.0
    return Estimate(stage.name, steps, int(tokens), steps * tokens * passes / TRAIN_TPS / 3600.0, rows, rows_from)
