"""The values lmmr1 itself accepts: stage settings, the scale, the top-level keys, the loggers.

A typo, a wrong type or an impossible setting fails here in a second with a message naming the key, the
value and what is accepted, not an hour later inside a Ray worker. Settings owned elsewhere (a reward's
arguments, a benchmark, an agent loop's settings, data files, raw verl keys) are checked by their owners;
:func:`lmmr1.run.settings.build_run_config` runs them all.
"""

from __future__ import annotations

import json
from dataclasses import fields
from importlib import resources
from typing import Any, Optional

from omegaconf import DictConfig, OmegaConf

from lmmr1.config.layering import _plain, _unknown
from lmmr1.config.schema import (
    _HINTS,
    _RL_ONLY,
    _SFT_ONLY,
    _SHARED_LAYERS,
    CRITIC_ESTIMATORS,
    ESTIMATORS,
    LOSS_AGG_MODES,
    POLICY_LOSSES,
    SCALE_DEVICES,
    SCALE_DTYPES,
    SCALE_ENGINES,
    SCALE_STRATEGIES,
    SFT_SCHEDULERS,
    SFT_TRUNCATION,
    STAGE_KINDS,
    TURN_ESTIMATORS,
    TURN_SETTINGS_USED,
    VERL_LOGGERS,
    AlgorithmSpec,
    ConfigError,
    ScaleSpec,
    StageSpec,
)
from lmmr1.typecheck import SettingError, close_match, coerce


def _explicit(stage: StageSpec, prefixes: tuple[str, ...]) -> list[str]:
    """Settings starting with ``prefixes`` that this stage's own layers set (not a shared layer)."""
    return sorted(
        key
        for key, layer in stage.provenance.items()
        if key.startswith(prefixes) and not layer.startswith(_SHARED_LAYERS)
    )


def _check_kind(stage: StageSpec) -> None:
    where = f"stages.{stage.name}"
    if stage.kind not in STAGE_KINDS:
        raise ConfigError(
            f"{where}.kind = {stage.kind!r}{close_match(stage.kind, STAGE_KINDS)}; accepted: "
            "rl (rule-based RL, verl's PPO trainer), sft (supervised fine-tuning on chat data)"
        )
    wrong = _explicit(stage, _RL_ONLY if stage.kind == "sft" else _SFT_ONLY)
    if wrong:
        other = "rl" if stage.kind == "sft" else "sft"
        hint = "sft.lr" if "actor_lr" in wrong else ""
        raise ConfigError(
            f"{where} is a kind '{stage.kind}' stage; {', '.join(wrong)} only apply to kind '{other}' stages"
            + (f" (the SFT learning rate is {where}.{hint})" if hint else "")
            + ". Remove them, or set kind accordingly."
        )


def _check_sft(stage: StageSpec) -> None:
    where, sft = f"stages.{stage.name}.sft", stage.sft
    for key in ("batch_size", "micro_batch_size", "max_length"):
        if getattr(sft, key) < 1:
            raise ConfigError(f"{where}.{key} must be >= 1, got {getattr(sft, key)}")
    if sft.lr <= 0:
        raise ConfigError(f"{where}.lr must be > 0, got {sft.lr}")
    if sft.micro_batch_size > sft.batch_size:
        raise ConfigError(f"{where}.micro_batch_size ({sft.micro_batch_size}) exceeds batch_size ({sft.batch_size})")
    if sft.lr_scheduler not in SFT_SCHEDULERS:
        raise ConfigError(f"{where}.lr_scheduler = {sft.lr_scheduler!r}; accepted: {', '.join(SFT_SCHEDULERS)}")
    if sft.truncation not in SFT_TRUNCATION:
        raise ConfigError(f"{where}.truncation = {sft.truncation!r}; accepted: {', '.join(SFT_TRUNCATION)}")


