"""lmmr1's run configuration: typed, validated, layered with provenance, before anything starts.

Hydra composes YAML (``recipes/``); :func:`build_run_config` turns the result into a :class:`RunConfig`
once, up front, so that a typo, a wrong type or an impossible setting fails in a second with a message
naming the key, the value and what is accepted, not an hour later inside a Ray worker. The verl config is
derived from this in :mod:`lmmr1.verl.bridge` and nowhere else.

**One precedence rule** for every stage setting (later wins)::

    default < recipe stage < scale.stage_overrides < the stage's own block for the scale
            (stages.NAME.smoke / stages.NAME.paper) < what the user typed on the command line

What the user typed is read from the command-line overrides themselves (``stages.S.key=...``,
``scale.stage_overrides.key=...``, ``algorithm=NAME``, ``algorithm.key=...``), so an explicit override
wins at every scale. ``algorithm=NAME`` applies that preset to every stage; ``stages.S.algorithm=NAME``
to one. Every value keeps the layer that set it (:attr:`StageSpec.provenance`, ``explain=true``).

Composition has no side effects: it reads configs and nothing else. Bundled samples (``sample:NAME``) and
tiny models (``tiny:KIND``) stay as specs here and are written when a run starts (:mod:`lmmr1.run.inputs`).
"""

from __future__ import annotations

import json
import os
import typing
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Optional

from omegaconf import DictConfig, OmegaConf

from lmmr1.errors import UserError
from lmmr1.typecheck import SettingError, close_match, coerce


class ConfigError(UserError, ValueError):
    """A configuration problem the user can fix; the message says what, where and how."""


# verl 0.9.1's policy-loss aggregation modes (verl/trainer/ppo/core_algos.py::agg_loss)
LOSS_AGG_MODES = ("token-mean", "seq-mean-token-sum", "seq-mean-token-mean", "seq-mean-token-sum-norm")
# verl 0.9.1 advantage estimators lmmr1 wires (verl/trainer/ppo/core_algos.py::AdvantageEstimator)
ESTIMATORS = ("reinforce_plus_plus_baseline", "reinforce_plus_plus", "grpo", "gae", "rloo", "remax", "opo", "gpg")
SCALE_BLOCKS = ("smoke", "paper")
# training precisions a scale may name (lmmr1.verl.bridge.mixed_precision maps them onto verl's FSDP block)
SCALE_DTYPES = ("float32", "fp32", "bfloat16", "bf16")
SCALE_DEVICES = ("cpu", "cuda")
# hf: lmmr1's HF-generate rollout (CPU runs); vllm / sglang: verl's GPU rollout servers
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
}
# dict-valued settings whose keys are free: how many levels below the setting are separate leaves
# (None: every level, for raw verl keys written nested or dotted)
_FREE_DEPTH: dict[str, Optional[int]] = {"reward.kwargs": 1, "reward.by_source": 1, "agent_loops": 2, "verl": None}
_STAGE_FIELDS = {f.name: f for f in fields(StageSpec) if f.name not in ("name", "provenance")}
STAGE_SETTING_NAMES = tuple(_STAGE_FIELDS)
_HINTS = {
    cls: typing.get_type_hints(cls)
    for cls in (StageSpec, DataSpec, RewardSpec, AlgorithmSpec, ScaleSpec, ValidationSpec, SFTSpec)
}

Leaf = tuple[str, Any]  # (dotted setting, value)


def algorithm_presets() -> list[str]:
    """Names of the presets in ``recipes/algorithm/`` (the ``algorithm=NAME`` choices)."""
    folder = resources.files("lmmr1.recipes") / "algorithm"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_algorithm_preset(name: Any, where: str) -> dict[str, Any]:
    presets = algorithm_presets()
    if not isinstance(name, str) or name not in presets:
        raise ConfigError(
            f"{where} = {name!r}: unknown algorithm preset{close_match(str(name), presets)}. "
            f"Accepted: {', '.join(presets)} (recipes/algorithm/)."
        )
    text = (resources.files("lmmr1.recipes") / "algorithm" / f"{name}.yaml").read_text(encoding="utf-8")
    values = OmegaConf.to_container(OmegaConf.create(text), resolve=True)
    assert isinstance(values, dict)
    values["preset"] = name
    return values


