"""The composed Hydra config -> a typed, layered :class:`RunConfig` with lmmr1's own checks passed.

Composition has no side effects: it reads configs and nothing else. Bundled samples (``sample:NAME``) and
tiny models (``tiny:KIND``) stay as specs here and are written when a run starts (:mod:`lmmr1.run.inputs`).
The owners' checks (rewards, benchmarks, agent loops, files, verl keys) run after this, in
:func:`lmmr1.run.settings.build_run_config`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

from omegaconf import DictConfig, OmegaConf

from lmmr1.config.checks import (
    check_adapter_continuation,
    check_known_keys,
    check_loggers,
    check_scale,
    check_stage,
)
from lmmr1.config.layering import _plain, build_stage, layer_stage, parse_user_overrides
from lmmr1.config.schema import ConfigError, RunConfig, StageSpec, stage_block_name
from lmmr1.outputs import OutputError, check_output_dir
from lmmr1.typecheck import SettingError, close_match, coerce


def _absolute_files(files: list[str]) -> list[str]:
    out = []
    for spec in files:
        if spec.startswith("sample:") or "://" in spec:
            out.append(spec)
        else:
            out.append(str(Path(os.path.expanduser(spec)).absolute()))
    return out


def resolve_model_path(spec: str) -> str:
    """A local folder (made absolute; it must exist), ``tiny:KIND`` (kept: built when the run starts, its
    kind checked by :func:`lmmr1.run.inputs.check_model_spec`) or a hub id (kept)."""
    if spec.startswith("tiny:"):
        return spec
    expanded = os.path.expanduser(spec)
    looks_local = spec.startswith(("/", ".", "~")) or os.sep in spec and spec.count("/") != 1
    if os.path.isdir(expanded):
        return str(Path(expanded).absolute())
    if looks_local:
        raise ConfigError(
            f"model.path={spec}: no such directory. Pass a directory with config.json and weights, "
            "a hub id such as Qwen/Qwen2.5-VL-3B-Instruct, or tiny:qwen2 / tiny:qwen2_5_vl / tiny:qwen3_vl."
        )
    return spec  # a hub id; verl resolves (and, with hub access, downloads) it


def ray_address(cfg: DictConfig) -> Optional[str]:
    """The cluster a run joins: ``ray.address``, else Ray's own ``RAY_ADDRESS``, else None (a local Ray)."""
    return cfg.ray.get("address") or os.environ.get("RAY_ADDRESS") or None


