"""The evaluation settings a training stage carries (``stages.NAME.validation``), checked by their owner.

Run with every other owner's check by :func:`lmmr1.run.settings.build_run_config`.
"""

from __future__ import annotations

from lmmr1.config import ConfigError, StageSpec
from lmmr1.eval import BENCHMARKS
from lmmr1.eval.core import PROTOCOLS
from lmmr1.typecheck import close_match


def check_validation(stage: StageSpec) -> None:
    """Benchmarks that exist and are QA (verl validates QA items only), their folder, protocol and limit."""
    spec, where = stage.validation, f"stages.{stage.name}.validation"
    if not spec.benchmarks:
        return
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
