"""Runs lmmr1's turn-level estimators (:mod:`lmmr1.verl.turn_credit`) inside verl 0.9.1's v1 trainer.

Why a hook: verl registers advantage estimators by name (``register_adv_est``; lmmr1's ``gigpo`` and
``turn_gae`` are registered there) but calls them with token tensors and prompt ids only, and its trainer
fetches no ``extra_fields`` from the TransferQueue when it computes advantages, so the per-turn spans, rewards
and anchors lmmr1's agent loops record never reach an estimator. The hook wraps
``PPOTrainer._compute_advantage`` (to know the batch, the step and the metrics dict) and, for lmmr1's
estimators only, the ``compute_advantage_for_multi_trajectories`` it calls: it fetches the rows'
``extra_fields``, calls the registered estimator with them, adds the estimator's metrics and appends each
episode's per-turn credit to ``STAGE/turn_credit.jsonl``. Every other estimator runs verl's code untouched.
"""

from __future__ import annotations

import contextvars
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import torch

from lmmr1.config.schema import TURN_ESTIMATORS
from lmmr1.run.devices import TURN_CREDIT_ENV
from lmmr1.verl.turn_credit import (
    TurnAdvantages,
    TurnSettings,
    episode_log_rows,
    episodes_from_rows,
    gigpo,
    turn_gae,
    turn_metrics,
)


@dataclass
class _Step:
    partition_id: str
    step: int
    metrics: dict
    settings: dict


_STEP: contextvars.ContextVar[Optional[_Step]] = contextvars.ContextVar("lmmr1_turn_credit_step", default=None)


# ------------------------------------------------------------------------------------------------ estimators
def _require(name: str, episodes: Any, **needed: Any) -> None:
    missing = (["episodes"] if episodes is None else []) + [k for k, v in needed.items() if v is None]
    if missing:
        raise ValueError(
            f"advantage estimator {name!r} needs per-turn data ({', '.join(missing)}): verl's trainer passes token "
            "tensors only; lmmr1's trainer hook (lmmr1.verl.turn_credit_hook) supplies them in lmmr1 runs"
        )


def gigpo_estimator(
    token_level_rewards: torch.Tensor,
    response_mask: torch.Tensor,
    config: Any = None,
    index: Any = None,
    *,
    episodes: Any = None,
    settings: Optional[TurnSettings] = None,
    report: Optional[dict] = None,
    **_: Any,
) -> tuple[torch.Tensor, torch.Tensor]:
    """verl's estimator signature for GiGPO; ``report['result']`` receives the per-turn details."""
    _require("gigpo", episodes)
    result = gigpo(episodes, response_mask, settings or TurnSettings())
    if report is not None:
        report["result"] = result
    return result.advantages.to(token_level_rewards.device), result.returns.to(token_level_rewards.device)


def turn_gae_estimator(
    token_level_rewards: torch.Tensor,
    response_mask: torch.Tensor,
    config: Any = None,
    index: Any = None,
    *,
    episodes: Any = None,
    values: Optional[torch.Tensor] = None,
    extra_token_rewards: Optional[torch.Tensor] = None,
    gamma: float = 1.0,
    lam: float = 1.0,
    settings: Optional[TurnSettings] = None,
    report: Optional[dict] = None,
    **_: Any,
) -> tuple[torch.Tensor, torch.Tensor]:
    """verl's estimator signature for turn-level GAE (needs the critic's ``values``)."""
    _require("turn_gae", episodes, values=values)
    result = turn_gae(
        episodes, values.cpu(), response_mask.cpu(), gamma, lam, settings or TurnSettings(), extra_token_rewards
    )
    if report is not None:
        report["result"] = result
    return result.advantages.to(token_level_rewards.device), result.returns.to(token_level_rewards.device)


def register() -> None:
    """Register both with verl's estimator registry (idempotent)."""
    from verl.trainer.ppo.core_algos import ADV_ESTIMATOR_REGISTRY, register_adv_est

    for name, fn in (("gigpo", gigpo_estimator), ("turn_gae", turn_gae_estimator)):
        if ADV_ESTIMATOR_REGISTRY.get(name) is not fn:
            ADV_ESTIMATOR_REGISTRY.pop(name, None)  # a re-import of this module: the same function, renewed
            register_adv_est(name)(fn)


# ------------------------------------------------------------------------------------------------ the hook
def _as_list(value: Any) -> list:
    if value is None:
        return []
    if hasattr(value, "tolist"):
        return list(value.tolist())
    return list(value)


