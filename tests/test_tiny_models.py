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
