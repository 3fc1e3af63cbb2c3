"""lmmr1's run configuration: typed, layered with provenance, checked before anything starts.

Hydra composes YAML (``recipes/``); :func:`compose_run_config` turns the result into a :class:`RunConfig`
once, up front. The package is pure: it imports neither verl nor torch (a test checks), so a dry run, a
typo and ``explain=true`` answer in a second on any machine. The verl config is derived from a
:class:`RunConfig` in :mod:`lmmr1.verl.bridge` and nowhere else; the full check of a run's settings, this
package's and their owners', is :func:`lmmr1.run.settings.build_run_config`.

* :mod:`~lmmr1.config.schema` - the types, defaults and accepted values;
* :mod:`~lmmr1.config.layering` - the precedence rule (default < recipe < scale < stage block < command line);
* :mod:`~lmmr1.config.checks` - the values lmmr1 itself accepts;
* :mod:`~lmmr1.config.build` - composition into a :class:`RunConfig`;
* :mod:`~lmmr1.config.explain` - what a stage trains (the manifest's record) and ``explain=true``'s table.
"""

from lmmr1.config.build import compose_run_config, ray_address, resolve_model_path
from lmmr1.config.checks import check_known_keys, check_loggers, check_scale, check_stage
from lmmr1.config.explain import explain_text, stage_settings
from lmmr1.config.layering import algorithm_presets, load_algorithm_preset, parse_user_overrides
from lmmr1.config.schema import (
    ESTIMATORS,
    LOSS_AGG_MODES,
    POLICY_LOSSES,
    SCALE_BLOCKS,
    STAGE_KINDS,
    STAGE_SETTING_NAMES,
    VERL_LOGGERS,
    AlgorithmSpec,
    ConfigError,
    DataSpec,
    RewardSpec,
    RunConfig,
    ScaleSpec,
    SFTSpec,
    StageSpec,
    ValidationSpec,
)

__all__ = [
    "ESTIMATORS",
    "LOSS_AGG_MODES",
    "POLICY_LOSSES",
    "SCALE_BLOCKS",
    "STAGE_KINDS",
    "STAGE_SETTING_NAMES",
    "VERL_LOGGERS",
    "AlgorithmSpec",
    "ConfigError",
    "DataSpec",
    "RewardSpec",
    "RunConfig",
    "SFTSpec",
    "ScaleSpec",
    "StageSpec",
    "ValidationSpec",
    "algorithm_presets",
    "check_known_keys",
    "check_loggers",
    "check_scale",
    "check_stage",
    "compose_run_config",
    "explain_text",
    "load_algorithm_preset",
    "parse_user_overrides",
    "ray_address",
    "resolve_model_path",
    "stage_settings",
]
