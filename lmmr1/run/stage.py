"""Run one stage through verl's own PPO trainer (``verl.trainer.main_ppo``'s TaskRunner) on Ray.

lmmr1 does not re-implement the trainer: it hands verl the config built by :mod:`lmmr1.verl.bridge`,
validates it with verl's own ``validate_config``, and calls ``run_ppo`` with verl's ``TaskRunnerV1``.
Around that call it adds what a curriculum needs: metrics streamed into ``metrics.jsonl`` with the
stage name (and shown as progress), and the location of the stage's HF export for the next stage.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any, Optional

from omegaconf import DictConfig, OmegaConf

from lmmr1.run.layout import (
    BENCH_SOURCE_PREFIX,
    REWARD_ERROR_EXAMPLE_KEY,
    REWARD_KEY,
    REWARD_ROWS_KEY,
    SFT_LOSS_KEY,
    RewardRow,
    read_jsonl,
    read_records,
    read_reward_rows,
    reward_component_key,
    validation_score_key,
)

logger = logging.getLogger("lmmr1")


class MetricsRelay(threading.Thread):
    """Follows verl's file logger for one stage and appends ``{"stage", "step", ...}`` lines to metrics.jsonl."""

    def __init__(
        self,
        source: Path,
        target: Path,
        stage: str,
        total_steps: Optional[int],
        reward_log: Optional[Path] = None,
        progress_bar: bool = False,
    ) -> None:
        super().__init__(daemon=True, name=f"metrics-{stage}")
        self.source, self.target, self.stage, self.total_steps = source, target, stage, total_steps
        self.reward_log = reward_log
        self._reward_offset = reward_log.stat().st_size if reward_log is not None and reward_log.exists() else 0
        self._pending_rows: list[RewardRow] = []
        self._stop_event = threading.Event()
        self._offset = 0
        self.steps: list[dict[str, Any]] = []
        self._t0 = time.monotonic()
        self._bar: Any = None
        if progress_bar:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total_steps,
                desc=stage,
                unit="step",
                file=sys.stderr,
                dynamic_ncols=True,
                bar_format="[lmmr1] {desc}: {n_fmt}/{total_fmt} steps |{bar:20}| {elapsed}<{remaining}{postfix}",
            )

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.poll()
            self._stop_event.wait(1.0)
        self.poll()

    def stop(self) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout=10)
        else:
            self.poll()
        if self._bar is not None:
            self._bar.close()

    def poll(self) -> None:
        if self.source.exists() and self.source.stat().st_size < self._offset:
            self._offset = 0  # verl truncates its file when it (re)starts
        records, self._offset = read_records(self.source, self._offset)
        for raw in records:
            self._emit(raw)

    def _reward_rows(self) -> list[RewardRow]:
        """Rows the reward manager scored since the previous step (see lmmr1.verl.reward_manager)."""
        if self.reward_log is None:
            return []
        rows, self._reward_offset = read_reward_rows(self.reward_log, self._reward_offset)
        # validation-benchmark rows are reported under val/, not mixed into a training step's reward
        return [row for row in rows if not row.is_validation]

    def _rows_of_next_step(self) -> list[RewardRow]:
        """Rows of the oldest policy version not yet reported: one training step's rollouts.

        Rows carry the weights version that generated them (``weights_step``); a synchronous trainer
        generates each step's batch with one version, so grouping by it splits rows by step even when
        the relay reads several steps at once. Untagged rows (older servers) go to the next step.
        """
        self._pending_rows.extend(self._reward_rows())
        if not self._pending_rows:
            return []
        tags = [row.weights_step for row in self._pending_rows]
        if any(tag is None for tag in tags):
            rows, self._pending_rows = self._pending_rows, []
            return rows
        oldest = min(t for t in tags if t is not None)
        rows = [row for row in self._pending_rows if row.weights_step == oldest]
        self._pending_rows = [row for row in self._pending_rows if row.weights_step != oldest]
        return rows

    def _reward_metrics(self) -> dict[str, Any]:
        rows = self._rows_of_next_step()
        if not rows:
            return {}
        from lmmr1.verl.reward_manager import reward_metrics

        out: dict[str, Any] = {REWARD_ROWS_KEY: len(rows)}
        keys = sorted({k for row in rows for k in row.components})
        columns = {key: [row.components[key] for row in rows if key in row.components] for key in keys}
        out.update(reward_metrics(columns, keys))
        reasons = [row.reason for row in rows if row.reason]
        if reasons:
            out[REWARD_ERROR_EXAMPLE_KEY] = reasons[0]
        return out

    def _emit(self, raw: dict[str, Any]) -> None:
        step = raw.get("step")
        data = raw.get("data") or {}
        record = {"stage": self.stage, "step": step, **data, **benchmark_scores(data)}
        if any(key.startswith("actor/") for key in data):  # a training step: fold in its reward rows
            record.update(self._reward_metrics())
        with open(self.target, "a", encoding="utf-8") as out:
            out.write(json.dumps(record, default=float) + "\n")
        if not _is_training_line(data):
            return  # validation-only lines
        self.steps.append(record)
        elapsed = time.monotonic() - self._t0
        if SFT_LOSS_KEY in data:  # an SFT step (verl's SFT trainer)
            shown = {
                "loss": data.get(SFT_LOSS_KEY),
                "grad_norm": data.get("train/grad_norm"),
                "lr": data.get("train/lr"),
            }
        else:
            shown = {
                "reward": data.get(REWARD_KEY),
                "acc": record.get(reward_component_key("acc")),
                "format": record.get(reward_component_key("format")),
                "len": data.get("response_length/mean"),
                "kl": data.get("actor/ppo_kl", data.get("actor/kl_loss")),
                "s/step": data.get("timing_s/step"),
            }
        text = "  ".join(f"{k} {v:.3g}" for k, v in shown.items() if isinstance(v, (int, float)))
        timeouts = record.get("reward/timeout/count")
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)
            self._bar.update(1)
            if isinstance(timeouts, (int, float)) and timeouts > 0:  # warnings that matter stay visible
                self._bar.write(
                    f"[lmmr1] {self.stage}: step {step}: {timeouts:.0f} reward(s) timed out (scored 0)", file=sys.stderr
                )
            return
        total = f"/{self.total_steps}" if self.total_steps else ""
        print(f"[lmmr1] {self.stage}: step {step}{total}  {text}  ({elapsed:.0f}s)", file=sys.stderr, flush=True)