def _preset_leaves(name: Any, where: str) -> list[Leaf]:
    """Every algorithm field: the preset's value, else the dataclass default (a preset is complete)."""
    values = load_algorithm_preset(name, where)
    out: list[Leaf] = []
    for f in fields(AlgorithmSpec):
        if f.name in values:
            out.append((f"algorithm.{f.name}", values.pop(f.name)))
        else:
            out.append((f"algorithm.{f.name}", f.default))
    if values:
        raise ConfigError(f"recipes/algorithm/{name}.yaml: unknown key(s) {', '.join(sorted(values))}")
    return out


def _unknown(key: str, where: str, candidates: list[str]) -> ConfigError:
    return ConfigError(
        f"{where}: unknown key '{key}'{close_match(key.rsplit('.', 1)[-1], candidates)}. "
        f"Valid keys: {', '.join(sorted(candidates))}."
    )


def _free_leaves(base: str, rest: list[str], value: Any, depth: Optional[int], where: str) -> list[Leaf]:
    full = ".".join([base, *rest])
    want_more = depth is None or len(rest) < depth
    if want_more and isinstance(value, Mapping):
        if not value and rest:
            return [(full, {})]
        out: list[Leaf] = []
        for k, v in value.items():
            out += _free_leaves(base, [*rest, str(k)], v, depth, where)
        return out
    if depth is not None and len(rest) < depth:
        if not rest:
            raise ConfigError(f"{where}.{base} = {value!r}: expected a mapping")
        raise ConfigError(f"{where}.{full} = {value!r}: expected a mapping of settings")
    return [(full, value)]


def setting_leaves(path: str, value: Any, where: str) -> list[Leaf]:
    """Split one stage setting (possibly a dotted path or a mapping) into validated leaves."""
    parts = path.split(".")
    head = parts[0]
    if head not in _STAGE_FIELDS:
        raise _unknown(head, where, list(_STAGE_FIELDS))
    if head in _SECTIONS:
        section = _SECTIONS[head]
        names = [f.name for f in fields(section)]
        if len(parts) == 1:
            if head == "algorithm" and isinstance(value, str):
                return _preset_leaves(value, f"{where}.algorithm")
            if value is None:
                return []
            if not isinstance(value, Mapping):
                raise ConfigError(f"{where}.{head} = {value!r}: expected a mapping of {', '.join(names)}")
            out: list[Leaf] = []
            if head == "algorithm" and "preset" in value:
                out += _preset_leaves(value["preset"], f"{where}.algorithm.preset")
            for k, v in value.items():
                if head == "algorithm" and k == "preset":
                    continue
                out += setting_leaves(f"{head}.{k}", v, where)
            return out
        sub = parts[1]
        if sub not in names:
            raise _unknown(f"{head}.{sub}", f"{where}.{head}", names)
        if head == "algorithm" and sub == "preset" and len(parts) == 2:
            return _preset_leaves(value, f"{where}.algorithm.preset")
        key = f"{head}.{sub}"
        if key in _FREE_DEPTH:
            return _free_leaves(key, parts[2:], value, _FREE_DEPTH[key], where)
        if len(parts) > 2:
            raise ConfigError(f"{where}.{path}: '{key}' is a single value, not a section")
        return [(path, value)]
    if head in _FREE_DEPTH:
        return _free_leaves(head, parts[1:], value, _FREE_DEPTH[head], where)
    if len(parts) > 1:
        raise ConfigError(f"{where}.{path}: '{head}' is a single value, not a section")
    return [(path, value)]


def mapping_leaves(raw: Mapping[str, Any], where: str, skip: tuple[str, ...] = ()) -> list[Leaf]:
    out: list[Leaf] = []
    for key, value in raw.items():
        if key in skip:
            continue
        out += setting_leaves(str(key), value, where)
    return out


def _default_leaves(default_algorithm: Mapping[str, Any]) -> list[Leaf]:
    out: list[Leaf] = []
    for name, f in _STAGE_FIELDS.items():
        if name in _SECTIONS:
            for sf in fields(_SECTIONS[name]):
                if f"{name}.{sf.name}" in _FREE_DEPTH:
                    continue
                default = sf.default if sf.default is not MISSING else sf.default_factory()  # type: ignore[misc]
                out.append((f"{name}.{sf.name}", default))
            continue
        if name in _FREE_DEPTH:
            continue
        out.append((name, f.default if f.default is not MISSING else f.default_factory()))  # type: ignore[misc]
    out += [(f"algorithm.{k}", v) for k, v in default_algorithm.items()]
    return out


