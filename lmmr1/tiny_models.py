"""Tiny, randomly initialised models built offline, so the whole pipeline runs without a model hub.

Two architectures, the ones LMM-R1 uses at full size, and a second vision-language family:

* ``qwen2`` - a Qwen2 causal LM (the text tower of Qwen2.5-VL);
* ``qwen2_5_vl`` - a Qwen2.5-VL vision-language model with its processor;
* ``qwen3_vl`` - a Qwen3-VL (the architecture of Qwen3-VL-2B/4B: 16-pixel patches merged 2x2, interleaved
  M-RoPE, learned position embeddings of the vision tower, DeepStack features) with its processor.

Each has an ``_hd32`` variant (``qwen2_hd32``, ``qwen2_5_vl_hd32``, ``qwen3_vl_hd32``): the same sizes with 2 attention heads of
32 instead of 4 of 16, because vLLM's CPU attention refuses head sizes below 32 (``scale=cpu_vllm`` uses
them). The base kinds keep head size 16: their runs are pinned as golden values.

Both share a byte-level BPE tokenizer trained locally on lmmr1's bundled sample data, carrying the Qwen
special tokens and a Qwen-style chat template, so verl's dataset, agent loop and reward code see exactly
the token layout a real Qwen2.5-VL produces. Builds are deterministic (fixed seeds, fixed corpus) and
cached under ``$LMMR1_CACHE`` (default ``~/.cache/lmmr1``) keyed by a hash of the build recipe; a
half-written build is never visible (built in a temporary directory, then renamed).

Real models are used by passing ``model.path=...``; these exist so that a laptop can run the pipeline.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from lmmr1.cache import tiny_model_dir

BUILD_VERSION = 3
KINDS = ("qwen2", "qwen2_5_vl", "qwen2_hd32", "qwen2_5_vl_hd32", "qwen3_vl", "qwen3_vl_hd32")

# The head-size-32 variants: what differs from TEXT_CONFIG, and the M-RoPE split of the 16 rotary frequency
# pairs of a 32-wide head (Qwen2.5-VL's [16, 24, 24] of 64 pairs, scaled down as [2, 3, 3] is for 8 pairs).
HD32_TEXT = {"num_attention_heads": 2, "num_key_value_heads": 1}
MROPE_SECTION = {
    "qwen2_5_vl": [2, 3, 3],
    "qwen2_5_vl_hd32": [4, 6, 6],
    "qwen3_vl": [2, 3, 3],
    "qwen3_vl_hd32": [4, 6, 6],
}

SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
]

# A Qwen-style chat template (written for lmmr1): system/user/assistant turns between <|im_start|> and
# <|im_end|>; list contents may hold {"type": "image"} items, rendered as a vision block.
CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' -}}"
    "{%- if message['content'] is string -%}"
    "{{- message['content'] -}}"
    "{%- else -%}"
    "{%- for item in message['content'] -%}"
    "{%- if item['type'] == 'image' or 'image' in item -%}"
    "{{- '<|vision_start|><|image_pad|><|vision_end|>' -}}"
    "{%- elif item['type'] == 'video' or 'video' in item -%}"
    "{{- '<|vision_start|><|video_pad|><|vision_end|>' -}}"
    "{%- elif 'text' in item -%}"
    "{{- item['text'] -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- endif -%}"
    "{{- '<|im_end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}"
    "{{- '<|im_start|>assistant\\n' -}}"
    "{%- endif -%}"
)

TEXT_CONFIG: dict[str, Any] = dict(
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=4096,
    rope_theta=10000.0,
    rms_norm_eps=1e-6,
    tie_word_embeddings=True,
    hidden_act="silu",
)

VISION_CONFIG: dict[str, Any] = dict(
    depth=2,
    hidden_size=32,
    intermediate_size=64,
    num_heads=2,
    in_chans=3,
    patch_size=14,
    spatial_merge_size=2,
    temporal_patch_size=2,
    window_size=112,
    fullatt_block_indexes=[1],
    out_hidden_size=TEXT_CONFIG["hidden_size"],
)

# Qwen3-VL's tower at tiny size: 16-pixel patches (Qwen3-VL-2B/4B), learned position embeddings on an 8x8 grid
# (interpolated to each image's grid, as the real 48x48), DeepStack features from its first block
QWEN3_VISION_CONFIG: dict[str, Any] = dict(
    depth=2,
    hidden_size=32,
    intermediate_size=64,
    num_heads=2,
    in_channels=3,
    patch_size=16,
    spatial_merge_size=2,
    temporal_patch_size=2,
    num_position_embeddings=64,
    deepstack_visual_indexes=[0],
    out_hidden_size=TEXT_CONFIG["hidden_size"],
)
QWEN3_PATCH = 16

# Images are resized so that a 28x28 merged patch is one token; a small max keeps CPU runs fast.
MIN_PIXELS = 28 * 28 * 4
MAX_PIXELS = 28 * 28 * 64

VOCAB_SIZE = 1024


def text_config(kind: str) -> dict[str, Any]:
    """The text tower's settings of a tiny ``kind`` (the ``_hd32`` variants have 2 heads of 32)."""
    return {**TEXT_CONFIG, **HD32_TEXT} if kind.endswith("_hd32") else dict(TEXT_CONFIG)


