"""The one place that knows verl's configuration keys.

:func:`to_verl_config` takes a stage in lmmr1's vocabulary and returns the full verl 0.9 PPO trainer
config: verl's own generated defaults (``verl/trainer/config/_generated_ppo_trainer.yaml``, shipped
in the wheel) with lmmr1's settings written over them. Starting from verl's defaults rather than a
hand-kept copy means a verl upgrade changes only what lmmr1 does not set.

Mapping of the LMM-R1 settings (see README "Paper settings"):

* REINFORCE++-baseline / GAE / GRPO -> ``algorithm.adv_estimator``; KL (k1) in the reward ->
  ``algorithm.use_kl_in_reward`` + ``kl_penalty=kl`` + ``kl_ctrl.kl_coef``;
* rollout batch -> ``data.train_batch_size``; one update per rollout batch -> ``ppo_mini_batch_size``
  = rollout batch, ``ppo_epochs=1``; samples per prompt -> ``rollout.n``;
* episodes -> ``trainer.total_epochs``; save every N steps -> ``trainer.save_freq``; checkpoints keep
  an HF export (``save_contents`` includes ``hf_model``) so the next stage can start from it.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from omegaconf import DictConfig, OmegaConf

from lmmr1.config import RunConfig, StageSpec
from lmmr1.config.schema import TURN_ESTIMATORS
from lmmr1.run.layout import RunPaths
from lmmr1.verl.determinism import SEEDED_SINGLE_TURN

# verl's generated trainer defaults, inside the installed verl package
VERL_DEFAULTS = ("trainer", "config", "_generated_ppo_trainer.yaml")

# scale=cpu_vllm: MiB of each shared-memory bucket of the weight sync (a tiny model fits in one)
CPU_VLLM_BUCKET_MB = 64

# verl's agent-loop registry names
DEFAULT_AGENT_LOOP = "single_turn_agent"


# peft exclude_modules (a regex over module names) that keeps LoRA adapters out of the vision tower
VISION_TOWER_MODULES = r".*\bvisual\b.*"


def _set_lora(s: Any, model: str, stage: StageSpec) -> None:
    """lmmr1's ``lora`` settings as verl 0.9.1's FSDP engine reads them under ``model`` (RL actor or SFT model)."""
    s(f"{model}.lora_rank", int(stage.lora.rank))
    s(f"{model}.lora_alpha", int(stage.lora.alpha))
    modules = stage.lora.target_modules
    s(f"{model}.target_modules", modules if isinstance(modules, str) else list(modules))
    if not stage.lora.vision_tower:
        s(f"{model}.exclude_modules", VISION_TOWER_MODULES)


@lru_cache(maxsize=1)
def _verl_defaults_text() -> str:
    # located without importing verl (which pulls torch): dry runs and config checks stay fast
    spec = importlib.util.find_spec("verl")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("verl is not installed; run ./scripts/setup.sh")
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*VERL_DEFAULTS)
    return path.read_text(encoding="utf-8")


def verl_defaults() -> DictConfig:
    """verl's full PPO trainer config with its defaults, as shipped in the installed verl."""
    return OmegaConf.create(_verl_defaults_text())


# verl's SFT trainer config (verl/trainer/config/sft_trainer_engine.yaml) and the groups its defaults list names
SFT_CONFIG = "sft_trainer_engine.yaml"


def _verl_config_dir() -> Path:
    spec = importlib.util.find_spec("verl")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("verl is not installed; run ./scripts/setup.sh")
    return Path(list(spec.submodule_search_locations)[0]) / "trainer" / "config"


