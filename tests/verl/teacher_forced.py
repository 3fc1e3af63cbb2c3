"""Recompute a logged response's per-token log-probability and entropy teacher-forced, outside verl.

The check on ``STAGE/tokens.jsonl`` (lmmr1.verl.token_log): load the weights that sampled the response with
transformers, feed the logged prompt and response ids in one forward pass, divide the logits by the logged
temperature, and read each response position's log-softmax of the sampled token and the entropy of the
whole distribution. Text prompts only (a multimodal prompt would need its pixels).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def teacher_forced(model_dir: Path, row: dict[str, Any]) -> tuple[list[float], list[float]]:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForImageTextToText

    multimodal = hasattr(AutoConfig.from_pretrained(str(model_dir)), "vision_config")
    loader = AutoModelForImageTextToText if multimodal else AutoModelForCausalLM
    model = loader.from_pretrained(str(model_dir), dtype=torch.float32).eval()
    prompt, response = list(row["prompt_ids"]), list(row["ids"])
    ids = torch.tensor([prompt + response])
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[0].float()
    # the logits at position i predict token i + 1: the response's tokens are predicted from len(prompt) - 1 on
    logits = logits[len(prompt) - 1 : len(prompt) - 1 + len(response)] / float(row["temperature"])
    logp = torch.log_softmax(logits, dim=-1)
    chosen = logp.gather(-1, torch.tensor(response).unsqueeze(-1)).squeeze(-1)
    entropy = -(logp.exp() * logp).sum(-1)
    return chosen.tolist(), entropy.tolist()