def _turn_advantages(
    original: Any,
    data: Any,
    batch_keys: list[str],
    adv_estimator: Any,
    gamma: float = 1.0,
    lam: float = 1.0,
    num_repeat: int = 1,
    norm_adv_by_std_in_grpo: bool = True,
    config: Any = None,
) -> Any:
    name = str(getattr(adv_estimator, "value", adv_estimator))
    if name not in TURN_ESTIMATORS:
        return original(
            data,
            batch_keys=batch_keys,
            adv_estimator=adv_estimator,
            gamma=gamma,
            lam=lam,
            num_repeat=num_repeat,
            norm_adv_by_std_in_grpo=norm_adv_by_std_in_grpo,
            config=config,
        )
    step = _STEP.get()
    if step is None:
        raise RuntimeError(f"advantage estimator {name!r}: called outside the trainer's _compute_advantage")
    import transfer_queue as tq  # verl's trainer talks to the same TransferQueue client
    from verl.trainer.ppo.core_algos import get_adv_estimator_fn

    fetched = tq.kv_batch_get(keys=batch_keys, partition_id=step.partition_id, select_fields=["extra_fields"])
    extra = _as_list(fetched["extra_fields"])
    batch = data.batch
    mask = batch["response_mask"].cpu()
    rewards, scores = batch["token_level_rewards"].cpu(), batch["token_level_scores"].cpu()
    groups = _as_list(data.non_tensor_batch["uid"])
    settings = TurnSettings.from_mapping(step.settings)
    report: dict[str, TurnAdvantages] = {}
    fn = get_adv_estimator_fn(name)
    if name == "gigpo":
        episodes = episodes_from_rows(groups, extra, rewards, scores, mask)
        advantages, returns = fn(
            rewards, mask, config=config, index=groups, episodes=episodes, settings=settings, report=report
        )
    else:
        if "values" not in batch.keys():
            raise RuntimeError(
                "turn_gae needs the critic's values: the stage must train a critic (algorithm.use_critic)"
            )
        episodes = episodes_from_rows(groups, extra, rewards, scores, mask, fold_token_rewards=False)
        advantages, returns = fn(
            rewards,
            mask,
            config=config,
            index=groups,
            episodes=episodes,
            values=batch["values"],
            extra_token_rewards=(rewards - scores).float(),
            gamma=float(gamma),
            lam=float(lam),
            settings=settings,
            report=report,
        )
    batch["advantages"] = advantages.to(batch["response_mask"].device)
    batch["returns"] = returns.to(batch["response_mask"].device)
    result = report["result"]
    step.metrics.update(turn_metrics(name, episodes, result))
    log = step.settings.get("episode_log")
    if log:
        Path(log).parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a", encoding="utf-8") as f:
            for row in episode_log_rows(step.step, batch_keys, name, episodes, result):
                f.write(json.dumps(row) + "\n")
    return data


def install() -> None:
    """Wrap verl's v1 trainer for lmmr1's estimators (idempotent; a no-op for every other estimator).

    Only in runs with a turn-level stage (``LMMR1_TURN_CREDIT=1``, set by the driver): importing verl's trainer
    in every process that loads lmmr1's dataset class (the agent-loop workers too) would be wasted work.
    """
    if os.environ.get(TURN_CREDIT_ENV) != "1":
        return
    from verl.trainer.ppo.v1 import trainer_base

    from lmmr1.verl.patches import trainer_to_hook

    register()
    trainer = trainer_to_hook("turn_level_advantages", TURN_CREDIT_ENV)
    if trainer is None:
        return
    original_compute = trainer._compute_advantage
    original_multi = trainer_base.compute_advantage_for_multi_trajectories

    def _compute_advantage(self: Any, batch: Any, metrics: dict) -> Any:
        name = str(getattr(self.config.algorithm.adv_estimator, "value", self.config.algorithm.adv_estimator))
        if name not in TURN_ESTIMATORS:
            return original_compute(self, batch, metrics)
        from omegaconf import OmegaConf

        section = self.config.get("lmmr1", None)
        settings = OmegaConf.to_container(section.turn_credit, resolve=True) if section is not None else {}
        token = _STEP.set(_Step(str(batch.partition_id), int(self.global_steps), metrics, settings))
        try:
            return original_compute(self, batch, metrics)
        finally:
            _STEP.reset(token)

    def compute_advantage_for_multi_trajectories(data: Any, batch_keys: list[str], adv_estimator: Any, **kwargs: Any):
        return _turn_advantages(original_multi, data, batch_keys, adv_estimator, **kwargs)

    trainer._compute_advantage = _compute_advantage
    trainer_base.compute_advantage_for_multi_trajectories = compute_advantage_for_multi_trajectories
