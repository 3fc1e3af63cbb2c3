"""Chain the stages of a recipe: each stage starts from the previous stage's exported model.

The curriculum owns the Ray lifetime (start a local Ray or join a cluster; always shut a local one
down, Ctrl-C included) and the manifest. Finished stages are skipped on a re-run; an unfinished one
resumes from its newest checkpoint (verl's ``resume_mode=auto``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

from lmmr1.config import ConfigError, RunConfig, StageSpec
from lmmr1.config.schema import TURN_ESTIMATORS
from lmmr1.run import manifest as mf
from lmmr1.run import shm
from lmmr1.run.devices import (
    CPU_RUNTIME_ENV,
    OVERLONG_FILTER_ENV,
    TOKEN_LOG_ENV,
    TURN_CREDIT_ENV,
    VERL_FIXES_MODULE,
    cpu_vllm_env,
)
from lmmr1.run.layout import (
    REWARD_KEY,
    SFT_LOSS_KEY,
    STAGE_KEY,
    RunPaths,
    StagePaths,
    hf_export_of,
    latest_checkpoint,
    read_jsonl,
)
from lmmr1.run.lora_export import ADAPTER_DIR, finish_lora_export
from lmmr1.run.stage import (
    MetricsRelay,
    prune_metrics,
    recover_steps,
    run_verl,
    run_verl_sft,
)
from lmmr1.verl.bridge import expected_steps, stage_verl_config

logger = logging.getLogger("lmmr1")


def init_model_for(run: RunConfig, stage: StageSpec, manifest: Optional[mf.Manifest]) -> str:
    """Resolve ``stage.init`` to a concrete model path (or hub id).

    A stage that continues the previous stage's adapter (``lora.continue_previous``) starts from that stage's
    own starting model (the adapter's base), not from its merged export."""
    if stage.init == "model":
        return run.model_path
    if stage.init.startswith("stage:"):
        source = stage.init[len("stage:") :]
        if stage.lora.continue_previous:
            return init_model_for(run, run.stage(source), manifest)
        if manifest is not None:
            record = manifest.record(source)
            if record.hf_export:
                return record.hf_export
        # not trained yet (dry run, or an earlier stage pending): where it will be
        return str(RunPaths(run.output_dir).stage(source).final_hf)
    return stage.init  # a path or hub id (checked by lmmr1.config, built by lmmr1.run.inputs)


def init_adapter_for(run: RunConfig, stage: StageSpec, manifest: Optional[mf.Manifest]) -> Optional[str]:
    """The adapter folder a ``lora.continue_previous`` stage goes on training: the one beside the previous
    stage's export (``actor/lora_adapter`` next to ``actor/huggingface``; ``lora_adapter`` beside an SFT
    stage's ``huggingface``). None for every other stage."""
    if not stage.lora.continue_previous:
        return None
    source = stage.init[len("stage:") :]
    export = manifest.record(source).hf_export if manifest is not None else None
    if export:
        return str(Path(export).parent / ADAPTER_DIR)
    # not trained yet (dry run): beside the export its final_hf link will point to ("link/.." follows the link)
    return os.path.join(RunPaths(run.output_dir).stage(source).final_hf, os.pardir, ADAPTER_DIR)


@contextmanager
def ray_session(run: RunConfig) -> Iterator[None]:
    """Join ``run.ray_address`` or start a local Ray sized for the scale; shut a local Ray down on exit."""
    import ray
    from verl.trainer.constants_ppo import get_ppo_ray_runtime_env

    env_vars = dict(get_ppo_ray_runtime_env().get("env_vars", {}))
    import lmmr1.verl.fixes  # noqa: F401  (the driver builds models too, e.g. for validation of configs)

    cpu = run.scale.device == "cpu"
    modules = [VERL_FIXES_MODULE]
    if cpu:
        env_vars.update(CPU_RUNTIME_ENV)
        modules = CPU_RUNTIME_ENV["VERL_USE_EXTERNAL_MODULES"].split(",")
        if run.scale.rollout_engine == "vllm":
            env_vars.update(cpu_vllm_env())
    # keep the user's own verl plug-in modules, if any
    user_modules = [m for m in os.environ.get("VERL_USE_EXTERNAL_MODULES", "").split(",") if m and m not in modules]
    env_vars["VERL_USE_EXTERNAL_MODULES"] = ",".join(modules + user_modules)
    if any(s.kind == "rl" and s.algorithm.estimator in TURN_ESTIMATORS for s in run.stages):
        env_vars[TURN_CREDIT_ENV] = "1"  # verl's trainer gets lmmr1's turn-credit hook (lmmr1.verl.turn_credit_hook)
    if any(s.kind == "rl" and s.algorithm.overlong_filter for s in run.stages):
        env_vars[OVERLONG_FILTER_ENV] = "1"  # verl's trainer masks truncated rows (lmmr1.verl.overlong_filter)
    if run.log_tokens > 0 and any(s.kind == "rl" for s in run.stages):
        env_vars[TOKEN_LOG_ENV] = "1"  # verl's trainer logs tokens, log-probs, entropy (lmmr1.verl.token_log)
    if run.deterministic:
        # what verl's run_ppo exports for rollout.full_determinism, which it cannot do once Ray is up
        env_vars.update(VERL_FULL_DETERMINISM="1", VLLM_BATCH_INVARIANT="1", PYTHONHASHSEED=str(run.seed))
    if cpu:
        os.environ.update(CPU_RUNTIME_ENV)  # the driver resolves verl's platform too
        import lmmr1.verl.cpu_backend  # noqa: F401  (registers the platform and the hf rollout here)
    # quiet console: verl's and the workers' output stay in Ray's log files (linked under OUTPUT/logs/)
    kwargs: dict = {
        "runtime_env": {"env_vars": env_vars},
        "logging_level": "WARNING" if run.verbose else "ERROR",
        "log_to_driver": run.verbose,
    }
    if run.ray_address:
        from lmmr1.run.cluster import connect

        print(f"[lmmr1] joining Ray cluster at {run.ray_address}", file=sys.stderr)
        connect(run.ray_address, **kwargs)
    else:
        # address="local": always a fresh Ray of our own, even if a `ray start` cluster runs on this
        # machine (plain ray.init() would attach to it); join clusters explicitly with ray.address.
        kwargs.update(address="local", num_cpus=run.ray_num_cpus, include_dashboard=False)
        if cpu:
            # verl counts GPUs when placing workers; on a CPU host each logical GPU is one worker slot.
            kwargs["num_gpus"] = run.scale.gpus_per_node * run.scale.nnodes
        if run.verbose:
            print("[lmmr1] starting a local Ray", file=sys.stderr)
        ray.init(**kwargs)
    shm_before = shm.segments()
    previous = signal.getsignal(signal.SIGTERM)

    def _sigterm(signum, frame):  # turn SIGTERM into the same clean path as Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        ray.shutdown()
        if not run.ray_address:
            # the local Ray's processes (vLLM's engine among them) are gone; their shared memory is not
            removed = shm.remove_leftovers(shm_before)
            if run.verbose:
                print(
                    f"[lmmr1] local Ray shut down; {len(removed)} leftover shared-memory segment(s) removed",
                    file=sys.stderr,
                )


def link_ray_logs(run: RunConfig, stage: StageSpec, attempt: int) -> Optional[Path]:
    """``OUTPUT/logs/STAGE-ATTEMPT`` -> this Ray session's log folder (verl's console, every worker's output)."""
    try:
        import ray

        logs = Path(ray._private.worker._global_node.get_logs_dir_path())  # Ray 2.x; private but stable
    except Exception:  # another Ray layout: say nothing rather than guess
        return None
    link = RunPaths(run.output_dir).stage_logs(stage.name, attempt)
    link.parent.mkdir(parents=True, exist_ok=True)
    try:
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(logs, target_is_directory=True)
    except OSError:
        return logs
    return link


def keep_stage_logs(link: Optional[Path], since: float) -> None:
    """Replace ``OUTPUT/logs/STAGE-ATTEMPT`` (a link into Ray's temp folder, which a reboot deletes) by a copy.

    Only the files written since the stage started are copied: on a shared cluster the session's log folder
    also holds other jobs' files.
    """
    import shutil

    if link is None or not link.is_symlink():
        return
    source = link.resolve()
    if not source.is_dir():
        return
    staging = link.with_name(link.name + ".copying")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for path in source.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime >= since - 1:
                shutil.copy2(path, staging / path.name)
        except OSError:  # a file Ray rotated away meanwhile
            continue
    link.unlink()
    staging.rename(link)


def run_curriculum(run: RunConfig) -> int:
    """Run every pending stage in order; returns a process exit code."""
    from lmmr1.run.inputs import materialise

    run = materialise(run)  # sample data written, tiny models built (cached): the run starts here
    run.output_dir.mkdir(parents=True, exist_ok=True)
    manifest = mf.Manifest.load_or_create(RunPaths(run.output_dir).manifest, run.recipe, [s.name for s in run.stages])
    manifest.extra.update({"model": run.model_path, "scale": run.scale.name})
    manifest.save()
    if run.restart_from:
        archive_from(run, manifest, run.restart_from)
    _check_settings_unchanged(run, manifest)
    metrics_path = RunPaths(run.output_dir).metrics
    pending = [s for s in run.stages if manifest.record(s.name).status != mf.DONE]
    for stage in run.stages:
        if manifest.record(stage.name).status == mf.DONE:
            print(f"[lmmr1] {stage.name}: already done (manifest), skipping", file=sys.stderr)
    if not pending:
        _summary(run, manifest)
        return 0
    interrupted = False
    for stage in pending:
        ok, tries = False, 0
        # max_attempts counts tries in this invocation: re-running the command after a failure or
        # Ctrl-C always resumes the stage (from its newest checkpoint).
        while tries < run.max_attempts:
            tries += 1
            # One Ray session per attempt: verl's TaskRunner and workers live as long as the driver's
            # connection, so disconnecting frees the stage's (logical) GPUs for the next stage.
            with ray_session(run):
                ok, interrupted = _run_one(run, stage, manifest, metrics_path)
            if ok or interrupted:
                break
        if not ok:
            break
    _summary(run, manifest)
    if interrupted:
        return 130
    return 0 if all(manifest.record(s.name).status == mf.DONE for s in run.stages) else 1


def archive_from(run: RunConfig, manifest: mf.Manifest, first: str) -> Optional[Path]:
    """Move the outputs of ``first`` and later stages to ``OUTPUT/archive/TIME/`` and mark them pending."""
    import shutil

    names = [s.name for s in run.stages]
    later = names[names.index(first) :]
    stamp = mf.now().replace(":", "-")
    paths = RunPaths(run.output_dir)
    target = paths.archive / stamp
    moved = []
    for name in later:
        folder = paths.stage(name).root
        if folder.exists():
            target.mkdir(parents=True, exist_ok=True)
            shutil.move(str(folder), str(target / name))
            moved.append(name)
        record = manifest.record(name)
        if record.status != mf.PENDING or record.settings is not None:
            target.mkdir(parents=True, exist_ok=True)
            paths.archived_record(target, name).write_text(json.dumps(dataclasses.asdict(record), indent=2))
        manifest.stages[manifest.stages.index(record)] = mf.StageRecord(name)
    if paths.metrics.exists():
        keep, old = [], []
        for record in read_jsonl(paths.metrics):
            (old if record.get(STAGE_KEY) in later else keep).append(json.dumps(record))
        if old:
            target.mkdir(parents=True, exist_ok=True)
            RunPaths(target).metrics.write_text("".join(x + "\n" for x in old), encoding="utf-8")
            paths.metrics.write_text("".join(x + "\n" for x in keep), encoding="utf-8")
    manifest.save()
    where = target if target.exists() else None
    print(
        f"[lmmr1] restart_from={first}: stages {', '.join(later)} start again"
        + (f"; earlier outputs ({', '.join(moved) or 'manifest records'}) archived in {where}" if where else ""),
        file=sys.stderr,
        flush=True,
    )
    return where


def _check_settings_unchanged(run: RunConfig, manifest: mf.Manifest) -> None:
    """A stage that started under other settings is not silently resumed (or skipped as done)."""
    from lmmr1.config import stage_settings
    from lmmr1.config.explain import SETTINGS_ADDED_LATER

    for stage in run.stages:
        record = manifest.record(stage.name)
        if record.settings is None or record.status == mf.PENDING:
            continue
        now = stage_settings(run, stage)
        before = {**{k: v for k, v in SETTINGS_ADDED_LATER.items() if k in now}, **record.settings}
        changed = sorted(k for k in set(now) | set(before) if mf.portable(now.get(k)) != mf.portable(before.get(k)))
        if not changed:
            continue
        listing = "; ".join(f"{k}: {before.get(k)!r} -> {now.get(k)!r}" for k in changed[:12])
        message = f"stage {stage.name} in {run.output_dir} ({record.status}) ran with other settings: {listing}"
        if run.on_settings_change == "error":
            raise ConfigError(
                message + f". To train it with the new settings, add restart_from={stage.name} (its outputs and "
                "those of later stages are archived, not deleted); or use a new output_dir=...; or "
                "on_settings_change=keep to continue the existing stage as it is."
            )
        print(f"[lmmr1] warning: {message}; continuing it (on_settings_change=keep)", file=sys.stderr, flush=True)


def _run_one(run: RunConfig, stage: StageSpec, manifest: mf.Manifest, metrics_path: Path) -> tuple[bool, bool]:
    record = manifest.record(stage.name)
    dirs = RunPaths(run.output_dir).stage(stage.name)
    init_model = init_model_for(run, stage, manifest)
    if stage.init.startswith("stage:") and not Path(init_model).exists():
        raise ConfigError(f"stage {stage.name} starts from {stage.init}, whose export {init_model} is missing")
    adapter = init_adapter_for(run, stage, manifest)
    if adapter is not None and not (Path(adapter) / "adapter_config.json").exists():
        raise ConfigError(
            f"stage {stage.name} continues the adapter of {stage.init} (lora.continue_previous), "
            f"but {adapter} holds none"
        )
    verl_cfg = stage_verl_config(run, stage, init_model, adapter=adapter)
    from lmmr1.run.cluster import PendingPlacementWatch, check_placement

    check_placement(verl_cfg, stage.name, wait=run.ray_wait_for_resources)  # before verl asks Ray for it
    sft = stage.kind == "sft"
    if not sft:
        from lmmr1.verl.agent_loops import write_agent_loop_config

        write_agent_loop_config(str(dirs.agent_loops), **dict(stage.agent_loops))
    resumed_step, _ = latest_checkpoint(dirs.checkpoints)
    prune_metrics(metrics_path, stage.name, resumed_step or 0)
    record.status, record.attempts = mf.RUNNING, record.attempts + 1
    record.started_at, record.ended_at, record.error = mf.now(), None, None
    record.init_model, record.checkpoint_dir = init_model, str(dirs.checkpoints)
    record.init_adapter = adapter
    if record.settings is None or run.on_settings_change == "error":
        from lmmr1.config import stage_settings

        record.settings = stage_settings(run, stage)
    manifest.save()
    total = expected_steps(verl_cfg)
    where = f" (resuming after step {resumed_step})" if resumed_step else ""
    logs = link_ray_logs(run, stage, record.attempts)
    started = time.time()
    rows = _rows(stage.data.train_files)
    method = (
        f"sft (lr {stage.sft.lr:g}, batch {stage.sft.batch_size})"
        if sft
        else f"{stage.algorithm.preset or stage.algorithm.estimator} ({stage.algorithm.estimator})"
    )
    if stage.lora.rank:
        tower = "with adapters" if stage.lora.vision_tower else "frozen"
        method += f", LoRA rank {stage.lora.rank} alpha {stage.lora.alpha} (vision tower {tower})"
        if adapter is not None:
            method += f", continuing the adapter {adapter}"
    print(
        f"[lmmr1] stage {stage.name}: {method}, init {init_model}, {rows} training rows, scale {run.scale.name}, "
        f"{total or '?'} steps{where}" + (f"; verl and worker logs: {logs}" if logs and not run.verbose else ""),
        file=sys.stderr,
        flush=True,
    )
    earlier = _set_aside(dirs, record.attempts - 1)
    if earlier is not None and resumed_step:
        recover_steps(earlier, metrics_path, stage.name, resumed_step)
    relay = MetricsRelay(
        dirs.verl_metrics,
        metrics_path,
        stage.name,
        total,
        reward_log=dirs.reward_rows,
        progress_bar=not run.verbose,
    )
    relay.start()
    interrupted = False
    watch = PendingPlacementWatch(stage.name)  # a placement Ray cannot make yet is named, once a minute
    watch.start()
    try:
        if sft:
            run_verl_sft(verl_cfg, dirs.verl_metrics, tensorboard_dir=dirs.tensorboard)
        else:
            run_verl(
                verl_cfg,
                dirs.verl_metrics,
                reward_log=dirs.reward_rows,
                log_responses=run.log_responses,
                tensorboard_dir=dirs.tensorboard,
            )
    except KeyboardInterrupt:
        interrupted = True
        record.status, record.error = mf.FAILED, "interrupted (Ctrl-C / SIGTERM); re-run the same command to resume"
    except Exception as exc:  # the trainer crashed: record why, keep checkpoints for resume
        record.status, record.error = mf.FAILED, f"{type(exc).__name__}: {str(exc)[:2000]}"
        traceback.print_exc()
    finally:
        watch.stop()
        relay.stop()
        record.ended_at = mf.now()
        keep_stage_logs(logs, started)
    if not interrupted and record.status == mf.RUNNING:
        step, checkpoint = latest_checkpoint(dirs.checkpoints)
        export = hf_export_of(checkpoint) if checkpoint else None
        if export is not None and stage.lora.rank:
            base = verl_cfg.model.path if sft else verl_cfg.actor_rollout_ref.model.path
            try:  # verl exported peft's state dict: lmmr1 writes the adapter and the merged model from it
                export = finish_lora_export(export, stage.lora, str(base))
            except Exception as exc:
                record.status, record.error = mf.FAILED, f"LoRA export of {export}: {type(exc).__name__}: {exc}"
                traceback.print_exc()
                export = None
        if export is None:
            if record.status == mf.RUNNING:
                record.status = mf.FAILED
                record.error = f"verl finished but no HF export was found under {dirs.checkpoints}"
        else:
            record.status, record.hf_export = mf.DONE, str(export)
            _link_final(dirs.final_hf, export)
    rewards = [s[REWARD_KEY] for s in relay.steps if isinstance(s.get(REWARD_KEY), (int, float))]
    record.steps = max((s["step"] for s in relay.steps), default=record.steps)
    if rewards:
        record.mean_reward_last = float(sum(rewards[-5:]) / len(rewards[-5:]))
    losses = [s[SFT_LOSS_KEY] for s in relay.steps if isinstance(s.get(SFT_LOSS_KEY), (int, float))]
    if losses:
        record.first_loss = record.first_loss if record.first_loss is not None else float(losses[0])
        record.last_loss = float(losses[-1])
    manifest.save()
    return record.status == mf.DONE, interrupted


def _set_aside(stage: StagePaths, attempt: int) -> Optional[Path]:
    """Move an earlier attempt's raw verl metrics to ``verl_metrics.attempt-N.jsonl`` before verl starts again.

    The relay reads the file from its start; left in place, the old steps would be relayed a second time
    (verl truncates the file only once its trainer is up). Their values are already in metrics.jsonl.
    """
    if attempt < 1 or not stage.verl_metrics.exists():
        return None
    target = stage.earlier_verl_metrics(attempt)
    stage.verl_metrics.replace(target)
    return target


def _rows(files: list[str]) -> str:
    from lmmr1.data.schema import parquet_row_count

    try:
        return str(parquet_row_count(files))
    except Exception:  # remote files: the count is verl's to find
        return "?"


def _link_final(link: Path, target: Path) -> None:
    """``STAGE/final_hf`` always points at the stage's latest export (what the next stage loads)."""
    try:
        if link.is_symlink() or link.exists():
            link.unlink()
        # relative: the run directory can be copied or moved and the link still points into it
        link.symlink_to(os.path.relpath(target, link.parent), target_is_directory=True)
    except OSError:
        pass


def _summary(run: RunConfig, manifest: mf.Manifest) -> None:
    parts = []
    for record in manifest.stages:
        if record.last_loss is not None:  # an SFT stage
            first = f"{record.first_loss:.3f} -> " if record.first_loss is not None else ""
            result = f"loss {first}{record.last_loss:.3f}"
        else:
            reward = f"{record.mean_reward_last:.3f}" if record.mean_reward_last is not None else "n/a"
            result = f"mean reward (last 5) {reward}"
        parts.append(
            f"{record.name}: {record.status}, {record.steps or 0} steps, {result}, "
            f"checkpoint {record.hf_export or record.checkpoint_dir or '-'}"
        )
    print(f"[lmmr1] {run.recipe} -> {run.output_dir} | " + " | ".join(parts), flush=True)