# ------------------------------------------------------------------------------------------ overrides
@dataclass
class UserOverrides:
    """What the user typed, sorted by what it applies to (see the precedence rule)."""

    algorithm_preset: Optional[str] = None  # algorithm=NAME
    algorithm_keys: list[str] = field(default_factory=list)  # algorithm.KEY=...
    scale_stage_keys: list[str] = field(default_factory=list)  # scale.stage_overrides.KEY=...
    stage_keys: dict[str, list[str]] = field(default_factory=dict)  # stage -> [path after stages.S.]
    data_keys: list[str] = field(default_factory=list)  # data.train_files / data.val_files


def parse_user_overrides(overrides: list[str]) -> UserOverrides:
    """Sort Hydra command-line overrides (``key=value`` strings) by the layer they belong to."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(list(overrides))
    out = UserOverrides()
    for item in parsed:
        if item.is_delete():
            continue
        key = item.key_or_group
        if key == "algorithm":
            out.algorithm_preset = str(item.value())
        elif key.startswith("algorithm."):
            out.algorithm_keys.append(key[len("algorithm.") :])
        elif key.startswith("scale.stage_overrides."):
            out.scale_stage_keys.append(key[len("scale.stage_overrides.") :])
        elif key == "scale.stage_overrides":
            out.scale_stage_keys.append("")
        elif key.startswith("stages."):
            _, _, rest = key.partition(".")
            stage, _, path = rest.partition(".")
            out.stage_keys.setdefault(stage, []).append(path)
        elif key in ("data.train_files", "data.val_files"):
            out.data_keys.append(key)
    return out


def _select(node: Any, path: str) -> Any:
    value = OmegaConf.select(node, path) if path else node
    return _plain(value)


def _plain(value: Any) -> Any:
    if OmegaConf.is_config(value):
        return OmegaConf.to_container(value, resolve=True)
    return value


# ------------------------------------------------------------------------------------------ layering
def layer_stage(
    name: str,
    raw: Mapping[str, Any],
    scale_name: str,
    scale_overrides: Mapping[str, Any],
    default_algorithm: Mapping[str, Any],
    user: UserOverrides,
    cfg: DictConfig,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Apply the layers in order; returns (dotted setting -> value, dotted setting -> layer)."""
    where = f"stages.{name}"
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}

    def apply(leaves: list[Leaf], layer: str) -> None:
        for key, value in leaves:
            values[key] = value
            origin[key] = layer

    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} = {raw!r}: expected a mapping of stage settings")
    apply(_default_leaves(default_algorithm), "default")
    for key in raw:
        if key not in _STAGE_FIELDS and key not in SCALE_BLOCKS:
            raise _unknown(str(key), where, [*_STAGE_FIELDS, *SCALE_BLOCKS])
    apply(mapping_leaves(raw, where, skip=SCALE_BLOCKS), "recipe")
    apply(mapping_leaves(scale_overrides, "scale.stage_overrides"), f"scale ({scale_name}.stage_overrides)")
    block = raw.get(scale_name) or {}
    if not isinstance(block, Mapping):
        raise ConfigError(f"{where}.{scale_name} = {block!r}: expected a mapping of stage settings")
    apply(mapping_leaves(block, f"{where}.{scale_name}"), f"stage block ({where}.{scale_name})")

    # the command line, most general first
    if user.algorithm_preset is not None:
        apply(_preset_leaves(user.algorithm_preset, "algorithm"), f"command line (algorithm={user.algorithm_preset})")
    for key in user.algorithm_keys:
        apply(setting_leaves(f"algorithm.{key}", _select(cfg.algorithm, key), "algorithm"), "command line")
    for key in user.scale_stage_keys:
        node = _select(cfg.scale.stage_overrides, key)
        leaves = (
            mapping_leaves(node or {}, "scale.stage_overrides")
            if not key
            else setting_leaves(key, node, "scale.stage_overrides")
        )
        apply(leaves, "command line (scale.stage_overrides)")
    for path in user.stage_keys.get(name, []):
        full = _select(cfg.stages[name], path) if path else _plain(cfg.stages[name])
        if not path:  # stages.S={...} typed whole
            apply(mapping_leaves(full or {}, where, skip=SCALE_BLOCKS), "command line")
            block = (full or {}).get(scale_name) or {}
            apply(mapping_leaves(block, f"{where}.{scale_name}"), "command line")
            continue
        head, _, rest = path.partition(".")
        if head in SCALE_BLOCKS:
            if head != scale_name:
                continue  # typed for the other scale
            if not rest:
                apply(mapping_leaves(full or {}, f"{where}.{head}"), "command line")
            else:
                apply(setting_leaves(rest, full, f"{where}.{head}"), "command line")
            continue
        apply(setting_leaves(path, full, where), "command line")
    return values, origin


