"""The HF-generate rollout server: tokens, log-probs that match the model, batching and weight sync."""

from __future__ import annotations

import asyncio

import pytest
import torch
from omegaconf import OmegaConf

from lmmr1.verl.cpu_backend.rollout import HFGenerateServer


@pytest.fixture(scope="module")
def server(tiny_qwen2):
    config = OmegaConf.create({"prompt_length": 64, "response_length": 6})
    model_config = OmegaConf.create({"path": tiny_qwen2})
    return HFGenerateServer(config, model_config, replica_rank=0)


def _prompt(server, text="Digit: 4. Repeat the digit."):
    return server.tokenizer.apply_chat_template(
        [{"role": "user", "content": text}], add_generation_prompt=True, tokenize=True, return_dict=False
    )


def test_generate_returns_tokens_and_matching_logprobs(server):
    prompt = list(_prompt(server))
    torch.manual_seed(0)
    out = asyncio.run(server.generate("r1", prompt, {"temperature": 1.0, "top_p": 1.0, "top_k": -1, "logprobs": True}))
    assert 1 <= len(out.token_ids) <= 6
    assert len(out.log_probs) == len(out.token_ids)
    # recompute with a plain forward pass: the trainer does exactly this
    ids = torch.tensor([prompt + out.token_ids])
    with torch.no_grad():
        logits = server.model(ids).logits[0, len(prompt) - 1 : -1]
    expected = torch.log_softmax(logits.float(), -1).gather(-1, torch.tensor(out.token_ids)[:, None]).squeeze(-1)
    assert torch.allclose(torch.tensor(out.log_probs), expected, atol=1e-4)


def test_concurrent_requests_are_batched_and_all_answered(server):
    prompts = [list(_prompt(server, f"Digit: {d}. Repeat the digit.")) for d in range(6)] + [
        list(_prompt(server, "hi"))
    ]

    async def many():
        params = {"temperature": 1.0, "top_p": 1.0, "top_k": -1}
        return await asyncio.gather(*[server.generate(f"r{i}", p, params) for i, p in enumerate(prompts)])

    outs = asyncio.run(many())
    assert len(outs) == len(prompts)
    assert all(o.token_ids and o.stop_reason == "completed" for o in outs)


def test_greedy_is_deterministic(server):
    prompt = list(_prompt(server))
    a = asyncio.run(server.generate("g1", prompt, {"temperature": 0.0}))
    b = asyncio.run(server.generate("g2", prompt, {"temperature": 0.0}))
    assert a.token_ids == b.token_ids


def test_weight_update_loads_the_sent_tensors_and_records_the_step(server):
    prompt = list(_prompt(server))
    before = asyncio.run(server.generate("w1", prompt, {"temperature": 0.0}))
    generator = torch.Generator().manual_seed(1)
    # named_parameters() lists tied weights once, as the trainer's FSDP export does
    params = dict(server.model.named_parameters())
    sent = {k: v.detach() + 0.05 * torch.randn(v.shape, generator=generator) for k, v in params.items()}
    server.update_weights(sent, global_steps=3)
    for name, tensor in server.model.named_parameters():
        assert torch.equal(tensor, sent[name]), name
    after = asyncio.run(server.generate("w2", prompt, {"temperature": 0.0}))
    assert after.extra_fields["global_steps"] == 3
    assert after.log_probs != before.log_probs


def test_unknown_weight_names_fail_loudly(server):
    with pytest.raises(KeyError, match="no match in the rollout model"):
        server.update_weights({"vision_tower.blocks.0.weight": torch.zeros(1)}, global_steps=1)