@lru_cache(maxsize=1)
def _sft_defaults_container() -> dict:
    """Hydra's composition of ``sft_trainer_engine`` done with OmegaConf alone (no second Hydra app).

    Its defaults list is ``GROUP@KEY: FILE`` entries and ``_self_`` last, and the group files have no
    defaults of their own (verl 0.9.1); anything else is refused rather than composed wrongly.
    tests/verl/test_bridge.py compares the result with Hydra's own composition.
    """
    folder = _verl_config_dir()
    main = OmegaConf.load(folder / SFT_CONFIG)
    defaults = list(main.pop("defaults"))
    merged = OmegaConf.create({})
    for entry in defaults:
        if entry == "_self_":
            continue
        if not OmegaConf.is_dict(entry) or len(entry) != 1:
            raise RuntimeError(f"verl's {SFT_CONFIG}: unexpected defaults entry {entry!r}")
        ((target, name),) = entry.items()
        group, _, key = str(target).partition("@")
        part = OmegaConf.load(folder / group / f"{name}.yaml")
        if "defaults" in part:
            raise RuntimeError(f"verl's {group}/{name}.yaml has a defaults list; lmmr1 composes only flat groups")
        merged = OmegaConf.merge(merged, {key or group: part})
    if defaults[-1] != "_self_":
        raise RuntimeError(f"verl's {SFT_CONFIG}: _self_ is not last in its defaults list")
    merged = OmegaConf.merge(merged, main)
    container = OmegaConf.to_container(merged, resolve=False)
    assert isinstance(container, dict)
    return container


def verl_sft_defaults() -> DictConfig:
    """verl's full SFT trainer config with its defaults, as shipped in the installed verl."""
    return OmegaConf.create(_sft_defaults_container())


def check_verl_keys(overrides: dict[str, Any], kind: str = "rl") -> None:
    """Refuse raw verl keys that the installed verl's trainer config does not have, or values of the wrong type.

    A key must name an entry of verl's trainer YAML or a field of the config dataclass its section is built
    into (see :mod:`lmmr1.verl.schema`); below a free-form entry verl accepts any key. ValueError names the
    key and the closest existing one, or the type verl expects.
    """
    from lmmr1.verl.schema import check_verl_key

    base = verl_sft_defaults() if kind == "sft" else verl_defaults()
    defaults = OmegaConf.to_container(base, resolve=False)
    for dotted, value in overrides.items():
        check_verl_key(defaults, str(dotted), value)


def mixed_precision(dtype: str) -> dict[str, str]:
    """verl's FSDP ``mixed_precision`` block for the scale's ``dtype``.

    verl 0.9.1's FSDP engine takes its compute precision from ``fsdp_config.mixed_precision`` alone (its
    ``dtype`` key is unused there) and, when that is unset, trains with bf16 parameters under bf16
    autocast. Writing the block out makes the precision a run uses the one its scale names: float32
    at smoke scale (measured: before this, smoke PPO trained in bf16), bf16 compute with fp32 gradient
    reduction and buffers on GPUs (verl's own default, now explicit).
    """
    param = "fp32" if dtype in ("float32", "fp32") else "bf16"
    return {"param_dtype": param, "reduce_dtype": "fp32", "buffer_dtype": "fp32"}


_WRITTEN: Optional[set[str]] = None  # keys the bridge writes, while raw_key_conflicts records them


def _set(cfg: DictConfig, dotted: str, value: Any) -> None:
    if _WRITTEN is not None:
        _WRITTEN.add(dotted)
    OmegaConf.update(cfg, dotted, value, merge=False, force_add=True)


def raw_key_conflicts(run: RunConfig, stage: StageSpec, init_model: str) -> list[str]:
    """One line per raw verl key (``stages.S.verl.KEY``) that replaces a value lmmr1 derives from its settings.

    The raw key wins (it is the escape hatch), but never silently: a user who sets
    ``verl.actor_rollout_ref.actor.optim.lr`` beside ``actor_lr`` should know which one trains.
    """
    global _WRITTEN
    if not stage.verl:
        return []
    import dataclasses

    from lmmr1.config import stage_settings

    _WRITTEN = set()
    try:
        ours = stage_verl_config(run, dataclasses.replace(stage, verl={}), init_model)
        written = set(_WRITTEN)
    finally:
        _WRITTEN = None
    settings = stage_settings(run, stage)
    lines = []
    for dotted, value in stage.verl.items():
        covering = [w for w in written if w == dotted or w.startswith(dotted + ".") or dotted.startswith(w + ".")]
        if not covering:
            continue
        mine = OmegaConf.select(ours, dotted, default=None)
        mine = OmegaConf.to_container(mine, resolve=True) if OmegaConf.is_config(mine) else mine
        if mine == value:
            continue
        sources = [k for k, v in settings.items() if _same(v, mine) and not k.startswith("verl.")][:3]
        origin = f" (from {', '.join(sources)})" if sources else " (lmmr1's own setting for this scale)"
        lines.append(
            f"stages.{stage.name}.verl.{dotted} = {value!r} replaces lmmr1's value {mine!r}{origin}; the raw verl key wins"
        )
    return lines


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return a == b and a not in (None, "", [], {})


