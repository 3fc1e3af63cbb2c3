"""Tiny offline models: deterministic, Qwen chat layout, loadable by transformers."""

from __future__ import annotations

import hashlib
from pathlib import Path

from lmmr1 import tiny_models


def _digest(folder: str) -> str:
    return hashlib.sha256((Path(folder) / "model.safetensors").read_bytes()).hexdigest()


def test_tiny_qwen2_is_deterministic(tmp_path, monkeypatch, tiny_qwen2):
    monkeypatch.setenv("LMMR1_CACHE", str(tmp_path))
    rebuilt = tiny_models.ensure_tiny_model("qwen2")
    assert rebuilt != tiny_qwen2 and Path(rebuilt).parent.parent == tmp_path
    assert _digest(rebuilt) == _digest(tiny_qwen2)


def test_chat_template_has_qwen_layout(tiny_qwen2):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_qwen2)
    text = tok.apply_chat_template(
        [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}],
        tokenize=False,
        add_generation_prompt=True,
    )
    assert text == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n"
    for token in tiny_models.SPECIAL_TOKENS:
        assert len(tok.encode(token)) == 1, token
    assert tok.eos_token == "<|im_end|>"


def test_unknown_kind_is_refused():
    import pytest

    with pytest.raises(ValueError, match="unknown tiny model kind"):
        tiny_models.model_dir("llama")


def test_the_head_size_32_variants_differ_only_in_their_heads(tmp_path, monkeypatch):
    """vLLM's CPU attention needs heads of 32: the _hd32 kinds; the base kinds keep their cache names (their
    runs are golden values) and head size 16."""
    import json

    assert tiny_models.model_dir("qwen2").name == "tiny-qwen2-a6b42cb3f309"
    assert tiny_models.model_dir("qwen2_5_vl").name == "tiny-qwen2_5_vl-55c0fd809e02"
    monkeypatch.setenv("LMMR1_CACHE", str(tmp_path))
    base = json.loads((Path(tiny_models.ensure_tiny_model("qwen2_5_vl")) / "config.json").read_text())
    wide = json.loads((Path(tiny_models.ensure_tiny_model("qwen2_5_vl_hd32")) / "config.json").read_text())
    text, wide_text = base["text_config"], wide["text_config"]
    assert text["hidden_size"] // text["num_attention_heads"] == 16
    assert wide_text["hidden_size"] // wide_text["num_attention_heads"] == 32
    assert wide_text["num_key_value_heads"] == 1 and wide["vision_config"] == base["vision_config"]
    # M-RoPE splits the 16 rotary pairs of a 32-wide head (8 of a 16-wide one)
    assert (
        sum(wide_text["rope_parameters"]["mrope_section"]) == 16 and sum(text["rope_parameters"]["mrope_section"]) == 8
    )
    qwen2 = json.loads((Path(tiny_models.ensure_tiny_model("qwen2_hd32")) / "config.json").read_text())
    assert qwen2["hidden_size"] // qwen2["num_attention_heads"] == 32
