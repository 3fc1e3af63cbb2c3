"""Bundled sample datasets, written out in verl's parquet layout on first use.

The repository ships the sources as text (``lmmr1/sample_data/*.jsonl``, problems written for lmmr1);
this module turns them into verl-ready parquet files (``data_source``, ``prompt`` chat messages,
``reward_model.ground_truth``, ``extra_info``) under the lmmr1 cache, deterministically, so a smoke run
needs no download. Recipes name a sample set as ``sample:NAME``; anything else is a path.

* ``fre_text`` - short math problems with gold answers, with the LMM-R1 system prompt (FRE-Text smoke).
* ``sanity``  - "answer with the digit shown": a trivially learnable task that proves the trainer,
  rollout and weight sync work together (its reward must rise within a few steps).
* ``sokoban`` / ``sokoban_online`` - 7x7, 2-box levels from lmmr1's generator for the global
  (single-turn) and online (multi-turn agent loop) Sokoban tasks.
* ``multi``   - small verifiable multimodal problems drawn with Pillow (count the shapes, read and add
  the numbers, name the colour), one embedded PNG per row: the smoke stand-in for VerMulti.
* ``sft_cot`` - chain-of-thought conversations for SFT stages (verl's ``messages`` layout): the
  ``fre_text`` problems and ``multi`` pictures, each answered in the think/answer format with a short
  worked reasoning written from the problem's own construction (a smoke stand-in for R1-Onevision's data).
* ``llava_cot`` / ``llava_cot_stage1`` / ``llava_cot_rl`` - the ``multi`` pictures answered in LLaVA-CoT's four
  tagged stages (``<SUMMARY><CAPTION><REASONING><CONCLUSION>``, the layout of LLaVA-CoT-100k's answers, written
  from each problem's own construction), the same answers cut after the caption (LlamaV-o1's first curriculum
  step), and the same questions as RL prompts with their gold answers (no system prompt, as LLaVA-CoT asks).
* ``football_online`` - games of lmmr1's football engine (3 vs 1 with keeper) for the online football
  agent loop, first frame as the prompt image.
"""

from __future__ import annotations

import hashlib
import json
import random
from importlib import resources
from typing import Any

from lmmr1.cache import sample_set_dir
from lmmr1.prompts import MATH_SUFFIX, chat_prompt

SAMPLE_PREFIX = "sample:"
SAMPLE_SETS = (
    "fre_text",
    "sanity",
    "multi",
    "sokoban",
    "sokoban_online",
    "football_online",
    "sft_cot",
    "llava_cot",
    "llava_cot_stage1",
    "llava_cot_rl",
)
_VERSION = 2


def _fre_text_rows() -> list[dict[str, Any]]:
    text = (resources.files("lmmr1") / "sample_data" / "fre_text.jsonl").read_text(encoding="utf-8")
    rows = []
    for index, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        item = json.loads(line)
        rows.append(
            {
                "data_source": "lmmr1/sample_fre_text",
                "prompt": chat_prompt(item["question"] + MATH_SUFFIX),
                "ability": "math",
                "reward_model": {"style": "rule", "ground_truth": item["answer"]},
                "extra_info": {"index": index, "id": item["id"], "question": item["question"]},
            }
        )
    return rows


