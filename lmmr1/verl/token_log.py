"""Per-token log-probability and entropy of sampled responses, logged by the trainer for ``lmmr1 view``.

verl 0.9.1's v1 trainer computes, for every response of a step, each token's log-probability and the entropy
of the policy's whole next-token distribution (``PPOTrainer._compute_old_log_prob`` always asks the actor for
entropy and writes ``old_log_probs`` and ``entropy`` to the TransferQueue). lmmr1 wraps that method and
appends ``per_step`` responses of each step, spread evenly over the batch, to ``STAGE/tokens.jsonl``: the prompt's token ids, the
response's token ids, their text, log-probability and entropy (nats), and the temperature verl divided the
logits by; enough to recompute both numbers teacher-forced from the same weights. Decision: the trainer's numbers rather than the rollout's, because they are
exact (the full vocabulary, not the top-k a rollout server could return), the same for every rollout backend,
and computed already.

Installed when a run logs tokens (``log_tokens`` > 0, ``LMMR1_TOKEN_LOG=1`` in the Ray workers' environment).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lmmr1.run.devices import TOKEN_LOG_ENV

FIELDS = ["prompts", "responses", "old_log_probs", "entropy", "response_mask"]


def _rows(value: Any, lengths: list[int]) -> list[list[float]]:
    """One list per row, cut to its response length (the field may be jagged or padded)."""
    if getattr(value, "is_nested", False):
        return [row.tolist() for row in value.unbind()]
    return [value[i, :n].tolist() for i, n in enumerate(lengths)]


def spread(keys: list[Any], count: int) -> list[Any]:
    """``count`` keys evenly spaced over the batch, in order: the responses of a step are grouped by prompt
    (n samples each), so the first few would usually be one prompt's group; these reach across the groups."""
    if count >= len(keys):
        return keys
    return [keys[(k * len(keys)) // count] for k in range(count)]


def log_step(trainer: Any, batch: Any) -> None:
    """Append ``per_step`` responses of ``batch`` (token ids, text, log-prob, entropy) to the log."""
    section = trainer.config.get("lmmr1", None)
    settings = section.get("token_log", None) if section is not None else None
    if not settings or int(settings.get("per_step", 0)) <= 0:
        return
    correction = trainer.config.algorithm.get("rollout_correction", None)
    if correction is not None and correction.get("bypass_mode", False):
        return  # verl reuses the rollout's log-probs then and computes no entropy
    import transfer_queue as tq

    keys = spread(list(batch.keys), int(settings["per_step"]))
    data = tq.kv_batch_get(keys=keys, partition_id=batch.partition_id, select_fields=FIELDS)
    mask = data["response_mask"]
    if getattr(mask, "is_nested", False):
        lengths = mask.offsets().diff().tolist()
    else:  # padded: a row ends after its last masked-in token (multi-turn rows have zeros inside)
        lengths = [int(row.nonzero().max()) + 1 if row.any() else 0 for row in mask]
    policy = _rows(mask, lengths)
    prompts = [row.tolist() for row in data["prompts"].unbind()]  # verl keeps prompts jagged (no padding)
    ids = _rows(data["responses"], lengths)
    logprobs = _rows(data["old_log_probs"], lengths)
    entropies = _rows(data["entropy"], lengths)
    path = Path(str(settings["path"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    tokenizer = trainer.tokenizer
    # verl divides the logits by the rollout temperature before both numbers (extra_info "temperature")
    temperature = float(trainer.config.actor_rollout_ref.rollout.temperature)
    with open(path, "a", encoding="utf-8") as f:
        for key, prompt, row_ids, lp, h, sampled in zip(keys, prompts, ids, logprobs, entropies, policy):
            row_ids = [int(t) for t in row_ids]
            tokens = tokenizer.batch_decode([[t] for t in row_ids], skip_special_tokens=False)
            record = {
                "step": int(trainer.global_steps),
                "key": str(key),
                "temperature": temperature,
                "prompt_ids": [int(t) for t in prompt],
                "ids": row_ids,
                "tokens": tokens,
                "logprob": [round(float(x), 6) for x in lp[: len(row_ids)]],
                "entropy": [round(float(x), 6) for x in h[: len(row_ids)]],
                # 1: sampled by the policy; 0: inserted by the environment between turns (multi-turn agents)
                "policy": [int(x) for x in sampled[: len(row_ids)]],
            }
            f.write(json.dumps(record) + "\n")


def install() -> None:
    """Wrap verl's v1 trainer (once); only in runs that log tokens (``LMMR1_TOKEN_LOG=1``)."""
    from lmmr1.verl.patches import trainer_to_hook

    trainer = trainer_to_hook("token_log", TOKEN_LOG_ENV)
    if trainer is None:
        return
    original = trainer._compute_old_log_prob

    def _compute_old_log_prob(self: Any, batch: Any, metrics: dict) -> Any:
        batch = original(self, batch, metrics)
        log_step(self, batch)
        return batch

    trainer._compute_old_log_prob = _compute_old_log_prob
