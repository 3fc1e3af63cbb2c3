"""Layering: the composed Hydra config and the command line into one value per stage setting, with its layer.

**One precedence rule** for every stage setting (later wins)::

    default < recipe stage < scale.stage_overrides < the stage's own block for the scale
            (stages.NAME.smoke / stages.NAME.paper) < what the user typed on the command line

What the user typed is read from the command-line overrides themselves (``stages.S.key=...``,
``scale.stage_overrides.key=...``, ``algorithm=NAME``, ``algorithm.key=...``), so an explicit override
wins at every scale. ``algorithm=NAME`` applies that preset to every stage; ``stages.S.algorithm=NAME``
to one. Every value keeps the layer that set it (:attr:`StageSpec.provenance`, ``explain=true``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from importlib import resources
from typing import Any, Optional

from omegaconf import DictConfig, OmegaConf

from lmmr1.config.schema import (
    _FREE_DEPTH,
    _HINTS,
    _SECTIONS,
    _STAGE_FIELDS,
    SCALE_BLOCKS,
    AlgorithmSpec,
    ConfigError,
    DataSpec,
    Leaf,
    LoraSpec,
    RewardSpec,
    SFTSpec,
    StageSpec,
    ValidationSpec,
)
from lmmr1.typecheck import SettingError, close_match, coerce


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
    block_name: Optional[str] = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Apply the layers in order; returns (dotted setting -> value, dotted setting -> layer).

    ``block_name`` is the stage block the scale reads (:func:`lmmr1.config.schema.stage_block_name`;
    default: the scale's own name).
    """
    where = f"stages.{name}"
    scale_label = scale_name
    scale_name = block_name or scale_name
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
    apply(mapping_leaves(scale_overrides, "scale.stage_overrides"), f"scale ({scale_label}.stage_overrides)")
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
        lora=LoraSpec(**sections["lora"]),
        agent_loops=free["agent_loops"],
        verl=free["verl"],
        **top,
    )
    stage.provenance = dict(origin)
    return stage
