"""verl adapter for lmmr1 rewards: a custom-score hook and a reward-loop manager.

The verl bridge configures both::

    reward.custom_reward_function.path=pkg://lmmr1.verl.reward_manager
    reward.custom_reward_function.name=compute_score
    reward.custom_reward_function.reward_kwargs.lmmr1_reward={name, kwargs, by_source, timeout_s}
    reward.reward_manager.source=importlib
    reward.reward_manager.module.path=pkg://lmmr1.verl.reward_manager
    reward.reward_manager.name=LMMR1RewardManager

* ``compute_score`` picks the reward for the row's ``data_source`` (falling back to ``name``), scores it
  with the time limit and returns ``{"score": ..., <components>, "timeout": 0/1}``; it works with verl's
  stock managers too.
* ``LMMR1RewardManager.run_single`` decodes the response and does the same without going through the
  hook, returning ``{"reward_score", "reward_extra_info": {<component>: value, "timeout": 0/1,
  "error": 0/1}}`` with the same keys for every row (verl stacks them into arrays), so the components and
  the timeout count show up as metrics.

This module is imported by verl inside Ray workers. ``compute_score`` needs only the reward library;
the manager class subclasses verl's base and is built on first access (module ``__getattr__``), when
verl is already loaded, so importing this module never pulls verl, torch or Ray by itself.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from lmmr1.run.layout import RewardRow

logger = logging.getLogger(__name__)

# worker processes per scoring pool (one pool per reward spec per process)
WORKERS = int(os.environ.get("LMMR1_REWARD_WORKERS", "2"))


def _scorer(lmmr1_reward: Mapping[str, Any] | str | None) -> Any:
    from lmmr1.rewards.scoring import shared_scorer

    if lmmr1_reward is None:
        raise ValueError(
            "lmmr1 reward adapter: no reward configured. Set "
            "reward.custom_reward_function.reward_kwargs.lmmr1_reward={name: <reward>, ...}"
        )
    return shared_scorer(lmmr1_reward, workers=WORKERS)


def _numeric(result: Mapping[str, Any], keys: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key in keys:
        value = result.get(key, 0.0)
        try:
            out[key] = float(value)
        except (TypeError, ValueError):
            out[key] = 0.0
    return out


def compute_score(
    data_source: Any,
    solution_str: str,
    ground_truth: Any,
    extra_info: Any = None,
    lmmr1_reward: Mapping[str, Any] | str | None = None,
    **kwargs: Any,
) -> dict[str, float]:
    """verl custom-reward hook: ``{"score", <components>, "timeout"}`` for one row (time-limited)."""
    scorer = _scorer(lmmr1_reward)
    result = scorer.score(data_source, solution_str, ground_truth, extra_info)
    if result.get("error"):
        logger.debug("lmmr1 reward: row from %s scored 0: %s", data_source, result["error"])
    out = {"score": float(result["score"])}
    out.update(_numeric(result, scorer.component_names() + ["timeout"]))
    return out


# The reward component DAPO's overlong shaping adds (algorithm.overlong_buffer > 0)
OVERLONG = "overlong"


def overlong_penalty(length: int, max_length: int, buffer: int, penalty: float = 1.0) -> float:
    """DAPO's soft overlong punishment: 0 up to ``max_length - buffer`` tokens, then falling linearly to
    ``-penalty`` at ``max_length`` (and staying there beyond it, for a response longer than the budget)."""
    if buffer <= 0:
        return 0.0
    exceed = length - (max_length - buffer)
    if exceed <= 0:
        return 0.0
    return -penalty * min(exceed / buffer, 1.0)


def reward_metrics(extra: Mapping[str, Any], keys: list[str] | None = None, prefix: str = "reward") -> dict[str, float]:
    """Training metrics from a batch's reward extra info (verl 0.9.1 logs them only in validation).

    ``extra`` is ``batch.non_tensor_batch`` (or any mapping of key -> sequence), ``keys`` the batch's
    ``meta_info["reward_extra_keys"]`` (default: every numeric key). Returns ``{prefix}/{key}/mean`` per
    component plus ``{prefix}/timeout/count`` and ``{prefix}/error/count``.
    """
    out: dict[str, float] = {}
    for key in keys if keys is not None else list(extra):
        values = []
        for v in list(extra.get(key, [])):
            try:
                values.append(float(v))
            except (TypeError, ValueError):
                values = []
                break
        if not values:
            continue
        if key in ("timeout", "error"):
            out[f"{prefix}/{key}/count"] = float(sum(values))
        else:
            out[f"{prefix}/{key}/mean"] = sum(values) / len(values)
    return out


# verl 0.9.1 puts reward components into training metrics only during validation. lmmr1's stage runner
# sets LMMR1_REWARD_LOG for the trainer's Ray job; every scored row is appended there (one short JSON
# line, an atomic O_APPEND write) and the runner folds the rows of each step into metrics.jsonl as
# reward/<component>/mean, reward/timeout/count and reward/error/count.
REWARD_LOG_ENV = "LMMR1_REWARD_LOG"


def _weights_step(item: Any) -> Any:
    """The policy version that generated the row (rollout servers report it as ``global_steps``)."""
    fields = item.non_tensor_batch.get("tool_extra_fields", None)
    if isinstance(fields, Mapping):
        value = fields.get("global_steps", fields.get("min_global_steps"))
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None
    return None


def clip_middle(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters keeping its beginning and its end (where the answer is)."""
    if len(text) <= limit:
        return text
    head = limit // 4
    return text[:head] + f" [... {len(text) - limit} characters left out ...] " + text[len(text) - (limit - head) :]


