"""The one place a run's settings are checked: lmmr1's own (:mod:`lmmr1.config`), then each owner's.

Each owner checks what it owns: a reward its arguments (:mod:`lmmr1.rewards.arguments`), evaluation the
validation benchmarks (:mod:`lmmr1.eval.settings`), the agent loops their settings
(:mod:`lmmr1.verl.agent_settings`), the inputs their data files and model specs (:mod:`lmmr1.run.inputs`),
the verl bridge the raw verl keys (:func:`lmmr1.verl.bridge.check_verl_keys`, which reads verl's config and
is imported only when a stage sets raw keys). Every problem is a :class:`~lmmr1.config.ConfigError` naming
the key. Reads configs only: writes nothing, builds nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional

from omegaconf import DictConfig

from lmmr1.config import ConfigError, RunConfig, StageSpec, compose_run_config
from lmmr1.eval.settings import check_validation
from lmmr1.run.inputs import check_data_files, check_model_spec, check_vllm_cpu_model


def check_rewards(stage: StageSpec) -> None:
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


def check_agent_loops(stage: StageSpec) -> None:
    """``agent_loops.<loop>.<key>``: a loop lmmr1 registers and a setting it takes."""
    if not stage.agent_loops:
        return
    from lmmr1.verl.agent_settings import check_agent_loop_settings

    try:
        check_agent_loop_settings({k: dict(v) if isinstance(v, Mapping) else v for k, v in stage.agent_loops.items()})
    except ValueError as exc:
        raise ConfigError(f"stages.{stage.name}.agent_loops.{exc}") from None


def check_raw_verl_keys(stage: StageSpec) -> None:
    """``stages.NAME.verl.*``: keys the installed verl's trainer config has, with values of its types."""
    if not stage.verl:
        return
    from lmmr1.verl.bridge import check_verl_keys

    try:
        check_verl_keys(stage.verl, stage.kind)
    except ValueError as exc:
        raise ConfigError(f"stages.{stage.name}.verl: {exc}") from None


def build_run_config(cfg: DictConfig, overrides: Optional[list[str]] = None, *, check_files: bool = True) -> RunConfig:
    """The composed Hydra config -> a :class:`RunConfig` whose every setting its owner has accepted.

    ``overrides`` are the command-line overrides as the user typed them; ``check_files=False`` (an
    inspection: ``dry_run``, ``explain``) leaves out only whether local data files exist.
    """
    run = compose_run_config(cfg, overrides)
    for stage in run.stages:
        check_validation(stage)
        if stage.kind == "rl":
            check_rewards(stage)
            check_agent_loops(stage)
        check_raw_verl_keys(stage)
        if check_files:
            check_data_files(stage.data.train_files, f"stages.{stage.name}.data.train_files")
            check_data_files(stage.data.val_files, f"stages.{stage.name}.data.val_files")
        if stage.init != "model" and not stage.init.startswith("stage:"):
            check_model_spec(stage.init, f"stages.{stage.name}.init")
    check_model_spec(run.model_path)
    if run.scale.device == "cpu" and run.scale.rollout_engine == "vllm":
        check_vllm_cpu_model(run.model_path)
        for stage in run.stages:
            if stage.init != "model" and not stage.init.startswith("stage:"):
                check_vllm_cpu_model(stage.init, f"stages.{stage.name}.init")
    return run