def compose_run_config(cfg: DictConfig, overrides: Optional[list[str]] = None) -> RunConfig:
    """Validate the composed Hydra config and produce the typed :class:`RunConfig`.

    ``overrides`` are the command-line overrides as the user typed them (``HydraConfig...overrides.task``);
    they are the top layer of every stage setting. Reads configs only: writes nothing, builds nothing.
    """
    check_known_keys(cfg)
    user = parse_user_overrides(overrides or [])
    recipe = cfg.recipe.name
    if not OmegaConf.is_list(cfg.curriculum):
        raise ConfigError(f"curriculum = {_plain(cfg.curriculum)!r}: expected a list of stage names, e.g. [fre_text]")
    if not OmegaConf.is_dict(cfg.stages):
        raise ConfigError(f"stages = {_plain(cfg.stages)!r}: expected a mapping of stage name -> stage settings")
    order = [str(s) for s in cfg.curriculum]
    if not order:
        raise ConfigError("the recipe defines no curriculum: set `curriculum: [stage, ...]` in the recipe")
    stages_raw = dict(_plain(cfg.stages) or {})
    missing = [name for name in order if name not in stages_raw]
    if missing:
        raise ConfigError(f"curriculum names stage(s) {missing} that are not defined under `stages:`")
    for stage_name in user.stage_keys:
        if stage_name not in order:
            raise ConfigError(
                f"stages.{stage_name}: this recipe has no such stage{close_match(stage_name, order)}; "
                f"its stages are {', '.join(order)}"
            )
    scale, scale_overrides = check_scale(cfg)
    default_algorithm = dict(_plain(cfg.algorithm) or {})

    data_cfg = cfg.get("data") or {}
    for key in ("train_files", "val_files"):
        value = _plain(data_cfg.get(key))
        if value is not None and not value:
            raise ConfigError(
                f"data.{key} = {value!r}: empty; give at least one file, or drop the key to use the recipe's"
            )
    data_override = {key: _plain(data_cfg.get(key)) for key in ("train_files", "val_files") if data_cfg.get(key)}
    if data_override and len(order) > 1:
        raise ConfigError(
            "data.train_files/data.val_files apply to single-stage recipes only; this curriculum has stages "
            f"{order}. Set stages.NAME.data.train_files=[...] instead."
        )

    stages: list[StageSpec] = []
    for name in order:
        values, origin = layer_stage(
            name,
            stages_raw[name],
            scale.name,
            scale_overrides,
            default_algorithm,
            user,
            cfg,
            block_name=stage_block_name(scale.name, scale.device),
        )
        for key, value in data_override.items():
            values[f"data.{key}"] = value
            origin[f"data.{key}"] = "command line" if f"data.{key}" in user.data_keys else "data group"
        stage = build_stage(name, values, origin)
        stage.data.train_files = _absolute_files(stage.data.train_files)
        if not stage.data.val_files:
            stage.data.val_files = list(stage.data.train_files)
            stage.provenance["data.val_files"] = (
                stage.provenance.get("data.train_files", "default") + " (= train_files)"
            )
        stage.data.val_files = _absolute_files(stage.data.val_files)
        check_stage(stage, order)
        check_adapter_continuation(stage, {s.name: s for s in stages})
        if stage.init not in ("model",) and not stage.init.startswith("stage:"):
            stage.init = resolve_model_path(stage.init)
        stages.append(stage)

    model_spec = cfg.model.path
    if not model_spec:
        raise ConfigError("model.path is not set: pass model=NAME (see recipes/model/) or model.path=/path")
    model_path = resolve_model_path(str(model_spec))

    if cfg.output_dir is None or not str(cfg.output_dir).strip():
        raise ConfigError("output_dir is empty: give the folder a run writes to, e.g. output_dir=runs/my_run")
    output_dir = Path(os.path.expanduser(str(cfg.output_dir)))
    if not output_dir.is_absolute():
        output_dir = Path(os.environ.get("LMMR1_LAUNCH_DIR", os.getcwd())) / output_dir
    try:
        check_output_dir(output_dir, "output_dir")  # a dry run refuses it too: the real run would fail
    except OutputError as exc:
        raise ConfigError(str(exc)) from None
    address = ray_address(cfg)
    top = {
        "seed": (cfg.seed, int),
        "dry_run": (cfg.dry_run, bool),
        "explain": (cfg.get("explain", False), bool),
        "verbose": (cfg.get("verbose", False), bool),
        "deterministic": (cfg.get("deterministic", False), bool),
        "max_attempts": (cfg.max_attempts, int),
        "ray.num_cpus": (cfg.ray.num_cpus, int),
        "ray.wait_for_resources": (cfg.ray.get("wait_for_resources", False), bool),
    }
    checked = {}
    for key, (value, kind) in top.items():
        try:
            checked[key] = coerce(value, kind, key)
        except SettingError as exc:
            raise ConfigError(str(exc)) from None
    for key, low in (("max_attempts", 1), ("ray.num_cpus", 1)):
        if checked[key] < low:
            raise ConfigError(f"{key} = {checked[key]}: must be {low} or more")
    restart_from = _plain(cfg.get("restart_from", None))
    if restart_from is not None and restart_from not in order:
        raise ConfigError(
            f"restart_from = {restart_from!r}: not a stage of this recipe{close_match(str(restart_from), order)}; "
            f"its stages are {', '.join(order)}"
        )
    loggers = check_loggers(_plain(cfg.get("logger", ["console"])))
    log_responses = coerce(cfg.get("log_responses", 4000), int, "log_responses")
    if log_responses < 0:
        raise ConfigError(f"log_responses = {log_responses}: characters per response to keep, 0 or more")
    log_tokens = coerce(cfg.get("log_tokens", 8), int, "log_tokens")
    if log_tokens < 0:
        raise ConfigError(f"log_tokens = {log_tokens}: responses a step whose tokens are logged, 0 or more")
    for stage in stages:
        if log_tokens and _truthy(stage.verl.get("algorithm.rollout_correction.bypass_mode")):
            raise ConfigError(
                f"stages.{stage.name}.verl.algorithm.rollout_correction.bypass_mode: verl then reuses the rollout's "
                "log-probs and computes no entropy, so the token log (log_tokens) would stay empty; "
                "set log_tokens=0 or leave bypass_mode off"
            )
    on_change = _plain(cfg.get("on_settings_change", "error"))
    if on_change not in ("error", "keep"):
        raise ConfigError(
            f"on_settings_change = {on_change!r}: accepted: error (refuse to resume a stage started "
            "under other settings), keep (resume it anyway, saying what changed)"
        )
    return RunConfig(
        on_settings_change=on_change,
        restart_from=restart_from,
        recipe=recipe,
        output_dir=output_dir.absolute(),
        model_path=model_path,
        model_name=str(cfg.model.name),
        scale=scale,
        stages=stages,
        seed=checked["seed"],
        dry_run=checked["dry_run"],
        explain=checked["explain"],
        verbose=checked["verbose"],
        deterministic=checked["deterministic"],
        max_attempts=max(1, checked["max_attempts"]),
        ray_address=address,
        ray_num_cpus=checked["ray.num_cpus"],
        ray_wait_for_resources=checked["ray.wait_for_resources"],
        loggers=loggers,
        log_responses=log_responses,
        log_tokens=log_tokens,
    )


def _truthy(value: Any) -> bool:
    """A raw verl override's boolean as Hydra may hand it over (a bool or its spelling)."""
    return value is True or str(value).lower() in ("true", "1", "yes")
