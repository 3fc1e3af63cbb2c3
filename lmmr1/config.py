"""lmmr1's run configuration: typed, validated, paths made absolute, before anything starts.

Hydra composes YAML (``recipes/``); :func:`build_run_config` turns the result into a :class:`RunConfig`
once, up front, so that a typo, a missing file or an impossible setting fails in a second with a
message naming the key and the fix, not an hour later inside a Ray worker. The verl config is derived
from this in :mod:`lmmr1.verl_bridge` and nowhere else.

Stage settings are layered: the stage's own values < ``scale.stage_overrides`` < the stage's block
for the chosen scale (``stages.NAME.smoke`` / ``stages.NAME.paper``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Optional

from omegaconf import DictConfig, OmegaConf


class ConfigError(ValueError):
    """A configuration problem the user can fix; the message says what, where and how."""


@dataclass
class AlgorithmSpec:
    """RL estimator and its regularisation (LMM-R1: REINFORCE++-baseline or GAE, KL k1 in the reward)."""

    estimator: str = "reinforce_plus_plus_baseline"
    use_critic: bool = False
    kl_in_reward: bool = True
    kl_coef: float = 0.001
    kl_loss: bool = False
    clip_ratio: float = 0.2
    clip_ratio_high: Optional[float] = None
    loss_agg_mode: str = "token-mean"
    dynamic_sampling: bool = False


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
class StageSpec:
    """One RL stage of a curriculum, in lmmr1's vocabulary (not verl's)."""

    name: str
    init: str = "model"  # "model" (the run's model.path), "stage:NAME", or a path / hub id
    data: DataSpec = field(default_factory=DataSpec)
    reward: RewardSpec = field(default_factory=RewardSpec)
    algorithm: AlgorithmSpec = field(default_factory=AlgorithmSpec)
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
    agent_loops: dict[str, Any] = field(default_factory=dict)  # constructor kwargs per loop, e.g. {sokoban_online: {max_turns: 4}}
    verl: dict[str, Any] = field(default_factory=dict)  # raw verl overrides, dotted keys (escape hatch)


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
    model_path: str  # resolved: a local directory or a hub id
    model_name: str
    scale: ScaleSpec
    stages: list[StageSpec]
    seed: int
    dry_run: bool
    max_attempts: int
    ray_address: Optional[str]
    ray_num_cpus: int

    def stage(self, name: str) -> StageSpec:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(name)


_STAGE_KEYS = {f.name for f in fields(StageSpec)} | {"smoke", "paper"}


def _plain(value: Any) -> Any:
    if OmegaConf.is_config(value):
        return OmegaConf.to_container(value, resolve=True)
    return value


def _as_dict(node: Any) -> dict[str, Any]:
    return dict(_plain(node) or {})


def _build_dataclass(cls: type, values: dict[str, Any], where: str) -> Any:
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}. Valid keys: {', '.join(sorted(known))}."
        )
    return cls(**values)


def _as_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    raise ConfigError(f"{where}: expected a path or a list of paths, got {value!r}")


def _resolve_data_files(files: list[str], where: str, check: bool) -> list[str]:
    from lmmr1.samples import SAMPLE_PREFIX, resolve_data_path

    resolved = []
    split = "val" if where.endswith("val_files") else "train"
    for spec in files:
        if spec.startswith(SAMPLE_PREFIX):
            try:
                resolved.append(resolve_data_path(spec, split))
            except ValueError as exc:
                raise ConfigError(f"{where}: {exc}") from None
            continue
        if "://" in spec:  # hdfs://, s3:// ... verl copies these itself
            resolved.append(spec)
            continue
        path = Path(os.path.expanduser(spec)).absolute()
        if check and not path.exists():
            raise ConfigError(
                f"{where}: data file {path} does not exist. Prepare it with `lmmr1 data prepare ...` "
                "(see README, 'Paper-scale data'), or point the key at an existing parquet file."
            )
        resolved.append(str(path))
    return resolved


def stage_from_config(name: str, raw: dict[str, Any], scale_name: str, scale_overrides: dict[str, Any]) -> StageSpec:
    """Layer the stage's values, the scale's overrides and the stage's per-scale block."""
    where = f"stages.{name}"
    unknown = sorted(set(raw) - _STAGE_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}. Valid keys: {', '.join(sorted(_STAGE_KEYS))}."
        )
    merged: dict[str, Any] = {k: v for k, v in raw.items() if k not in ("smoke", "paper")}
    for layer_name, layer in (("scale.stage_overrides", scale_overrides), (f"{where}.{scale_name}", raw.get(scale_name) or {})):
        for key, value in layer.items():
            if key not in _STAGE_KEYS - {"smoke", "paper"}:
                raise ConfigError(f"{layer_name}: unknown stage key '{key}'")
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
    data = _build_dataclass(DataSpec, merged.pop("data", {}) or {}, f"{where}.data")
    data.train_files = _as_list(data.train_files, f"{where}.data.train_files")
    data.val_files = _as_list(data.val_files, f"{where}.data.val_files")
    reward = _build_dataclass(RewardSpec, merged.pop("reward", {}) or {}, f"{where}.reward")
    algorithm = merged.pop("algorithm", {}) or {}
    if not isinstance(algorithm, AlgorithmSpec):
        algorithm = _build_dataclass(AlgorithmSpec, algorithm, f"{where}.algorithm")
    if "betas" in merged:
        merged["betas"] = tuple(merged["betas"])
    stage = _build_dataclass(StageSpec, {"name": name, **merged}, where)
    stage.data, stage.reward, stage.algorithm = data, reward, algorithm
    return stage