def _log_row(
    data_source: Any,
    score: float,
    info: Mapping[str, float],
    error: Any,
    weights_step: Any = None,
    response: str = "",
    ground_truth: Any = None,
    prompt_id: Any = None,
) -> None:
    path = os.environ.get(REWARD_LOG_ENV)
    if not path:
        return
    import json

    chars = int(os.environ.get(REWARD_LOG_ENV + "_CHARS", "0") or 0)
    gold = ground_truth.tolist() if hasattr(ground_truth, "tolist") else ground_truth
    row = RewardRow(
        data_source=str(data_source),
        score=score,
        components=dict(info),
        weights_step=weights_step,
        response=clip_middle(response, chars) if chars > 0 else None,
        ground_truth=clip_middle(gold if isinstance(gold, str) else json.dumps(gold, default=str), 500)
        if chars > 0
        else None,
        prompt_id=None if prompt_id is None else str(prompt_id),
        reason=str(error)[:300] if error else None,
    )
    record = row.to_record()
    line = (json.dumps(record) + "\n").encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    except OSError as exc:  # metrics are best effort; scoring must not fail because of them
        logger.warning("lmmr1 reward: cannot append to %s: %s", path, exc)


def _build_manager_class() -> type:
    import asyncio

    from verl.experimental.reward_loop.reward_manager.base import RewardManagerBase

    class LMMR1RewardManager(RewardManagerBase):
        """verl reward-loop manager scoring rows with lmmr1's registry and time-limited pool."""

        def __init__(
            self,
            config: Any,
            tokenizer: Any,
            compute_score: Any = None,
            reward_router_address: Any = None,
            reward_model_tokenizer: Any = None,
            **kwargs: Any,
        ) -> None:
            super().__init__(config, tokenizer, compute_score)
            self.reward_router_address = reward_router_address
            self.reward_model_tokenizer = reward_model_tokenizer
            spec = _spec_from_config(config)
            self.scorer = _scorer(spec) if spec is not None else None
            if self.scorer is None and compute_score is None:
                raise ValueError(
                    "LMMR1RewardManager: set reward.custom_reward_function.reward_kwargs.lmmr1_reward "
                    "(or give verl a custom_reward_function)"
                )
            self.overlong = _overlong_from_config(config)
            components = self.scorer.component_names() if self.scorer else []
            if self.overlong is not None:
                components = [c for c in components if c != OVERLONG] + [OVERLONG]
            self.extra_keys = components + ["timeout", "error"]
            self.timeout_s = self.scorer.spec.timeout_s if self.scorer else 2.0

        async def run_single(self, data: Any) -> dict:
            data = data[-1:]
            item = data[0]
            response_ids = item.batch["responses"]
            response_length = response_ids.shape[-1]
            valid_length = int(item.batch["attention_mask"][-response_length:].sum())
            valid_ids = response_ids[:valid_length]
            data_source = item.non_tensor_batch.get("data_source", None)
            ground_truth = item.non_tensor_batch["reward_model"]["ground_truth"]
            extra_info = dict(item.non_tensor_batch.get("extra_info", None) or {})
            response_str = await self.loop.run_in_executor(
                None, lambda: self.tokenizer.decode(valid_ids, skip_special_tokens=True)
            )
            if self.scorer is not None:
                result = await self.loop.run_in_executor(
                    None, self.scorer.score, data_source, response_str, ground_truth, extra_info
                )
            else:
                result = await self._score_with_hook(data_source, response_str, ground_truth, extra_info)
            if result.get("error"):
                logger.debug("lmmr1 reward: row from %s scored 0: %s", data_source, result["error"])
            score = float(result["score"])
            if self.overlong is not None:
                result = dict(result)
                result[OVERLONG] = overlong_penalty(valid_length, **self.overlong)
                score += result[OVERLONG]
            info = _numeric(result, self.extra_keys[:-1])
            info["error"] = float(bool(result.get("error")))
            _log_row(
                data_source,
                score,
                info,
                result.get("error"),
                _weights_step(item),
                response_str,
                ground_truth,
                extra_info.get("id"),
            )
            return {"reward_score": score, "reward_extra_info": info}

        async def _score_with_hook(
            self, data_source: Any, response: str, ground_truth: Any, extra_info: Any
        ) -> dict[str, Any]:
            """A user-supplied verl hook: a soft limit (the thread cannot be killed), still 0 on timeout."""
            call = lambda: self.compute_score(  # noqa: E731
                data_source=data_source, solution_str=response, ground_truth=ground_truth, extra_info=extra_info
            )
            try:
                result = await asyncio.wait_for(self.loop.run_in_executor(None, call), self.timeout_s)
            except asyncio.TimeoutError:
                return {"score": 0.0, "timeout": 1, "error": f"timed out after {self.timeout_s:g}s"}
            except Exception as exc:
                return {"score": 0.0, "timeout": 0, "error": f"{type(exc).__name__}: {exc}"}
            return dict(result) if isinstance(result, Mapping) else {"score": float(result)}

    LMMR1RewardManager.__module__ = __name__
    LMMR1RewardManager.__qualname__ = "LMMR1RewardManager"
    return LMMR1RewardManager


def _overlong_from_config(config: Any) -> dict[str, Any] | None:
    """``{max_length, buffer, penalty}`` of DAPO's overlong shaping as the bridge wrote it, or None (off)."""
    try:
        hook = config.reward.get("custom_reward_function") or {}
        shaping = (hook.get("reward_kwargs") or {}).get("lmmr1_overlong")
    except AttributeError:
        return None
    if not shaping:
        return None
    return {
        "max_length": int(shaping["max_length"]),
        "buffer": int(shaping["buffer"]),
        "penalty": float(shaping["penalty"]),
    }


def _spec_from_config(config: Any) -> Any:
    try:
        hook = config.reward.get("custom_reward_function") or {}
        kwargs = hook.get("reward_kwargs") or {}
        return kwargs.get("lmmr1_reward")
    except AttributeError:
        return None


_MANAGER: type | None = None


def __getattr__(name: str) -> Any:
    global _MANAGER
    if name == "LMMR1RewardManager":
        if _MANAGER is None:
            _MANAGER = _build_manager_class()
        return _MANAGER
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["compute_score", "reward_metrics", "LMMR1RewardManager"]  # noqa: F822 - built by __getattr__