# verl names validation metrics val-core/<data_source>/<metric>/mean@N
_BENCH_VAL = re.compile("^val-core/" + re.escape(BENCH_SOURCE_PREFIX) + r"([^/]+)/(?:acc|reward)/mean@\d+$")


def benchmark_scores(data: dict[str, Any]) -> dict[str, float]:
    """verl's ``val-core/bench/<name>/acc/mean@N`` as ``val/<name>/score`` in per cent (validation benchmarks)."""
    out = {}
    for key, value in data.items():
        m = _BENCH_VAL.match(key)
        if m and isinstance(value, (int, float)):
            out[validation_score_key(m.group(1))] = 100.0 * float(value)
    return out


def _is_training_line(data: dict[str, Any]) -> bool:
    return any(key.startswith(("actor/", "critic/score", SFT_LOSS_KEY)) for key in data)


def recover_steps(raw: Path, target: Path, stage: str, up_to: int) -> int:
    """Relay the steps ``<= up_to`` of an earlier attempt's raw verl metrics that never reached ``target``.

    A hard kill (kill -9, a lost node) can land after verl logged a step and before the relay copied it
    (the relay polls every second; SFT steps can be shorter). The resumed stage restarts after its newest
    checkpoint, so those steps are not trained again: their lines are taken from the raw file instead.
    Returns how many lines were added.
    """
    have = {
        (record.get("step"), _is_training_line(record)) for record in read_jsonl(target) if record.get("stage") == stage
    }
    records = read_jsonl(raw)
    added = []
    for raw_record in records:
        step, data = raw_record.get("step"), raw_record.get("data") or {}
        if not isinstance(step, int) or step > up_to or (step, _is_training_line(data)) in have:
            continue
        have.add((step, _is_training_line(data)))
        added.append({"stage": stage, "step": step, **data, **benchmark_scores(data)})
    if added:
        with open(target, "a", encoding="utf-8") as out:
            out.writelines(json.dumps(record, default=float) + "\n" for record in added)
    return len(added)


def prune_metrics(target: Path, stage: str, keep_up_to: int) -> None:
    """Before a resumed stage restarts at ``keep_up_to + 1``, drop its lines from a lost tail."""
    if not target.exists():
        return
    kept = [
        json.dumps(record)
        for record in read_jsonl(target)
        if not (record.get("stage") == stage and isinstance(record.get("step"), int) and record["step"] > keep_up_to)
    ]
    target.write_text("".join(k + "\n" for k in kept), encoding="utf-8")


def validate_sft_with_verl(verl_cfg: DictConfig) -> None:
    """verl's own checks of an SFT config: its engine, optimiser and checkpoint dataclasses (``__post_init__``).

    The model section is checked when the stage starts: verl's HFModelConfig loads the model's files.
    """
    from verl.utils.config import omega_conf_to_dataclass

    for section in ("engine", "optim", "checkpoint"):
        omega_conf_to_dataclass(verl_cfg[section])
    batch, micro = int(verl_cfg.data.train_batch_size), int(verl_cfg.data.micro_batch_size_per_gpu)
    if batch % (micro * int(verl_cfg.trainer.n_gpus_per_node) * int(verl_cfg.trainer.nnodes)):
        raise ValueError(
            f"data.train_batch_size ({batch}) must be a multiple of micro_batch_size_per_gpu ({micro}) x GPUs"
        )