def _sanity_rows(n: int = 256, seed: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for index in range(n):
        digit = rng.randrange(10)
        rows.append(
            {
                "data_source": "lmmr1/sanity_digit",
                "prompt": [{"role": "user", "content": f"Digit: {digit}. Repeat the digit."}],
                "ability": "copy",
                "reward_model": {"style": "rule", "ground_truth": str(digit)},
                "extra_info": {"index": index, "id": f"digit-{index:04d}"},
            }
        )
    return rows


_COLOURS = {"red": (220, 40, 40), "green": (40, 160, 60), "blue": (40, 80, 220), "orange": (240, 150, 30)}


def _png(image: Any) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _multi_rows(n: int = 64, seed: int = 0, with_reasoning: bool = False) -> list[dict[str, Any]]:
    """Deterministic picture problems with exact answers (Pillow only, no fonts beyond the default).

    ``with_reasoning`` adds ``extra_info.reasoning``: how the answer follows from the drawing (for SFT rows).
    """
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    rows = []
    for index in range(n):
        # Widths vary so prompts differ in length: verl 0.9.1 mis-handles a batch whose multimodal
        # (M-RoPE) position ids all have the same length (see README, known issues).
        image = Image.new("RGB", (112 + 28 * (index % 4), 112), "white")
        draw = ImageDraw.Draw(image)
        kind = index % 3
        if kind == 0:
            count = rng.randint(1, 6)
            for _ in range(count):
                x, y = rng.randint(4, 88), rng.randint(4, 88)
                draw.ellipse((x, y, x + 18, y + 18), outline="black", width=2)
            question, answer = "<image>How many circles are in the image?", str(count)
            reasoning = f"I count the circles in the image one by one and find {count} of them."
        elif kind == 1:
            a, b = rng.randint(1, 20), rng.randint(1, 20)
            draw.text((10, 40), f"{a} + {b}", fill="black")
            question, answer = "<image>Compute the sum written in the image.", str(a + b)
            reasoning = f"The image shows the sum {a} + {b}. Adding the two numbers gives {a + b}."
        else:
            name = rng.choice(sorted(_COLOURS))
            draw.rectangle((20, 20, 92, 92), fill=_COLOURS[name])
            question, answer = "<image>What colour is the square? Answer with one word.", name
            reasoning = f"The square in the middle of the image is filled with a single colour: {name}."
        rows.append(
            {
                "data_source": "lmmr1/sample_multi",
                "prompt": chat_prompt(question + MATH_SUFFIX),
                "images": [{"bytes": _png(image)}],
                "ability": "multimodal",
                "reward_model": {"style": "rule", "ground_truth": answer},
                "extra_info": {"index": index, "id": f"multi-{index:04d}"}
                | ({"reasoning": reasoning} if with_reasoning else {}),
            }
        )
    return rows


def _cot_reply(reasoning: str, answer: str) -> str:
    return f"<think>{reasoning}</think><answer>\\boxed{{{answer}}}</answer>"


def _sft_cot_rows() -> list[dict[str, Any]]:
    """Conversations in verl's SFT layout: ``messages`` (system, user, assistant) and ``images``.

    The user turn is word for word the RL prompt of the same problem (so SFT teaches the format the RL
    stage's format reward checks); an image's place is the ``<image>`` placeholder verl's SFT dataset reads.
    """
    rows: list[dict[str, Any]] = []
    for row in _fre_text_rows():
        answer = row["reward_model"]["ground_truth"]
        reasoning = (
            "I restate the problem, work through it step by step and check the result against the question. "
            f"The result is {answer}."
        )
        messages = [*row["prompt"], {"role": "assistant", "content": _cot_reply(reasoning, answer)}]
        rows.append(
            {
                "data_source": "lmmr1/sample_sft_cot",
                "messages": messages,
                "images": [],
                "extra_info": {"id": row["extra_info"]["id"], "index": len(rows)},
            }
        )
    for row in _multi_rows(with_reasoning=True):
        answer = row["reward_model"]["ground_truth"]
        messages = [
            *row["prompt"],
            {"role": "assistant", "content": _cot_reply(row["extra_info"]["reasoning"], answer)},
        ]
        rows.append(
            {
                "data_source": "lmmr1/sample_sft_cot",
                "messages": messages,
                "images": row["images"],
                "extra_info": {"id": row["extra_info"]["id"], "index": len(rows)},
            }
        )
    # text and picture conversations interleaved, so every split and batch has both
    text, pictures = rows[: len(rows) - 64], rows[len(rows) - 64 :]
    mixed = [r for pair in zip(text, pictures) for r in pair] + text[len(pictures) :] + pictures[len(text) :]
    for index, r in enumerate(mixed):
        r["extra_info"]["index"] = index
    return mixed


# What each of LLaVA-CoT's stages says, per kind of picture problem of _multi_rows (written for lmmr1)
_STAGE_TEXT = {
    "How many circles": (
        "I will count the circles in the image and report the number.",
        "The image shows black circle outlines scattered on a white background.",
    ),
    "Compute the sum": (
        "I will read the two numbers written in the image and add them.",
        "The image shows a sum of two whole numbers written in black on a white background.",
    ),
    "What colour": (
        "I will look at the square in the middle of the image and name its colour in one word.",
        "The image shows one filled square in the middle of a white background.",
    ),
}


def _stage_answer(question: str, reasoning: str, answer: str, stages: int = 4) -> str:
    summary, caption = next(v for k, v in _STAGE_TEXT.items() if k in question)
    parts = [
        f"<SUMMARY> {summary} </SUMMARY>",
        f"<CAPTION> {caption} </CAPTION>",
        f"<REASONING> {reasoning} </REASONING>",
        f"<CONCLUSION> {answer} </CONCLUSION>",
    ]
    return "\n\n".join(parts[:stages])


def _llava_cot_question(row: dict[str, Any]) -> str:
    """The picture question without lmmr1's think/answer instruction (LLaVA-CoT asks the question alone)."""
    return row["prompt"][-1]["content"].replace(MATH_SUFFIX, "")


def _llava_cot_rows(stages: int = 4) -> list[dict[str, Any]]:
    """SFT conversations (verl's messages layout) answered in LLaVA-CoT's stages (``stages`` of the four)."""
    rows = []
    for row in _multi_rows(with_reasoning=True):
        question = _llava_cot_question(row)
        reply = _stage_answer(question, row["extra_info"]["reasoning"], row["reward_model"]["ground_truth"], stages)
        rows.append(
            {
                "data_source": "lmmr1/sample_llava_cot",
                "messages": [{"role": "user", "content": question}, {"role": "assistant", "content": reply}],
                "images": row["images"],
                "extra_info": {"id": row["extra_info"]["id"], "index": len(rows)},
            }
        )
    return rows


def _llava_cot_rl_rows() -> list[dict[str, Any]]:
    rows = _multi_rows()
    for row in rows:
        row["data_source"] = "lmmr1/sample_llava_cot"
        row["prompt"] = chat_prompt(_llava_cot_question(row), system_prompt=None)
    return rows


def _sokoban_rows(task: str, n: int = 48, seed: int = 0) -> list[dict[str, Any]]:
    """7x7 levels with 2 boxes from lmmr1's generator (``lmmr1 data generate sokoban``), global or online task."""
    from lmmr1.data.generate import sokoban_levels

    return [row for _, _, row in sokoban_levels(n, (7, 7), 2, seed, task=task, progress=False)]


def _football_rows(n: int = 24, seed: int = 0) -> list[dict[str, Any]]:
    """Games of lmmr1's football engine (``lmmr1 data generate football``), 3 vs 1 with keeper, first frame shown."""
    from lmmr1.data.generate import football_rows

    return football_rows(n, "academy_3_vs_1_with_keeper", seed, progress=False)


_BUILDERS = {
    "fre_text": _fre_text_rows,
    "sanity": _sanity_rows,
    "multi": _multi_rows,
    "sokoban": lambda: _sokoban_rows("global"),
    "sokoban_online": lambda: _sokoban_rows("online"),
    "football_online": _football_rows,
    "sft_cot": _sft_cot_rows,
    "llava_cot": _llava_cot_rows,
    "llava_cot_stage1": lambda: _llava_cot_rows(stages=2),
    "llava_cot_rl": _llava_cot_rl_rows,
}


def _digest_bytes(value: Any) -> str:
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    raise TypeError(type(value))


def ensure_sample_set(name: str) -> dict[str, str]:
    """Return ``{"train": path, "val": path}`` for a bundled sample set, writing it if needed."""
    import pyarrow as pa

    from lmmr1.data.writer import write_table_atomic

    if name not in _BUILDERS:
        raise ValueError(f"unknown sample set '{name}'; bundled sets: {', '.join(SAMPLE_SETS)}")
    rows = _BUILDERS[name]()
    digest = hashlib.sha256(json.dumps([_VERSION, rows], sort_keys=True, default=_digest_bytes).encode()).hexdigest()[
        :12
    ]
    folder = sample_set_dir(name, digest)
    train, val = folder / "train.parquet", folder / "val.parquet"
    if not (train.exists() and val.exists()):
        folder.mkdir(parents=True, exist_ok=True)
        n_val = max(1, len(rows) // 8)
        write_table_atomic(pa.Table.from_pylist(rows[n_val:]), str(train))
        write_table_atomic(pa.Table.from_pylist(rows[:n_val]), str(val))
    return {"train": str(train), "val": str(val)}


def resolve_data_path(spec: str, split: str) -> str:
    """``sample:NAME`` -> the bundled parquet for ``split``; other strings are returned unchanged."""
    if spec.startswith(SAMPLE_PREFIX):
        return ensure_sample_set(spec[len(SAMPLE_PREFIX) :])[split]
    return spec
