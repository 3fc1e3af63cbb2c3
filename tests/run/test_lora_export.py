"""A LoRA stage's export (lmmr1.run.lora_export) from the peft-keyed state dict verl 0.9.1 writes.

The export here is made the way verl's FSDP checkpoint manager makes it: the full state dict of a peft model
(``get_peft_model`` with the LoraConfig verl's engine builds) saved with the base model's config, next to the
tokenizer and processor files. The adapter's B matrices are set non-zero, as after training."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from lmmr1.config.schema import LoraSpec
from lmmr1.run.lora_export import ADAPTER_DIR, finish_lora_export, is_peft_export, lora_config


def _verl_like_export(tmp_path: Path, lora: LoraSpec) -> tuple[Path, str, object]:
    from peft import get_peft_model
    from safetensors.torch import save_file
    from transformers import AutoModelForImageTextToText

    from lmmr1.tiny_models import ensure_tiny_model

    base = ensure_tiny_model("qwen2_5_vl")
    model = get_peft_model(AutoModelForImageTextToText.from_pretrained(base, dtype=torch.float32), lora_config(lora))
    torch.manual_seed(1)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.2)  # a trained adapter (B starts at zero)
    export = tmp_path / "actor" / "huggingface"
    export.mkdir(parents=True)
    state = {k: v.contiguous() for k, v in model.state_dict().items() if not k.endswith("lm_head.weight")}
    save_file(state, str(export / "model.safetensors"))
    for item in Path(base).iterdir():
        if item.suffix not in (".safetensors",) and item.is_file():
            shutil.copy2(item, export / item.name)
    return export, base, model


def _logits(model, tokens):
    with torch.no_grad():
        return model(input_ids=tokens).logits


def test_the_export_splits_into_an_adapter_and_a_merged_model_that_compute_the_trained_function(tmp_path):
    from peft import PeftModel
    from transformers import AutoModelForImageTextToText

    lora = LoraSpec(rank=4, alpha=8)
    export, base, trained = _verl_like_export(tmp_path, lora)
    assert is_peft_export(export)
    tokens = torch.tensor([[5, 17, 42, 99, 7]])
    expected = _logits(trained.eval(), tokens)

    assert finish_lora_export(export, lora, base) == export
    assert not is_peft_export(export)
    merged = AutoModelForImageTextToText.from_pretrained(str(export), dtype=torch.float32)
    assert torch.allclose(_logits(merged, tokens), expected, atol=1e-5)
    # the adapter, on the base model, is the same function
    adapter = tmp_path / "actor" / ADAPTER_DIR
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert config["r"] == 4 and config["lora_alpha"] == 8 and config["base_model_name_or_path"] == base
    again = PeftModel.from_pretrained(
        AutoModelForImageTextToText.from_pretrained(base, dtype=torch.float32), str(adapter)
    )
    assert torch.allclose(_logits(again, tokens), expected, atol=1e-5)
    # the vision tower had no adapters: bit-identical to the base model's
    original = AutoModelForImageTextToText.from_pretrained(base, dtype=torch.float32).state_dict()
    visual = {k: v for k, v in merged.state_dict().items() if ".visual." in k}
    assert visual and all(torch.equal(v, original[k]) for k, v in visual.items())
    assert not any("lora" in k for k in merged.state_dict())
    # the tokenizer and processor files came along; calling it again changes nothing
    assert (export / "tokenizer_config.json").exists() and (export / "processor_config.json").exists()
    before = (export / "model.safetensors").read_bytes()
    finish_lora_export(export, lora, base)
    assert (export / "model.safetensors").read_bytes() == before


def test_an_export_that_does_not_match_the_configured_adapter_is_refused(tmp_path):
    export, base, _ = _verl_like_export(tmp_path, LoraSpec(rank=4, alpha=8))
    with pytest.raises(ValueError, match="does not match the adapter lmmr1 configured"):
        finish_lora_export(export, LoraSpec(rank=4, alpha=8, target_modules=["q_proj"]), base)


def test_lmmr1_eval_merges_an_earlier_checkpoint_of_a_lora_run_on_first_use(tmp_path):
    """Only a stage's final export is merged during the run; ``--model`` naming an earlier one reads the stage's
    LoRA settings from the manifest and merges it in place; outside a run it is refused with the reason."""
    from transformers import AutoModelForImageTextToText

    from lmmr1.eval.core import EvalDataError
    from lmmr1.eval.runner import models_of

    lora = LoraSpec(rank=4, alpha=8)
    step = tmp_path / "run" / "fre_text" / "checkpoints" / "global_step_2"
    export, base, trained = _verl_like_export(step, lora)
    tokens = torch.tensor([[5, 17, 42, 99, 7]])
    expected = _logits(trained.eval(), tokens)
    settings = {"lora.rank": 4, "lora.alpha": 8, "lora.target_modules": "all-linear", "lora.vision_tower": False}
    manifest = {"recipe": "fre_text", "stages": [{"name": "fre_text", "status": "done", "init_model": base, "settings": settings}]}  # fmt: skip
    (tmp_path / "run" / "manifest.json").write_text(json.dumps(manifest))
    outside = tmp_path / "elsewhere"
    shutil.copytree(step, outside)

    assert models_of(str(export)) == [("huggingface", str(export), "")]
    assert not is_peft_export(export) and (export.parent / ADAPTER_DIR / "adapter_config.json").exists()
    merged = AutoModelForImageTextToText.from_pretrained(str(export), dtype=torch.float32).eval()
    assert torch.allclose(_logits(merged, tokens), expected, atol=1e-4)
    with pytest.raises(EvalDataError, match="no lmmr1 run around it records the stage's lora settings"):
        models_of(str(outside / "actor" / "huggingface"))