def _is_vl(kind: str) -> bool:
    return kind.startswith(("qwen2_5_vl", "qwen3_vl"))


def _vision_config(kind: str) -> dict[str, Any]:
    return dict(QWEN3_VISION_CONFIG) if kind.startswith("qwen3_vl") else dict(VISION_CONFIG)


def _recipe_hash(kind: str) -> str:
    payload = json.dumps(
        {
            "v": BUILD_VERSION,
            "kind": kind,
            "text": text_config(kind),
            "vision": _vision_config(kind) if _is_vl(kind) else None,
            "vocab": VOCAB_SIZE,
            "template": CHAT_TEMPLATE,
            "corpus": hashlib.sha256(_corpus_text().encode()).hexdigest(),
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def _corpus_text() -> str:
    """Text the tokenizer is trained on: the bundled sample data plus prompt boilerplate."""
    from lmmr1.prompts import MATH_SUFFIX, SYSTEM_PROMPT

    parts = [SYSTEM_PROMPT, MATH_SUFFIX, "<think> </think> <answer> </answer> \\boxed{} \\frac{}{} \\sqrt{}"]
    sample_dir = resources.files("lmmr1") / "sample_data"
    for name in sorted(p.name for p in sample_dir.iterdir() if p.name.endswith(".jsonl")):
        parts.append((sample_dir / name).read_text(encoding="utf-8"))
    parts.append(" ".join(str(i) for i in range(1000)))
    return "\n".join(parts)


def model_dir(kind: str) -> Path:
    if kind not in KINDS:
        raise ValueError(f"unknown tiny model kind '{kind}'; choose one of {', '.join(KINDS)}")
    return tiny_model_dir(kind, _recipe_hash(kind))


def ensure_tiny_model(kind: str) -> str:
    """Return the directory of the tiny ``kind`` model, building it on first use."""
    target = model_dir(kind)
    if (target / "config.json").exists():
        return str(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        _build(kind, tmp)
        try:
            os.replace(tmp, target)
        except OSError:
            # another process finished first; theirs is identical (deterministic build)
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return str(target)


def build_tokenizer(out_dir: Path) -> Any:
    """Train the byte-level BPE tokenizer and save it as a Qwen2 fast tokenizer in ``out_dir``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    lines = _corpus_text().splitlines()
    tok.train_from_iterator(lines, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        bos_token=None,
        unk_token=None,
        additional_special_tokens=SPECIAL_TOKENS[1:],
        model_max_length=TEXT_CONFIG["max_position_embeddings"],
        clean_up_tokenization_spaces=False,
        padding_side="left",
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(out_dir)
    return fast


def _build(kind: str, out_dir: Path) -> None:
    import torch

    tokenizer = build_tokenizer(out_dir)
    vocab = len(tokenizer)
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    torch.manual_seed(0)
    if not _is_vl(kind):
        from transformers import Qwen2Config, Qwen2ForCausalLM

        config = Qwen2Config(
            vocab_size=vocab,
            bos_token_id=ids["<|endoftext|>"],
            eos_token_id=ids["<|im_end|>"],
            pad_token_id=ids["<|endoftext|>"],
            **text_config(kind),
        )
        model = Qwen2ForCausalLM(config)
    elif kind.startswith("qwen3_vl"):
        from transformers import Qwen3VLConfig, Qwen3VLForConditionalGeneration

        text = text_config(kind)
        text.pop("rope_theta")
        text.update(
            vocab_size=vocab,
            head_dim=text["hidden_size"] // text["num_attention_heads"],
            bos_token_id=ids["<|endoftext|>"],
            eos_token_id=ids["<|im_end|>"],
            pad_token_id=ids["<|endoftext|>"],
            # Qwen3-VL's interleaved M-RoPE; [24, 20, 20] of 64 frequency pairs at full size, [2, 3, 3] of 8 here
            rope_parameters={
                "rope_type": "default",
                "rope_theta": 10000.0,
                "mrope_section": MROPE_SECTION[kind],
                "mrope_interleaved": True,
            },
        )
        config = Qwen3VLConfig(
            text_config=text,
            vision_config=_vision_config(kind),
            image_token_id=ids["<|image_pad|>"],
            video_token_id=ids["<|video_pad|>"],
            vision_start_token_id=ids["<|vision_start|>"],
            vision_end_token_id=ids["<|vision_end|>"],
            tie_word_embeddings=True,
        )
        model = Qwen3VLForConditionalGeneration(config)
        _save_processor(out_dir, tokenizer, qwen3=True)
    else:
        from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

        text = text_config(kind)
        text.update(
            vocab_size=vocab,
            bos_token_id=ids["<|endoftext|>"],
            eos_token_id=ids["<|im_end|>"],
            pad_token_id=ids["<|endoftext|>"],
            rope_scaling={"type": "mrope", "mrope_section": MROPE_SECTION[kind]},
        )
        config = Qwen2_5_VLConfig(
            text_config=text,
            vision_config=dict(VISION_CONFIG),
            image_token_id=ids["<|image_pad|>"],
            video_token_id=ids["<|video_pad|>"],
            vision_start_token_id=ids["<|vision_start|>"],
            vision_end_token_id=ids["<|vision_end|>"],
            tie_word_embeddings=True,
        )
        model = Qwen2_5_VLForConditionalGeneration(config)
        _save_processor(out_dir, tokenizer)
    model.generation_config.eos_token_id = [ids["<|im_end|>"], ids["<|endoftext|>"]]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    model.generation_config.do_sample = True
    from transformers.utils import logging as hf_logging

    shown = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # transformers' "Writing model shards" bar is not lmmr1's console
    try:
        model.save_pretrained(out_dir, safe_serialization=True)
    finally:
        if shown:
            hf_logging.enable_progress_bar()
    (out_dir / "lmmr1_tiny.json").write_text(
        json.dumps(
            {"kind": kind, "build_version": BUILD_VERSION, "note": "random weights, for pipeline tests"}, indent=2
        )
    )


def _save_processor(out_dir: Path, tokenizer: Any, qwen3: bool = False) -> None:
    """Save a Qwen2.5-VL or Qwen3-VL processor (image processor + tokenizer + chat template)."""
    from transformers import Qwen2_5_VLProcessor, Qwen3VLProcessor

    cls = Qwen3VLProcessor if qwen3 else Qwen2_5_VLProcessor
    processor = cls(
        image_processor=_image_processor(QWEN3_PATCH if qwen3 else 14),
        tokenizer=tokenizer,
        video_processor=_video_processor(),
        chat_template=CHAT_TEMPLATE,
    )
    processor.save_pretrained(out_dir)


def _image_processor(patch_size: int = 14) -> Any:
    try:  # the PIL backend needs no torchvision (absent on CPU installs)
        from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil as cls
    except ImportError:  # pragma: no cover - older transformers
        from transformers import Qwen2VLImageProcessor as cls
    # a merged patch (2x2 patches) is one token: 28x28 pixels for Qwen2.5-VL, 32x32 for Qwen3-VL
    scale = (patch_size * 2) ** 2 / 28**2
    return cls(
        min_pixels=int(MIN_PIXELS * scale),
        max_pixels=int(MAX_PIXELS * scale),
        patch_size=patch_size,
        merge_size=2,
        temporal_patch_size=2,
    )


def _video_processor() -> Any:
    """The real video processor needs torchvision; without it, an image-only stand-in (same saved name)."""
    from lmmr1.verl import data_compat as verl_compat

    if verl_compat.torchvision_available():
        from transformers import Qwen2VLVideoProcessor

        return Qwen2VLVideoProcessor(min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS)
    verl_compat.apply()
    return verl_compat.image_only_video_processor()
