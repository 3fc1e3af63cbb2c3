"""DAPO's overlong filtering: truncated responses are masked out of the policy (and value) loss.

DAPO (arXiv 2503.14476, section 3.4) masks the loss of samples that hit the response budget, so a reasoning
chain cut off mid-way is neither rewarded nor punished for an ending it never wrote. verl 0.9.1 has no such
switch (its DAPO recipe shapes the reward only), and lmmr1's reward manager cannot mask tokens, so the mask
is applied in the trainer, between the advantage step and the updates:

* ``PPOTrainer._compute_advantage`` is wrapped: after verl's (or lmmr1's turn-level) advantages are written to
  the TransferQueue, the truncated rows' ``response_mask`` and ``loss_mask`` are zeroed there. verl's losses
  (``verl/workers/utils/losses.py``) mask with ``response_mask`` and normalise token-mean by the sum of
  ``loss_mask``, so both are written: the kept rows' tokens are the whole denominator.
* ``PPOTrainer._step_once`` is wrapped to put the original masks back after the updates, so verl's metrics
  (``response_length/*``, ``response_length/clip_ratio``) still describe what was generated.
* If every row of a batch is truncated there is nothing to keep, and zeroing every mask would make verl's
  token-mean 0/0. Then the masks stay and the rows' advantages are zeroed instead: the batch gives no policy
  gradient (a KL or entropy term still acts), and ``overlong_filter/all_truncated`` is 1.

A row is truncated when its response used the whole ``max_response_length`` and its last token is not an
end-of-sequence token (verl reports a finish reason of "completed" for both stop and length).
Installed only in runs where a stage sets ``algorithm.overlong_filter`` (``LMMR1_OVERLONG_FILTER=1``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import torch

from lmmr1.run.devices import OVERLONG_FILTER_ENV

METRIC_PREFIX = "overlong_filter"


def truncated_rows(
    lengths: Sequence[int], last_tokens: Sequence[int], max_length: int, eos_ids: Iterable[int]
) -> list[bool]:
    """Which responses were cut by the budget: full length and not ending in an end-of-sequence token."""
    eos = set(int(e) for e in eos_ids)
    return [int(n) >= max_length and int(t) not in eos for n, t in zip(lengths, last_tokens)]


def masked(mask: torch.Tensor, truncated: Sequence[bool]) -> torch.Tensor:
    """``mask`` (a jagged nested tensor, one row per response) with the truncated rows set to zero."""
    rows = [torch.zeros_like(row) if cut else row for row, cut in zip(mask.unbind(), truncated)]
    return torch.nested.as_nested_tensor(rows, layout=torch.jagged)


def filter_metrics(truncated: Sequence[bool], all_truncated: bool) -> dict[str, float]:
    share = sum(truncated) / max(len(truncated), 1)
    return {
        f"{METRIC_PREFIX}/truncated_share": share,
        f"{METRIC_PREFIX}/masked_share": 0.0 if all_truncated else share,
        f"{METRIC_PREFIX}/all_truncated": float(all_truncated),
    }


def eos_token_ids(tokenizer: Any, model_path: str | None = None) -> set[int]:
    """The tokenizer's end-of-sequence id and those of the model's generation config (what generation stops on)."""
    ids: set[int] = set()
    ids.update(_as_ids(getattr(tokenizer, "eos_token_id", None)))
    if model_path:
        try:
            from transformers import GenerationConfig

            ids.update(_as_ids(GenerationConfig.from_pretrained(model_path).eos_token_id))
        except (OSError, ValueError):  # no generation_config.json: the tokenizer's ids are all there is
            pass
    return ids


def _as_ids(value: Any) -> list[int]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return [int(v) for v in value]
    return [int(value)]


def _settings(config: Any) -> dict | None:
    section = config.get("lmmr1", None)
    if section is None or section.get("overlong_filter", None) is None:
        return None
    from omegaconf import OmegaConf

    settings = OmegaConf.to_container(section.overlong_filter, resolve=True)
    return settings if settings.get("enable") else None


def apply(trainer: Any, batch: Any, metrics: dict) -> Any:
    """Mask the truncated rows of ``batch`` in the TransferQueue (after its advantages); returns the batch."""
    settings = _settings(trainer.config)
    if settings is None:
        return batch
    import transfer_queue as tq
    from tensordict import TensorDict

    data = tq.kv_batch_get(
        keys=batch.keys, partition_id=batch.partition_id, select_fields=["response_mask", "loss_mask", "responses"]
    )
    mask, responses = data["response_mask"], data["responses"]
    lengths = mask.offsets().diff().tolist()
    last = [int(row[-1]) if row.numel() else -1 for row in responses.unbind()]
    if not hasattr(trainer, "_lmmr1_eos_ids"):
        trainer._lmmr1_eos_ids = eos_token_ids(trainer.tokenizer, trainer.config.actor_rollout_ref.model.path)
    cut = truncated_rows(lengths, last, int(settings["max_length"]), trainer._lmmr1_eos_ids)
    all_cut = bool(cut) and all(cut)
    metrics.update(filter_metrics(cut, all_cut))
    if not any(cut):
        return batch
    if all_cut:
        advantages = tq.kv_batch_get(keys=batch.keys, partition_id=batch.partition_id, select_fields=["advantages"])
        zeros = TensorDict({"advantages": masked(advantages["advantages"], cut)}, batch_size=len(batch))
        return tq.kv_batch_put(keys=batch.keys, partition_id=batch.partition_id, fields=zeros)
    trainer._lmmr1_saved_masks = (batch.keys, batch.partition_id, mask, data["loss_mask"])
    fields = TensorDict(
        {"response_mask": masked(mask, cut), "loss_mask": masked(data["loss_mask"], cut)}, batch_size=len(batch)
    )
    return tq.kv_batch_put(keys=batch.keys, partition_id=batch.partition_id, fields=fields)


def restore(trainer: Any) -> None:
    """Put back the masks :func:`apply` replaced (verl's metrics then see every generated token)."""
    saved = getattr(trainer, "_lmmr1_saved_masks", None)
    if saved is None:
        return
    import transfer_queue as tq
    from tensordict import TensorDict

    keys, partition_id, mask, loss_mask = saved
    trainer._lmmr1_saved_masks = None
    tq.kv_batch_put(
        keys=keys,
        partition_id=partition_id,
        fields=TensorDict({"response_mask": mask, "loss_mask": loss_mask}, batch_size=len(keys)),
    )


def install() -> None:
    """Wrap verl's v1 trainer (once); only when a stage of the run filters (``LMMR1_OVERLONG_FILTER=1``)."""
    from lmmr1.verl.patches import trainer_to_hook

    trainer = trainer_to_hook("overlong_filter", OVERLONG_FILTER_ENV)
    if trainer is None:
        return
    original_advantage = trainer._compute_advantage
    original_step = trainer._step_once

    def _compute_advantage(self: Any, batch: Any, metrics: dict) -> Any:
        return apply(self, original_advantage(self, batch, metrics), metrics)

    def _step_once(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original_step(self, *args, **kwargs)
        finally:
            restore(self)

    trainer._compute_advantage = _compute_advantage
    trainer._step_once = _step_once