def _check_lora(stage: StageSpec) -> None:
    where, lora = f"stages.{stage.name}.lora", stage.lora
    if lora.rank < 0 or lora.alpha <= 0:
        raise ConfigError(
            f"{where}: rank must be >= 0 (0 = off; typical 8 to 64) and alpha > 0 (got rank={lora.rank}, alpha={lora.alpha})"
        )
    modules = lora.target_modules
    if not (isinstance(modules, str) and modules) and not (
        isinstance(modules, (list, tuple)) and modules and all(isinstance(m, str) and m for m in modules)
    ):
        raise ConfigError(
            f"{where}.target_modules = {modules!r}: expected 'all-linear' or a list of module names "
            "(e.g. [q_proj, k_proj, v_proj, o_proj])"
        )
    if lora.dropout != 0:
        raise ConfigError(
            f"{where}.dropout = {lora.dropout}: verl 0.9.1's FSDP engine builds peft's LoraConfig without a dropout, "
            "so only 0 would take effect; accepted: 0"
        )
    if not lora.rank or stage.kind == "sft":
        return
    if stage.algorithm.use_critic:
        raise ConfigError(
            f"{where}.rank = {lora.rank} with a critic (algorithm.estimator {stage.algorithm.estimator!r}): lmmr1 puts "
            "adapters on the actor only, and a full-size critic would train beside it; use a critic-free estimator "
            "(algorithm=grpo, reinforce_pp_baseline, dapo, ...) or lora.rank=0"
        )
    if lora.vision_tower and stage.freeze_vision_tower:
        raise ConfigError(
            f"{where}.vision_tower = true asks for adapters in the vision tower, but "
            f"stages.{stage.name}.freeze_vision_tower = true freezes it; set one of them to false"
        )


def check_adapter_continuation(stage: StageSpec, earlier: dict[str, StageSpec]) -> None:
    """``lora.continue_previous`` needs a LoRA stage to start from whose adapter has this stage's shape."""
    lora, where = stage.lora, f"stages.{stage.name}.lora.continue_previous"
    if not lora.continue_previous:
        return
    if not lora.rank:
        raise ConfigError(f"{where}: this stage trains no adapter (lora.rank = 0); set lora.rank or drop the key")
    source = earlier.get(stage.init[len("stage:") :]) if stage.init.startswith("stage:") else None
    if source is None:
        raise ConfigError(
            f"{where}: the stage starts from {stage.init!r}; an adapter can only be continued from an earlier "
            "stage (init: stage:NAME)"
        )
    if not source.lora.rank:
        raise ConfigError(f"{where}: stage {source.name!r} trains no adapter (its lora.rank is 0)")
    keys = ("rank", "alpha", "target_modules", "vision_tower")
    differ = [
        f"{k} {getattr(source.lora, k)!r} -> {getattr(lora, k)!r}"
        for k in keys
        if getattr(source.lora, k) != getattr(lora, k)
    ]
    if differ:
        raise ConfigError(
            f"{where}: the adapter of stage {source.name!r} has other settings ({'; '.join(differ)}); "
            f"give stages.{stage.name}.lora the same rank, alpha, target_modules and vision_tower"
        )