def to_verl_config(
    run: RunConfig, stage: StageSpec, init_model: str, *, n_gpus_per_node: Optional[int] = None
) -> DictConfig:
    """Return the complete verl config (a DictConfig, unresolved interpolations kept) for ``stage``."""
    scale = run.scale
    cpu = scale.device == "cpu"
    gpus = n_gpus_per_node if n_gpus_per_node is not None else scale.gpus_per_node
    dirs = RunPaths(run.output_dir).stage(stage.name)
    cfg = verl_defaults()
    mini_batch = stage.mini_batch_size or stage.rollout_batch_size
    micro = max(1, min(scale.micro_batch_per_gpu, mini_batch * stage.n_samples // max(1, gpus * scale.nnodes)))
    algo = stage.algorithm
    fsdp_dtype = "float32" if scale.dtype in ("float32", "fp32") else "bfloat16"
    precision = mixed_precision(scale.dtype)

    s = lambda key, value: _set(cfg, key, value)  # noqa: E731 - keeps the table below readable

    # ---------------------------------------------------------------- data
    s("data.train_files", list(stage.data.train_files))
    s("data.val_files", list(stage.data.val_files))
    s("data.prompt_key", stage.data.prompt_key)
    s("data.image_key", stage.data.image_key)
    s("data.train_batch_size", stage.rollout_batch_size)
    s("data.max_prompt_length", stage.max_prompt_length)
    s("data.max_response_length", stage.max_response_length)
    s("data.filter_overlong_prompts", True)
    s("data.truncation", "error")
    s("data.return_raw_chat", True)
    s("data.shuffle", True)
    s("data.seed", run.seed)
    s("data.dataloader_num_workers", 0 if cpu else 8)
    s("data.filter_overlong_prompts_workers", 1)
    # verl's dataset with a row-count check: it fails loudly instead of silently dropping rows
    s("data.custom_cls.path", "pkg://lmmr1.verl.dataset")
    s("data.custom_cls.name", "CheckedRLHFDataset")

    # ---------------------------------------------------------------- model
    s("actor_rollout_ref.model.path", init_model)
    s("actor_rollout_ref.model.use_remove_padding", not cpu)
    s("actor_rollout_ref.model.enable_gradient_checkpointing", not cpu)
    if cpu:
        s("actor_rollout_ref.model.override_config.attn_implementation", "sdpa")

    # ---------------------------------------------------------------- actor
    actor = "actor_rollout_ref.actor"
    s(f"{actor}.strategy", scale.strategy)
    s(f"{actor}.optim.lr", stage.actor_lr)
    s(f"{actor}.optim.lr_warmup_steps_ratio", stage.warmup_ratio)
    s(f"{actor}.optim.betas", list(stage.betas))
    s(f"{actor}.optim.clip_grad", stage.grad_clip)
    s(f"{actor}.ppo_mini_batch_size", mini_batch)
    s(f"{actor}.ppo_micro_batch_size_per_gpu", micro)
    s(f"{actor}.ppo_epochs", 1)
    s(f"{actor}.use_kl_loss", algo.kl_loss)
    s(f"{actor}.kl_loss_coef", algo.kl_coef)
    s(f"{actor}.kl_loss_type", "low_var_kl")
    s(f"{actor}.entropy_coeff", 0.0)
    s(f"{actor}.clip_ratio", algo.clip_ratio)
    s(f"{actor}.clip_ratio_low", algo.clip_ratio)
    s(f"{actor}.clip_ratio_high", algo.clip_ratio_high if algo.clip_ratio_high is not None else algo.clip_ratio)
    s(f"{actor}.loss_agg_mode", algo.loss_agg_mode)
    s(f"{actor}.policy_loss.loss_mode", algo.policy_loss)
    s(
        f"{actor}.freeze_vision_tower",
        stage.freeze_vision_tower or (bool(stage.lora.rank) and not stage.lora.vision_tower),
    )
    if stage.lora.rank:
        _set_lora(s, "actor_rollout_ref.model", stage)
        # verl's FSDP engine wraps the actor with peft (base weights frozen; the reference policy is the same
        # model with its adapter disabled). The vision tower gets no adapters unless lora.vision_tower: peft's
        # exclude_modules is a regex over module names (Qwen2.5-VL's and Qwen3-VL's tower is model.visual).
        # lmmr1's CPU rollouts (HF generate, vLLM's CPU build) take merged weights at every sync; on GPUs verl
        # hands vLLM the adapter (its default)
        s("actor_rollout_ref.model.lora.merge", cpu)
        if not cpu:  # vLLM loads the base weights from disk and takes only the adapter at each sync (verl's LoRA docs)
            s("actor_rollout_ref.rollout.load_format", "safetensors")
    s(f"{actor}.use_torch_compile", not cpu)
    s(f"{actor}.fsdp_config.strategy", scale.strategy)
    s(f"{actor}.fsdp_config.dtype", fsdp_dtype)
    s(f"{actor}.fsdp_config.mixed_precision", precision)
    s(f"{actor}.fsdp_config.use_torch_compile", not cpu)
    s(f"{actor}.fsdp_config.seed", run.seed)
    s(f"{actor}.fsdp_config.full_determinism", run.deterministic)
    s(f"{actor}.checkpoint.save_contents", ["model", "optimizer", "extra", "hf_model"])

    # ---------------------------------------------------------------- reference policy (for KL)
    ref = "actor_rollout_ref.ref"
    s(f"{ref}.log_prob_micro_batch_size_per_gpu", micro)
    s(f"{ref}.fsdp_config.mixed_precision", precision)
    s(f"{ref}.fsdp_config.full_determinism", run.deterministic)
    if cpu:
        s(f"{ref}.fsdp_config.dtype", fsdp_dtype)
        s(f"{ref}.fsdp_config.use_torch_compile", False)
        s(f"{ref}.fsdp_config.strategy", scale.strategy)

    # ---------------------------------------------------------------- rollout
    rollout = "actor_rollout_ref.rollout"
    s(f"{rollout}.name", scale.rollout_engine)
    s(f"{rollout}.mode", "async")
    s(f"{rollout}.n", stage.n_samples)
    s(f"{rollout}.temperature", stage.temperature)
    s(f"{rollout}.top_p", stage.top_p)
    s(f"{rollout}.tensor_model_parallel_size", scale.tensor_parallel)
    s(f"{rollout}.gpu_memory_utilization", scale.gpu_memory_utilization)
    s(f"{rollout}.log_prob_micro_batch_size_per_gpu", micro)
    s(f"{rollout}.calculate_log_probs", True)
    s(f"{rollout}.dtype", fsdp_dtype)
    default_loop = SEEDED_SINGLE_TURN if run.deterministic else DEFAULT_AGENT_LOOP
    s(f"{rollout}.agent.default_agent_loop", stage.agent_loop or default_loop)
    # deterministic=true: per-sample seeds (lmmr1.verl.determinism) and verl's own deterministic switches
    s(f"{rollout}.full_determinism", run.deterministic)
    s(f"{rollout}.seed", run.seed)
    # lmmr1's multi-turn loops (sokoban_online, football_online), selected per row by `agent_name`;
    # the stage runner writes this file (lmmr1.verl.agent_loops.write_agent_loop_config) before verl starts.
    s(f"{rollout}.agent.agent_loop_config_path", str(dirs.agent_loops))
    s(f"{rollout}.agent.num_workers", 1 if cpu else 8)
    if cpu:
        s(f"{rollout}.free_cache_engine", False)
        s(f"{rollout}.enforce_eager", True)
    if cpu and scale.rollout_engine == "vllm":  # scale=cpu_vllm: vLLM's CPU build (see VLLM_ON_CPU in the README)
        # vLLM's CPU platform refuses sleep mode (verl's default: True; a RolloutConfig field verl's YAML omits)
        s(f"{rollout}.enable_sleep_mode", False)
        # weights go to vLLM through a shared-memory bucket; verl's 2 GiB default is sized for 7B models
        s(f"{rollout}.checkpoint_engine.update_weights_bucket_megabytes", CPU_VLLM_BUCKET_MB)
        if run.deterministic:
            # vLLM promises batch invariance for its GPU kernels only (VLLM_BATCH_INVARIANT): on CPU a sequence's
            # logits may depend on what it was batched with or on a prefill cached by another sample, and the tiny
            # models' near-flat distributions turn any such difference into another token. One sequence at a time
            # and no prefix cache take both out. (The repeats that once differed here had another cause, fixed
            # in lmmr1.verl.agent_loops: loop settings reached only a worker's first episode.)
            s(f"{rollout}.max_num_seqs", 1)
            s(f"{rollout}.enable_prefix_caching", False)
    s(f"{rollout}.val_kwargs.temperature", 0.0)
    s(f"{rollout}.val_kwargs.do_sample", False)

    # ---------------------------------------------------------------- critic (GAE)
    s("critic.enable", algo.use_critic)
    if algo.use_critic:
        s("critic.strategy", scale.strategy)
        s("critic.model.path", init_model)  # LMM-R1: critic initialised from the actor
        s("critic.model.use_remove_padding", not cpu)
        s("critic.model.enable_gradient_checkpointing", not cpu)
        s("critic.optim.lr", stage.critic_lr)
        s("critic.optim.lr_warmup_steps_ratio", stage.warmup_ratio)
        s("critic.optim.betas", list(stage.betas))
        s("critic.optim.clip_grad", stage.grad_clip)
        s("critic.ppo_micro_batch_size_per_gpu", micro)
        s("critic.fsdp.strategy", scale.strategy)
        s("critic.fsdp.dtype", fsdp_dtype)
        s("critic.fsdp.mixed_precision", precision)
        s("critic.fsdp.full_determinism", run.deterministic)
        s("critic.fsdp.seed", run.seed)
        s("critic.fsdp.use_torch_compile", not cpu)
        s("critic.grad_clip", stage.grad_clip)
        s("critic.checkpoint.save_contents", ["model", "optimizer", "extra"])
        if cpu:
            s("critic.model.override_config.attn_implementation", "sdpa")

    # ---------------------------------------------------------------- algorithm
    s("algorithm.adv_estimator", algo.estimator)
    s("algorithm.gamma", 1.0)
    s("algorithm.lam", 1.0)
    s("algorithm.use_kl_in_reward", algo.kl_in_reward)
    s("algorithm.kl_penalty", "kl")
    s("algorithm.kl_ctrl.type", "fixed")
    s("algorithm.kl_ctrl.kl_coef", algo.kl_coef)
    s("algorithm.filter_groups.enable", algo.dynamic_sampling)
    if algo.dynamic_sampling:
        s("algorithm.filter_groups.metric", algo.filter_metric)
    if algo.estimator in TURN_ESTIMATORS:
        # lmmr1's own top-level section (verl's AlgoConfig takes no extra keys): what lmmr1.verl.turn_credit_hook
        # reads in verl's trainer, and the file it logs each episode's per-turn credit to (lmmr1 view shows it)
        s(
            "lmmr1.turn_credit",
            {
                "turn_gamma": float(algo.turn_gamma),
                "turn_lambda": float(algo.turn_lambda),
                "step_weight": float(algo.step_weight),
                "std_normalize": bool(algo.std_normalize),
                "episode_log": str(dirs.turn_credit),
            },
        )

    if run.log_tokens > 0:  # the token view's log (lmmr1.verl.token_log reads it in verl's trainer)
        s("lmmr1.token_log", {"path": str(dirs.tokens), "per_step": int(run.log_tokens)})
    if algo.overlong_filter:  # DAPO's overlong filter, applied in verl's trainer by lmmr1.verl.overlong_filter
        s("lmmr1.overlong_filter", {"enable": True, "max_length": int(stage.max_response_length)})

    # ---------------------------------------------------------------- reward (lmmr1's registry)
    reward_spec = {
        "name": stage.reward.name,
        "kwargs": dict(stage.reward.kwargs),
        "by_source": dict(stage.reward.by_source),
        "timeout_s": float(stage.reward.timeout_s),
    }
    s("reward.num_workers", 1 if cpu else 8)
    s("reward.reward_manager.source", "importlib")
    s("reward.reward_manager.name", "LMMR1RewardManager")
    s("reward.reward_manager.module.path", "pkg://lmmr1.verl.reward_manager")
    s("reward.custom_reward_function.path", "pkg://lmmr1.verl.reward_manager")
    s("reward.custom_reward_function.name", "compute_score")
    reward_kwargs: dict[str, Any] = {"lmmr1_reward": reward_spec}
    if algo.overlong_buffer:  # DAPO's overlong shaping, applied by lmmr1's reward manager
        reward_kwargs["lmmr1_overlong"] = {
            "max_length": stage.max_response_length,
            "buffer": max(1, round(algo.overlong_buffer * stage.max_response_length)),
            "penalty": float(algo.overlong_penalty),
        }
    s("reward.custom_reward_function.reward_kwargs", reward_kwargs)

    # ---------------------------------------------------------------- trainer
    s("trainer.device", scale.device)
    s("trainer.nnodes", scale.nnodes)
    s("trainer.n_gpus_per_node", gpus)
    # With a step budget, let verl loop over the data as often as needed to reach it.
    s("trainer.total_epochs", stage.epochs if stage.total_steps is None else max(stage.epochs, 1000))
    s("trainer.total_training_steps", stage.total_steps)
    s("trainer.save_freq", stage.save_freq)
    # a stage's own test_freq is honoured at every scale; validation benchmarks also run before training
    s("trainer.test_freq", stage.test_freq)
    s("trainer.val_before_train", bool(scale.validate) or bool(stage.validation.benchmarks))
    s("trainer.project_name", "lmmr1")
    s("trainer.experiment_name", f"{run.recipe}-{stage.name}")
    # lmmr1 reads verl's file logger (metrics.jsonl); `logger=[...]` adds verl's other backends
    s("trainer.logger", ["file", *[name for name in run.loggers if name != "file"]])
    s("trainer.default_local_dir", str(dirs.checkpoints))
    s("trainer.resume_mode", "auto")
    s("trainer.log_val_generations", 0)
    s("trainer.use_v1", True)
    s("trainer.balance_batch", not cpu)

    # ---------------------------------------------------------------- CPU-only plumbing (VERL_ON_CPU facts)
    if cpu:
        s("transfer_queue.backend.SimpleStorage.num_data_storage_units", 1)

    # ---------------------------------------------------------------- escape hatch
    for dotted, value in (stage.verl or {}).items():
        s(str(dotted), value)
    return cfg


def to_verl_sft_config(run: RunConfig, stage: StageSpec, init_model: str) -> DictConfig:
    """The complete verl SFT trainer config (``verl.trainer.sft_trainer_ray``) for a ``kind: sft`` stage.

    Settings measured on this CPU for verl 0.9.1 (issue 15): fsdp2, sdpa attention, no remove-padding, the
    HF export in every checkpoint (``hf_model``; it lands in ``global_step_N/huggingface``), no thinking
    switch in the chat template. Precision: the scale's dtype, as for RL stages (:func:`mixed_precision`).
    """
    scale, sft = run.scale, stage.sft
    cpu = scale.device == "cpu"
    dirs = RunPaths(run.output_dir).stage(stage.name)
    cfg = verl_sft_defaults()
    s = lambda key, value: _set(cfg, key, value)  # noqa: E731

    # ---------------------------------------------------------------- data
    s("data.train_files", list(stage.data.train_files))
    s("data.val_files", list(stage.data.val_files) if stage.data.val_files else None)
    s("data.messages_key", sft.messages_key)
    s("data.image_key", stage.data.image_key)
    s("data.train_batch_size", sft.batch_size)
    s("data.micro_batch_size_per_gpu", sft.micro_batch_size)
    s("data.use_dynamic_bsz", False)
    s("data.max_length", sft.max_length)
    s("data.max_token_len_per_gpu", max(sft.max_length, 8192))
    s("data.truncation", sft.truncation)
    s("data.pad_mode", "no_padding")
    s("data.enable_thinking_default", None)
    # (verl 0.9.1's SFT trainer builds its loaders with 8 workers whatever this says; set for later versions)
    s("data.num_workers", 0 if cpu else 8)

    # ---------------------------------------------------------------- model
    s("model.path", init_model)
    if stage.lora.rank:  # the same peft wrapping as an RL actor's; the vision tower gets no adapters
        _set_lora(s, "model", stage)
    s("model.use_remove_padding", not cpu)
    s("model.enable_gradient_checkpointing", not cpu)
    if cpu:
        s("model.override_config.attn_implementation", "sdpa")

    # ---------------------------------------------------------------- engine and optimiser
    s("engine.strategy", scale.strategy)
    s("engine.dtype", "float32" if scale.dtype in ("float32", "fp32") else "bfloat16")
    s("engine.mixed_precision", mixed_precision(scale.dtype))
    s("engine.use_torch_compile", not cpu)
    s("engine.seed", run.seed)
    s("engine.full_determinism", run.deterministic)
    s("optim.lr", sft.lr)
    s("optim.lr_warmup_steps_ratio", stage.warmup_ratio)
    s("optim.lr_scheduler_type", sft.lr_scheduler)
    s("optim.betas", list(stage.betas))
    s("optim.clip_grad", stage.grad_clip)

    # ---------------------------------------------------------------- checkpoints and trainer
    s("checkpoint.save_contents", ["model", "optimizer", "extra", "hf_model"])
    s("checkpoint.load_contents", ["model", "optimizer", "extra"])
    s("trainer.device", scale.device)
    s("trainer.nnodes", scale.nnodes)
    s("trainer.n_gpus_per_node", scale.gpus_per_node)
    s("trainer.total_epochs", stage.epochs if stage.total_steps is None else max(stage.epochs, 1000))
    s("trainer.total_training_steps", stage.total_steps)
    s("trainer.save_freq", stage.save_freq)
    s("trainer.test_freq", stage.test_freq)
    s("trainer.seed", run.seed)
    s("trainer.project_name", "lmmr1")
    s("trainer.experiment_name", f"{run.recipe}-{stage.name}")
    s("trainer.logger", ["file", *[name for name in run.loggers if name != "file"]])
    s("trainer.default_local_dir", str(dirs.checkpoints))
    s("trainer.resume_mode", "auto")
    s("trainer.balance_batch", not cpu)

    for dotted, value in (stage.verl or {}).items():
        s(str(dotted), value)
    return cfg


def stage_verl_config(run: RunConfig, stage: StageSpec, init_model: str, adapter: Optional[str] = None) -> DictConfig:
    """The verl config of any stage: the SFT trainer's for ``kind: sft``, the PPO trainer's otherwise.

    ``adapter``: the LoRA adapter folder the stage goes on training (``lora.continue_previous``), given to verl's
    FSDP engine as ``model.lora_adapter_path`` (it loads it with peft, trainable, instead of a new adapter)."""
    if stage.kind == "sft":
        cfg = to_verl_sft_config(run, stage, init_model)
        model = cfg.model
    else:
        cfg = to_verl_config(run, stage, init_model)
        model = cfg.actor_rollout_ref.model
    if adapter is not None:
        if not stage.lora.continue_previous:
            raise ValueError(f"stage {stage.name}: an adapter to continue was given without lora.continue_previous")
        model.lora_adapter_path = adapter
    return cfg


def is_sft_config(verl_cfg: DictConfig) -> bool:
    return "engine" in verl_cfg and "actor_rollout_ref" not in verl_cfg


def expected_steps(verl_cfg: DictConfig) -> Optional[int]:
    """Training steps verl will run for this config (for progress display), if it can be known."""
    if verl_cfg.trainer.total_training_steps:
        return int(verl_cfg.trainer.total_training_steps)
    from lmmr1.data.schema import parquet_row_count

    try:
        rows = parquet_row_count(list(verl_cfg.data.train_files))
    except Exception:  # remote or unreadable files: the step count is then unknown
        return None
    return max(1, rows // int(verl_cfg.data.train_batch_size)) * int(verl_cfg.trainer.total_epochs)


def to_yaml(cfg: DictConfig) -> str:
    """Render a verl config as YAML with interpolations resolved where they can be."""
    container = OmegaConf.to_container(cfg, resolve=False)
    resolved = OmegaConf.create(container)
    try:
        return OmegaConf.to_yaml(resolved, resolve=True)
    except Exception:  # '???' placeholders in sections verl does not use: print them unresolved
        return OmegaConf.to_yaml(resolved, resolve=False)
