"""Helpers shared by the data tests (fixtures live in conftest.py)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from PIL import Image, ImageDraw

QWEN_SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
]

# Qwen2-VL style: list contents render images as a vision block with one <|image_pad|>, which the
# processor expands to the image's token count.
QWEN_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for item in message['content'] %}"
    "{% if item['type'] == 'image' or 'image' in item %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif item['type'] == 'video' or 'video' in item %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in item %}{{ item['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def png_bytes(width: int = 64, height: int = 48, color=(200, 30, 30), fmt: str = "PNG") -> bytes:
    im = Image.new("RGB", (width, height), (255, 255, 255))
    ImageDraw.Draw(im).rectangle([4, 4, width - 5, height - 5], outline=color, width=3)
    buf = io.BytesIO()
    im.save(buf, format=fmt)
    return buf.getvalue()


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), encoding="utf-8")
    return path


def lmmr1_record(image_paths: list[str], text: str, answer: str, **extra) -> dict:
    content = [{"type": "image", "image": p} for p in image_paths] + [{"type": "text", "text": text}]
    return {"message": json.dumps([{"role": "user", "content": content}]), "answer": answer, **extra}


def build_qwen_vl_processor_dir(out: Path) -> str:
    """Save a Qwen2.5-VL processor that AutoProcessor (and verl's hf_processor) load offline: a BPE
    tokenizer trained here with the Qwen special tokens + chat template, Qwen2-VL image defaults, and
    lmmr1's image-only video processor (torchvision is absent)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2_5_VLProcessor
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    from lmmr1.verl import data_compat as verl_compat

    verl_compat.apply()
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600,
        special_tokens=QWEN_SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    corpus = [
        "A conversation between User and Assistant. The user asks a question, and the Assistant solves it.",
        "What is the angle? Compare the two figures. Put the final answer in \\boxed{} inside the <answer> tags.",
        "<think> reasoning process here </think><answer> answer here </answer> Sokoban box target Left Right Up Down",
    ]
    tok.train_from_iterator(corpus * 20, trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    tokenizer.chat_template = QWEN_CHAT_TEMPLATE
    processor = Qwen2_5_VLProcessor(
        image_processor=Qwen2VLImageProcessorPil(),
        tokenizer=tokenizer,
        video_processor=verl_compat.image_only_video_processor(),
        chat_template=QWEN_CHAT_TEMPLATE,
    )
    processor.save_pretrained(out)
    (out / "config.json").write_text(json.dumps({"model_type": "qwen2_5_vl"}))
    return str(out)