# vLLM's LoRA ranks (vllm.config.lora.MaxLoRARanks; verl 0.9.1's fallback list when vLLM is absent)
VLLM_LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)


def validate_with_verl(verl_cfg: DictConfig) -> None:
    """verl's own ``validate_config`` (batch-size arithmetic, mutually exclusive keys); raises on refusal.

    One of its checks needs vLLM itself: with LoRA adapters handed to a vLLM rollout it imports verl's vLLM
    rollout to read vLLM's largest LoRA rank. A machine preparing a GPU run without vLLM (a laptop's dry run)
    cannot import it; there lmmr1 checks the rank against verl 0.9.1's own fallback list of vLLM's ranks and
    lets verl validate everything else.
    """
    import importlib.util

    from verl.trainer.ppo.utils import need_critic, need_reference_policy
    from verl.utils.config import validate_config

    model = verl_cfg.actor_rollout_ref.model
    rank = int(model.get("lora_rank", 0) or 0)
    merged = bool((model.get("lora", None) or {}).get("merge", False))
    vllm_lora = rank > 0 and not merged and verl_cfg.actor_rollout_ref.rollout.name == "vllm"
    if vllm_lora and importlib.util.find_spec("vllm") is None:
        if rank > VLLM_LORA_RANKS[-1]:
            raise ValueError(f"lora_rank must be less than or equal to {VLLM_LORA_RANKS[-1]} (vLLM), but got {rank}")
        verl_cfg = verl_cfg.copy()
        OmegaConf.update(verl_cfg, "actor_rollout_ref.model.lora.merge", True, force_add=True)
    validate_config(
        config=verl_cfg,
        use_reference_policy=need_reference_policy(verl_cfg),
        use_critic=need_critic(verl_cfg),
    )


def _sft_main(verl_cfg: DictConfig) -> None:
    """verl's SFT trainer, run inside a Ray task (its dataset, loader and printing stay off the console)."""
    from verl.trainer.sft_trainer_ray import SFTTrainer
    from verl.utils.device import auto_set_device

    from lmmr1.verl.fixes import install_sft_collator_fix, install_sft_loader_workers

    install_sft_collator_fix()  # text and picture conversations in one batch
    install_sft_loader_workers(verl_cfg.data.num_workers)  # verl's SFT trainer writes 8 workers in its code
    auto_set_device(verl_cfg)
    SFTTrainer(config=verl_cfg).fit()


def run_verl_sft(verl_cfg: DictConfig, raw_metrics: Path, tensorboard_dir: Optional[Path] = None) -> None:
    """Run one verl SFT job on the Ray cluster this process is connected to (a ``kind: sft`` stage).

    verl's own launcher (``sft_trainer_ray.run_sft``) builds the trainer in the calling process after its
    own ``ray.init()``; here the trainer lives in a Ray task of the stage's session instead, so Ctrl-C,
    the log files and the shutdown are those of every other stage.
    """
    import ray

    validate_sft_with_verl(verl_cfg)
    raw_metrics.parent.mkdir(parents=True, exist_ok=True)
    env_vars = {"VERL_FILE_LOGGER_PATH": str(raw_metrics)}
    if tensorboard_dir is not None:
        env_vars["TENSORBOARD_DIR"] = str(tensorboard_dir)
    assert ray.is_initialized(), "lmmr1 connects to Ray before running a stage"
    task = ray.remote(num_cpus=1)(_sft_main).options(runtime_env={"env_vars": env_vars}, max_retries=0)
    ray.get(task.remote(verl_cfg))


def run_verl(
    verl_cfg: DictConfig,
    raw_metrics: Path,
    reward_log: Optional[Path] = None,
    log_responses: int = 0,
    tensorboard_dir: Optional[Path] = None,
) -> None:
    """Validate and run one verl PPO job on the Ray cluster this process is connected to."""
    import ray
    from verl.trainer.main_ppo import TaskRunnerV1, run_ppo
    from verl.utils.device import auto_set_device

    auto_set_device(verl_cfg)
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # checked before Ray already; a refusal still raises
        validate_with_verl(verl_cfg)
    raw_metrics.parent.mkdir(parents=True, exist_ok=True)
    env_vars = {"VERL_FILE_LOGGER_PATH": str(raw_metrics)}
    if reward_log is not None:
        env_vars["LMMR1_REWARD_LOG"] = str(reward_log)  # inherited by the reward-loop workers
        env_vars["LMMR1_REWARD_LOG_CHARS"] = str(int(log_responses))
    if tensorboard_dir is not None:
        env_vars["TENSORBOARD_DIR"] = str(tensorboard_dir)  # verl's TensorBoard adapter writes there
    runner = TaskRunnerV1.options(runtime_env={"env_vars": env_vars})
    assert ray.is_initialized(), "lmmr1 connects to Ray before running a stage"
    run_ppo(verl_cfg, task_runner_class=runner)