def _check_stage(stage: StageSpec, order: list[str]) -> None:
    where = f"stages.{stage.name}"
    for key in ("rollout_batch_size", "n_samples", "max_prompt_length", "max_response_length", "epochs"):
        if getattr(stage, key) < 1:
            raise ConfigError(f"{where}.{key} must be >= 1, got {getattr(stage, key)}")
    if stage.total_steps is not None and stage.total_steps < 1:
        raise ConfigError(f"{where}.total_steps must be >= 1 or null, got {stage.total_steps}")
    if stage.mini_batch_size is not None and stage.rollout_batch_size % stage.mini_batch_size:
        raise ConfigError(
            f"{where}.mini_batch_size ({stage.mini_batch_size}) must divide rollout_batch_size ({stage.rollout_batch_size})"
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


def resolve_model_path(spec: str, *, build: bool) -> str:
    """``tiny:KIND`` -> the offline-built tiny model; a local path must exist; else a hub id."""
    if spec.startswith("tiny:"):
        from lmmr1.tiny_models import KINDS, ensure_tiny_model, model_dir

        kind = spec[len("tiny:") :]
        if kind not in KINDS:
            raise ConfigError(f"model.path={spec}: unknown tiny model; choose one of tiny:{', tiny:'.join(KINDS)}")
        return ensure_tiny_model(kind) if build else str(model_dir(kind))
    expanded = os.path.expanduser(spec)
    looks_local = spec.startswith(("/", ".", "~")) or os.sep in spec and spec.count("/") != 1
    if os.path.isdir(expanded):
        return str(Path(expanded).absolute())
    if looks_local:
        raise ConfigError(
            f"model.path={spec}: no such directory. Pass a directory with config.json and weights, "
            "a hub id such as Qwen/Qwen2.5-VL-3B-Instruct, or tiny:qwen2 / tiny:qwen2_5_vl."
        )
    return spec  # a hub id; verl resolves (and, with hub access, downloads) it


def build_run_config(cfg: DictConfig, *, check_files: bool = True, build_models: bool = True) -> RunConfig:
    """Validate the composed Hydra config and produce the typed :class:`RunConfig`."""
    recipe = cfg.recipe.name
    order = list(cfg.curriculum)
    if not order:
        raise ConfigError("the recipe defines no curriculum: set `curriculum: [stage, ...]` in the recipe")
    stages_raw = _as_dict(cfg.stages)
    missing = [name for name in order if name not in stages_raw]
    if missing:
        raise ConfigError(f"curriculum names stage(s) {missing} that are not defined under `stages:`")
    scale_raw = _as_dict(cfg.scale)
    scale_overrides = scale_raw.pop("stage_overrides", {}) or {}
    scale = _build_dataclass(ScaleSpec, scale_raw, "scale")

    data_cfg = cfg.get("data") or {}
    override_train = data_cfg.get("train_files")
    override_val = data_cfg.get("val_files")
    if (override_train or override_val) and len(order) > 1:
        raise ConfigError(
            "data.train_files/data.val_files apply to single-stage recipes only; this curriculum has stages "
            f"{order}. Set stages.NAME.data.train_files=[...] instead."
        )

    stages: list[StageSpec] = []
    for name in order:
        stage = stage_from_config(name, stages_raw[name], scale.name, scale_overrides)
        if override_train:
            stage.data.train_files = _as_list(_plain(override_train), "data.train_files")
        if override_val:
            stage.data.val_files = _as_list(_plain(override_val), "data.val_files")
        _check_stage(stage, order)
        stage.data.train_files = _resolve_data_files(stage.data.train_files, f"stages.{name}.data.train_files", check_files)
        if not stage.data.val_files:
            stage.data.val_files = list(stage.data.train_files)
        stage.data.val_files = _resolve_data_files(stage.data.val_files, f"stages.{name}.data.val_files", check_files)
        stages.append(stage)

    model_spec = cfg.model.path
    if not model_spec:
        raise ConfigError("model.path is not set: pass model=NAME (see recipes/model/) or model.path=/path")
    model_path = resolve_model_path(str(model_spec), build=build_models)

    output_dir = Path(os.path.expanduser(str(cfg.output_dir)))
    if not output_dir.is_absolute():
        output_dir = Path(os.environ.get("LMMR1_LAUNCH_DIR", os.getcwd())) / output_dir
    address = cfg.ray.get("address") or os.environ.get("RAY_ADDRESS") or None
    return RunConfig(
        recipe=recipe,
        output_dir=output_dir.absolute(),
        model_path=model_path,
        model_name=str(cfg.model.name),
        scale=scale,
        stages=stages,
        seed=int(cfg.seed),
        dry_run=bool(cfg.dry_run),
        max_attempts=max(1, int(cfg.max_attempts)),
        ray_address=address,
        ray_num_cpus=int(cfg.ray.num_cpus),
    )