def check_stage(stage: StageSpec, order: list[str]) -> None:
    """lmmr1's own checks of one stage's values (kind, ranges, algorithm, init order, data present)."""
    where = f"stages.{stage.name}"
    _check_kind(stage)
    if stage.kind == "sft":
        _check_sft(stage)
    _check_lora(stage)
    for key in ("rollout_batch_size", "n_samples", "max_prompt_length", "max_response_length", "epochs"):
        if getattr(stage, key) < 1:
            raise ConfigError(f"{where}.{key} must be >= 1, got {getattr(stage, key)}")
    for key in ("actor_lr", "critic_lr"):
        if getattr(stage, key) <= 0:
            raise ConfigError(f"{where}.{key} must be > 0, got {getattr(stage, key)}")
    if not 0 <= stage.warmup_ratio < 1:
        raise ConfigError(f"{where}.warmup_ratio must be in [0, 1), got {stage.warmup_ratio}")
    if not 0 < stage.top_p <= 1:
        raise ConfigError(f"{where}.top_p must be in (0, 1], got {stage.top_p}")
    if stage.temperature < 0:
        raise ConfigError(f"{where}.temperature must be >= 0, got {stage.temperature}")
    if stage.total_steps is not None and stage.total_steps < 1:
        raise ConfigError(f"{where}.total_steps must be >= 1 or null, got {stage.total_steps}")
    if stage.mini_batch_size is not None and (
        stage.mini_batch_size < 1 or stage.rollout_batch_size % stage.mini_batch_size
    ):
        raise ConfigError(
            f"{where}.mini_batch_size ({stage.mini_batch_size}) must divide rollout_batch_size ({stage.rollout_batch_size})"
        )
    algo = stage.algorithm
    if algo.estimator not in (*ESTIMATORS, *TURN_ESTIMATORS):
        known = (*ESTIMATORS, *TURN_ESTIMATORS)
        raise ConfigError(
            f"{where}.algorithm.estimator = {algo.estimator!r}: not an advantage estimator"
            f"{close_match(algo.estimator, known)}. Accepted: {', '.join(known)}."
        )
    used = TURN_SETTINGS_USED.get(algo.estimator, ())
    unused = [
        key
        for key in ("turn_gamma", "turn_lambda", "step_weight", "std_normalize")
        if key not in used and getattr(algo, key) != getattr(AlgorithmSpec, key)
    ]
    if unused:
        users = "; ".join(f"{name}: {', '.join(keys)}" for name, keys in TURN_SETTINGS_USED.items())
        raise ConfigError(
            f"{where}.algorithm: {', '.join(unused)} set, but estimator {algo.estimator!r} does not use "
            f"{'it' if len(unused) == 1 else 'them'} (the turn-level settings by estimator: {users})"
        )
    if not (0 <= algo.turn_gamma <= 1 and 0 <= algo.turn_lambda <= 1) or algo.step_weight < 0:
        raise ConfigError(
            f"{where}.algorithm: turn_gamma and turn_lambda must be in [0, 1] and step_weight >= 0 (got "
            f"turn_gamma={algo.turn_gamma}, turn_lambda={algo.turn_lambda}, step_weight={algo.step_weight})"
        )
    if algo.loss_agg_mode not in LOSS_AGG_MODES:
        raise ConfigError(
            f"{where}.algorithm.loss_agg_mode = {algo.loss_agg_mode!r}"
            f"{close_match(algo.loss_agg_mode, LOSS_AGG_MODES)}. Accepted: {', '.join(LOSS_AGG_MODES)}."
        )
    if algo.policy_loss not in POLICY_LOSSES:
        raise ConfigError(
            f"{where}.algorithm.policy_loss = {algo.policy_loss!r}: not a verl policy loss"
            f"{close_match(algo.policy_loss, POLICY_LOSSES)}. Accepted: {', '.join(POLICY_LOSSES)}."
        )
    if not 0 <= algo.overlong_buffer < 1 or algo.overlong_penalty < 0:
        raise ConfigError(
            f"{where}.algorithm: overlong_buffer is the share of max_response_length where the length penalty "
            f"ramps, in [0, 1) (0 = off; DAPO: 0.2), and overlong_penalty must be >= 0 (got overlong_buffer="
            f"{algo.overlong_buffer}, overlong_penalty={algo.overlong_penalty})"
        )
    if (algo.estimator in CRITIC_ESTIMATORS) != algo.use_critic:
        raise ConfigError(
            f"{where}.algorithm: estimator {algo.estimator!r} with use_critic={algo.use_critic}: "
            f"{' and '.join(CRITIC_ESTIMATORS)} need a critic and the other estimators do not use one; use "
            "algorithm=gae or algorithm=turn_gae, or set algorithm.use_critic accordingly."
        )
    if algo.kl_coef < 0 or algo.clip_ratio <= 0 or (algo.clip_ratio_high is not None and algo.clip_ratio_high <= 0):
        raise ConfigError(
            f"{where}.algorithm: kl_coef must be >= 0 and clip ratios > 0 (got kl_coef={algo.kl_coef}, "
            f"clip_ratio={algo.clip_ratio}, clip_ratio_high={algo.clip_ratio_high})"
        )
    if stage.init.startswith("stage:"):
        source = stage.init[len("stage:") :]
        if source not in order or order.index(source) >= order.index(stage.name):
            raise ConfigError(
                f"{where}.init = '{stage.init}': stage '{source}' must come earlier in the curriculum {order}"
            )
    if not stage.data.train_files:
        raise ConfigError(
            f"{where}.data.train_files is empty: this dataset has no bundled sample at this scale. "
            "Prepare the data (`lmmr1 data prepare ...`) and set it, e.g. "
            f"stages.{stage.name}.data.train_files=[/path/train.parquet]"
        )


def check_scale(cfg: DictConfig) -> tuple[ScaleSpec, dict[str, Any]]:
    """The typed ``scale`` block and its ``stage_overrides`` (which layer into every stage)."""
    raw = dict(_plain(cfg.scale) or {})
    overrides = raw.pop("stage_overrides", None) or {}
    names = [f.name for f in fields(ScaleSpec)]
    for key in raw:
        if key not in names:
            raise _unknown(key, "scale", [*names, "stage_overrides"])
    missing = [n for n in names if n not in raw]
    if missing:
        raise ConfigError(f"scale: missing key(s) {', '.join(missing)} (recipes/scale/*.yaml)")
    typed = {}
    for key, value in raw.items():
        try:
            typed[key] = coerce(value, _HINTS[ScaleSpec][key], f"scale.{key}")
        except SettingError as exc:
            raise ConfigError(str(exc)) from None
    for key in ("nnodes", "gpus_per_node", "tensor_parallel", "micro_batch_per_gpu"):
        if typed[key] < 1:
            raise ConfigError(f"scale.{key} = {typed[key]}: must be 1 or more")
    if not 0 < typed["gpu_memory_utilization"] <= 1:
        raise ConfigError(
            f"scale.gpu_memory_utilization = {typed['gpu_memory_utilization']}: a fraction of each GPU's memory, in (0, 1]"
        )
    for key, accepted in (("device", SCALE_DEVICES), ("rollout_engine", SCALE_ENGINES), ("strategy", SCALE_STRATEGIES)):
        if typed[key] not in accepted:
            raise ConfigError(
                f"scale.{key} = {typed[key]!r}{close_match(str(typed[key]), accepted)}; accepted: {', '.join(accepted)}"
            )
    if typed["dtype"] not in SCALE_DTYPES:
        raise ConfigError(
            f"scale.dtype = {typed['dtype']!r}: the training precision; accepted: {', '.join(SCALE_DTYPES)} "
            "(float32 at smoke scale, bfloat16 on GPUs)"
        )
    return ScaleSpec(**typed), overrides