def _assign(target: dict[str, Any], parts: list[str], value: Any) -> None:
    for part in parts[:-1]:
        node = target.get(part)
        if not isinstance(node, dict):
            node = target[part] = {}
        target = node
    target[parts[-1]] = value


def _typed(cls: type, key: str, value: Any, where: str, layer: str) -> Any:
    try:
        return coerce(value, _HINTS[cls][key.rsplit(".", 1)[-1]], f"{where}.{key}", layer)
    except SettingError as exc:
        raise ConfigError(str(exc)) from None


def build_stage(name: str, values: Mapping[str, Any], origin: Mapping[str, str]) -> StageSpec:
    """A typed :class:`StageSpec` from layered leaves (each value checked against its field's type)."""
    where = f"stages.{name}"
    top: dict[str, Any] = {}
    sections: dict[str, dict[str, Any]] = {s: {} for s in _SECTIONS}
    free: dict[str, dict[str, Any]] = {k: {} for k in _FREE_DEPTH}
    for key, value in values.items():
        parts = key.split(".")
        two = ".".join(parts[:2])
        if two in _FREE_DEPTH:
            _assign(free[two], parts[2:], value)
        elif parts[0] in _FREE_DEPTH:
            if parts[0] == "verl":
                free["verl"][".".join(parts[1:])] = value  # raw verl keys stay dotted
            else:
                _assign(free[parts[0]], parts[1:], value)
        elif parts[0] in _SECTIONS:
            sections[parts[0]][parts[1]] = _typed(_SECTIONS[parts[0]], key, value, where, origin.get(key, ""))
        else:
            top[key] = _typed(StageSpec, key, value, where, origin.get(key, ""))
    by_source = {src: ({"name": c} if isinstance(c, str) else c) for src, c in free["reward.by_source"].items()}
    reward = RewardSpec(**sections["reward"], kwargs=free["reward.kwargs"], by_source=by_source)
    for source, choice in reward.by_source.items():
        if not isinstance(choice, Mapping) or "name" not in choice or set(choice) - {"name", "kwargs"}:
            raise ConfigError(
                f"{where}.reward.by_source.{source} = {choice!r}: expected {{name: REWARD, kwargs: {{...}}}}"
            )
    stage = StageSpec(
        name=name,
        data=DataSpec(**sections["data"]),
        reward=reward,
        algorithm=AlgorithmSpec(**sections["algorithm"]),
        validation=ValidationSpec(**sections["validation"]),
        sft=SFTSpec(**sections["sft"]),
        agent_loops=free["agent_loops"],
        verl=free["verl"],
        **top,
    )
    stage.provenance = dict(origin)
    return stage


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


