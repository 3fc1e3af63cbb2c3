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
    # the second family too: Qwen3-VL's interleaved M-RoPE over the 16 pairs, the same vision tower
    qwen3, qwen3_wide = (
        json.loads((Path(tiny_models.ensure_tiny_model(kind)) / "config.json").read_text())
        for kind in ("qwen3_vl", "qwen3_vl_hd32")
    )
    narrow, wide3 = qwen3["text_config"], qwen3_wide["text_config"]
    assert (narrow["head_dim"], wide3["head_dim"]) == (16, 32) and qwen3_wide["vision_config"] == qwen3["vision_config"]
    assert sum(wide3["rope_parameters"]["mrope_section"]) == 16 and wide3["rope_parameters"]["mrope_interleaved"]


def test_the_tiny_qwen3_vl_has_qwen3_vls_architecture_and_vision_tokens():
    """The second family: Qwen3-VL's classes, 16-pixel patches merged 2x2 (one token per 32x32 pixels),
    interleaved M-RoPE and DeepStack; the processor's image tokens are what the model expects, and it generates."""
    import json

    import torch
    from PIL import Image
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from lmmr1.data.inspect import geometry_of

    folder = tiny_models.ensure_tiny_model("qwen3_vl")
    config = json.loads((Path(folder) / "config.json").read_text())
    assert config["model_type"] == "qwen3_vl" and config["architectures"] == ["Qwen3VLForConditionalGeneration"]
    assert config["vision_config"]["patch_size"] == 16 and config["vision_config"]["deepstack_visual_indexes"] == [0]
    assert config["text_config"]["rope_parameters"]["mrope_interleaved"] is True
    processor = AutoProcessor.from_pretrained(folder)
    assert type(processor).__name__ == "Qwen3VLProcessor"
    geometry = geometry_of(processor, None, None)
    assert (geometry.patch_size, geometry.merge_size, geometry.factor) == (16, 2, 32)
    text = processor.apply_chat_template(
        [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "2+3?"}]}], add_generation_prompt=True
    )
    assert "<|vision_start|><|image_pad|><|vision_end|>" in text
    inputs = processor(text=[text], images=[Image.new("RGB", (128, 96), "white")], return_tensors="pt")
    image_tokens = int((inputs["input_ids"] == config["image_token_id"]).sum())
    assert image_tokens == geometry.tokens(128, 96) == (128 // 32) * (96 // 32)
    model = AutoModelForImageTextToText.from_pretrained(folder, dtype=torch.float32)
    out = model.generate(**inputs, max_new_tokens=3, do_sample=False)
    assert out.shape[1] == inputs["input_ids"].shape[1] + 3