# Keys lmmr1 reads outside ``stages`` (checked by layer_stage) and ``scale`` (checked by _scale). Everything
# else in the composed config, whether a recipe file or a ``+key=...`` on the command line put it there, is
# refused: Hydra accepts any ``+`` key, and a misspelt one (``+deterministc=true``) silently changes the run.
_GROUP_KEYS: dict[str, Optional[tuple[str, ...]]] = {
    "model": ("name", "path"),
    "data": ("name", "root", "train_files", "val_files", "datasets"),
    "algorithm": tuple(f.name for f in fields(AlgorithmSpec)),
    "stages": None,  # per-stage checks name the stage
    "scale": None,
    "curriculum": None,
    "logger": None,
}


def _primary_keys() -> dict[str, Optional[tuple[str, ...]]]:
    """Top-level keys (and the keys of ``ray`` and ``recipe``) as ``recipes/config.yaml`` declares them."""
    text = (resources.files("lmmr1.recipes") / "config.yaml").read_text(encoding="utf-8")
    primary = OmegaConf.to_container(OmegaConf.create(text), resolve=False)
    assert isinstance(primary, dict)
    known: dict[str, Optional[tuple[str, ...]]] = {}
    for key, value in primary.items():
        if key in ("defaults", "hydra"):
            continue
        known[str(key)] = tuple(str(k) for k in value) if isinstance(value, dict) and value else None
    known.update(_GROUP_KEYS)
    return known


def _uses_root(data: Any) -> bool:
    """Whether a data group's dataset paths are built from ``${data.root}``."""
    raw = OmegaConf.to_container(data, resolve=False) if OmegaConf.is_config(data) else data
    return "${data.root}" in json.dumps(raw)


def check_known_keys(cfg: DictConfig) -> None:
    """Every key of the composed config is one lmmr1 reads, at every level; else a did-you-mean."""
    known = _primary_keys()
    for key in cfg.keys():
        key = str(key)
        if key == "hydra":
            continue
        if key not in known:
            raise _unknown(key, "config", list(known))
        sub = known[key]
        node = cfg.get(key)
        if sub is None or not OmegaConf.is_dict(node):
            continue
        for child in node.keys():
            if str(child) not in sub:
                raise _unknown(f"{key}.{child}", key, list(sub))
    data = cfg.get("data") or {}
    if data.get("root") is not None and not _uses_root(data):
        raise ConfigError(
            f"data.root = {data.get('root')!r}: data={data.get('name')} does not read it (the bundled samples need "
            "no folder). Add data=lmm_r1 to train on prepared files under data.root."
        )
    datasets = data.get("datasets") or {}
    for name, entry in datasets.items():
        if OmegaConf.is_dict(entry):
            for child in entry.keys():
                if str(child) not in ("train", "val"):
                    raise _unknown(f"data.datasets.{name}.{child}", f"data.datasets.{name}", ["train", "val"])


def check_loggers(value: Any) -> tuple[str, ...]:
    """``logger=[console,tensorboard]``: known to verl and importable here, else a ConfigError saying how."""
    import importlib.util

    names = [value] if isinstance(value, str) else list(value or [])
    for name in names:
        if name not in VERL_LOGGERS:
            raise ConfigError(
                f"logger: {name!r} is not a verl tracking backend{close_match(str(name), list(VERL_LOGGERS))}; "
                f"accepted: {', '.join(VERL_LOGGERS)}"
            )
        package = VERL_LOGGERS[name]
        if package and importlib.util.find_spec(package) is None:
            raise ConfigError(f"logger: {name} needs the '{package}' package: .venv/bin/pip install {package}")
    return tuple(dict.fromkeys(str(n) for n in names))