def _check_stage(stage: StageSpec, order: list[str]) -> None:
    where = f"stages.{stage.name}"
    _check_kind(stage)
    if stage.kind == "sft":
        _check_sft(stage)
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
    if algo.estimator not in ESTIMATORS:
        raise ConfigError(
            f"{where}.algorithm.estimator = {algo.estimator!r}: not a verl advantage estimator"
            f"{close_match(algo.estimator, ESTIMATORS)}. Accepted: {', '.join(ESTIMATORS)}."
        )
    if algo.loss_agg_mode not in LOSS_AGG_MODES:
        raise ConfigError(
            f"{where}.algorithm.loss_agg_mode = {algo.loss_agg_mode!r}"
            f"{close_match(algo.loss_agg_mode, LOSS_AGG_MODES)}. Accepted: {', '.join(LOSS_AGG_MODES)}."
        )
    if (algo.estimator == "gae") != algo.use_critic:
        raise ConfigError(
            f"{where}.algorithm: estimator {algo.estimator!r} with use_critic={algo.use_critic}: "
            "GAE needs a critic and the other estimators do not use one; use algorithm=gae or set "
            "algorithm.use_critic accordingly."
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
    _check_validation(stage)
    if not stage.data.train_files:
        raise ConfigError(
            f"{where}.data.train_files is empty: this dataset has no bundled sample at this scale. "
            "Prepare the data (`lmmr1 data prepare ...`) and set it, e.g. "
            f"stages.{stage.name}.data.train_files=[/path/train.parquet]"
        )


def _check_validation(stage: StageSpec) -> None:
    spec, where = stage.validation, f"stages.{stage.name}.validation"
    if not spec.benchmarks:
        return
    from lmmr1.eval import BENCHMARKS
    from lmmr1.eval.core import PROTOCOLS

    for name in spec.benchmarks:
        if name not in BENCHMARKS:
            raise ConfigError(
                f"{where}.benchmarks: unknown benchmark '{name}'{close_match(name, BENCHMARKS.names())}; "
                f"installed: {', '.join(BENCHMARKS.names())}"
            )
        if getattr(BENCHMARKS.get(name), "kind", "qa") != "qa":
            raise ConfigError(
                f"{where}.benchmarks: '{name}' is an agent benchmark (an episode per item), which verl's "
                "validation cannot play; evaluate it after training with `lmmr1 eval`"
            )
    if not spec.data_dir:
        raise ConfigError(
            f"{where}.data_dir is not set: the folder with one downloaded dataset per benchmark "
            "(as for `lmmr1 eval --data-dir`)"
        )
    if spec.protocol not in PROTOCOLS:
        raise ConfigError(f"{where}.protocol = {spec.protocol!r}; accepted: {', '.join(PROTOCOLS)}")
    if spec.limit is not None and spec.limit < 1:
        raise ConfigError(f"{where}.limit must be >= 1 or null, got {spec.limit}")
    if stage.test_freq < 1:
        raise ConfigError(
            f"stages.{stage.name}.test_freq = {stage.test_freq}: validation benchmarks are set, so say "
            f"how often to validate, e.g. stages.{stage.name}.test_freq=20 (it also runs before training)"
        )


def _check_rewards(stage: StageSpec) -> None:
    """Reward names exist and their arguments match the reward function's signature."""
    from lmmr1.rewards.arguments import RewardArgumentError, check_reward_arguments

    where = f"stages.{stage.name}.reward"
    choices = [(where, stage.reward.name, stage.reward.kwargs)]
    choices += [
        (f"{where}.by_source.{src}", c["name"], dict(c.get("kwargs") or {}))
        for src, c in stage.reward.by_source.items()
    ]
    for place, name, kwargs in choices:
        try:
            check_reward_arguments(name, kwargs)
        except RewardArgumentError as exc:
            raise ConfigError(f"{place}: {exc}") from None
    if stage.reward.timeout_s <= 0:
        raise ConfigError(f"{where}.timeout_s must be > 0, got {stage.reward.timeout_s}")


def _check_agent_loops(stage: StageSpec) -> None:
    """``agent_loops.<loop>.<key>``: a loop lmmr1 registers and a setting it takes (verl's loop base class
    accepts any keyword and ignores the unknown ones, so a misspelt setting would be silently dropped)."""
    if not stage.agent_loops:
        return
    from lmmr1.verl.agent_loops import check_agent_loop_settings

    try:
        check_agent_loop_settings({k: dict(v) if isinstance(v, Mapping) else v for k, v in stage.agent_loops.items()})
    except ValueError as exc:
        raise ConfigError(f"stages.{stage.name}.agent_loops.{exc}") from None


def _check_files(files: list[str], where: str) -> None:
    from lmmr1.samples import SAMPLE_PREFIX, SAMPLE_SETS

    for spec in files:
        if spec.startswith(SAMPLE_PREFIX):
            name = spec[len(SAMPLE_PREFIX) :]
            if name not in SAMPLE_SETS:
                raise ConfigError(
                    f"{where}: unknown sample set '{spec}'{close_match(name, SAMPLE_SETS)}; "
                    f"bundled: {', '.join(SAMPLE_PREFIX + s for s in SAMPLE_SETS)}"
                )
            continue
        if "://" in spec:  # hdfs://, s3:// ... verl copies these itself
            continue
        if not Path(spec).exists():
            raise ConfigError(
                f"{where}: data file {spec} does not exist. Prepare it with `lmmr1 data prepare ...` "
                "(see README, 'Paper-scale data'), or point the key at an existing parquet file."
            )


def _absolute_files(files: list[str]) -> list[str]:
    out = []
    for spec in files:
        if spec.startswith("sample:") or "://" in spec:
            out.append(spec)
        else:
            out.append(str(Path(os.path.expanduser(spec)).absolute()))
    return out


def resolve_model_path(spec: str) -> str:
    """``tiny:KIND`` is kept (built when the run starts); a local path must exist; else a hub id."""
    if spec.startswith("tiny:"):
        from lmmr1.tiny_models import KINDS

        kind = spec[len("tiny:") :]
        if kind not in KINDS:
            raise ConfigError(
                f"model.path={spec}: unknown tiny model{close_match(kind, KINDS)}; "
                f"choose one of tiny:{', tiny:'.join(KINDS)}"
            )
        return spec
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


def _scale(cfg: DictConfig) -> tuple[ScaleSpec, dict[str, Any]]:
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


def build_run_config(cfg: DictConfig, overrides: Optional[list[str]] = None, *, check_files: bool = True) -> RunConfig:
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
    scale, scale_overrides = _scale(cfg)
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
        values, origin = layer_stage(name, stages_raw[name], scale.name, scale_overrides, default_algorithm, user, cfg)
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
        _check_stage(stage, order)
        if stage.kind == "rl":
            _check_rewards(stage)
            _check_agent_loops(stage)
        if stage.verl:
            from lmmr1.verl.bridge import check_verl_keys

            try:
                check_verl_keys(stage.verl, stage.kind)
            except ValueError as exc:
                raise ConfigError(f"stages.{name}.verl: {exc}") from None
        if check_files:
            _check_files(stage.data.train_files, f"stages.{name}.data.train_files")
            _check_files(stage.data.val_files, f"stages.{name}.data.val_files")
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
    from lmmr1.outputs import OutputError, check_output_dir

    try:
        check_output_dir(output_dir, "output_dir")  # a dry run refuses it too: the real run would fail
    except OutputError as exc:
        raise ConfigError(str(exc)) from None
    address = cfg.ray.get("address") or os.environ.get("RAY_ADDRESS") or None
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
    )


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


def stage_settings(run: RunConfig, stage: StageSpec) -> dict[str, Any]:
    """The settings that decide what a stage trains (flat, JSON-able), recorded in the manifest."""
    import dataclasses

    values = {k: v for k, v in dataclasses.asdict(stage).items() if k != "provenance"}
    flat: dict[str, Any] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict) and node:
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else str(key), value)
        else:
            flat[prefix] = list(node) if isinstance(node, tuple) else node

    walk("", values)
    # only what this kind of stage reads (an RL stage's record is what it was before SFT stages existed)
    if stage.kind == "rl":
        flat = {k: v for k, v in flat.items() if k != "kind" and not k.startswith(_SFT_ONLY)}
    else:
        flat = {k: v for k, v in flat.items() if not k.startswith(_RL_ONLY)}
    flat["model"] = run.model_path if stage.init == "model" else stage.init
    flat["scale"] = run.scale.name
    return json.loads(json.dumps(flat, default=str))


def explain_text(run: RunConfig, conflicts: Optional[list[str]] = None) -> str:
    """Every stage's effective settings with the layer that set each one (``explain=true``), and the raw verl
    keys that replace a value lmmr1 derives (``conflicts``, from :func:`lmmr1.verl.bridge.raw_key_conflicts`)."""
    lines = [
        f"# recipe {run.recipe}, model {run.model_path}",
        "# precedence: default < recipe < scale < stage block < command line",
        f"# scale {run.scale.name}: "
        + ", ".join(f"{f.name}={getattr(run.scale, f.name)}" for f in fields(ScaleSpec)[1:]),
    ]
    for stage in run.stages:
        lines.append(f"\n## stage {stage.name}")
        rows = [
            (key, _show(_value_of(stage, key)), layer)
            for key, layer in sorted(stage.provenance.items())
            if _applies(stage, key)
        ]
        width = max(len(r[0]) for r in rows)
        vwidth = min(48, max(len(r[1]) for r in rows))
        for key, value, layer in rows:
            lines.append(f"{key:<{width}}  {value:<{vwidth}}  {layer}")
        mine = [c for c in conflicts or [] if c.startswith(f"stages.{stage.name}.verl.")]
        if mine:
            lines.append("# raw verl keys over lmmr1's settings:")
            lines += [f"#   {c}" for c in mine]
    return "\n".join(lines) + "\n"


def _applies(stage: StageSpec, key: str) -> bool:
    """Whether this kind of stage reads the setting (an SFT stage has no reward, an RL stage no ``sft.*``)."""
    if stage.kind == "sft":
        return not key.startswith(_RL_ONLY)
    return key != "kind" and not key.startswith(_SFT_ONLY)


def _value_of(stage: StageSpec, key: str) -> Any:
    parts = key.split(".")
    if parts[0] == "verl":
        return stage.verl.get(".".join(parts[1:]))
    node: Any = stage
    for part in parts:
        node = getattr(node, part) if is_dataclass(node) else (node or {}).get(part)
    return node


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        value = list(value)
    text = json.dumps(value, default=str) if isinstance(value, (list, dict, str)) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."
