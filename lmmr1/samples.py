"""Bundled sample datasets, written out in verl's parquet layout on first use.

The repository ships the sources as text (``lmmr1/sample_data/*.jsonl``, problems written for lmmr1);
this module turns them into verl-ready parquet files (``data_source``, ``prompt`` chat messages,
``reward_model.ground_truth``, ``extra_info``) under the lmmr1 cache, deterministically, so a smoke run
needs no download. Recipes name a sample set as ``sample:NAME``; anything else is a path.

* ``fre_text`` - short math problems with gold answers, with the LMM-R1 system prompt (FRE-Text smoke).
* ``sanity``  - "answer with the digit shown": a trivially learnable task that proves the trainer,
  rollout and weight sync work together (its reward must rise within a few steps).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from lmmr1.prompts import MATH_SUFFIX, chat_prompt
from lmmr1.tiny_models import cache_root

SAMPLE_PREFIX = "sample:"
SAMPLE_SETS = ("fre_text", "sanity")
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


_BUILDERS = {"fre_text": _fre_text_rows, "sanity": _sanity_rows}


def _write_parquet(rows: list[dict[str, Any]], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(rows)
    fd, tmp = tempfile.mkstemp(suffix=".parquet", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ensure_sample_set(name: str) -> dict[str, str]:
    """Return ``{"train": path, "val": path}`` for a bundled sample set, writing it if needed."""
    if name not in _BUILDERS:
        raise ValueError(f"unknown sample set '{name}'; bundled sets: {', '.join(SAMPLE_SETS)}")
    rows = _BUILDERS[name]()
    digest = hashlib.sha256(json.dumps([_VERSION, rows], sort_keys=True).encode()).hexdigest()[:12]
    folder = cache_root() / "data" / f"{name}-{digest}"
    train, val = folder / "train.parquet", folder / "val.parquet"
    if not (train.exists() and val.exists()):
        folder.mkdir(parents=True, exist_ok=True)
        n_val = max(1, len(rows) // 8)
        _write_parquet(rows[n_val:], train)
        _write_parquet(rows[:n_val], val)
    return {"train": str(train), "val": str(val)}


def resolve_data_path(spec: str, split: str) -> str:
    """``sample:NAME`` -> the bundled parquet for ``split``; other strings are returned unchanged."""
    if spec.startswith(SAMPLE_PREFIX):
        return ensure_sample_set(spec[len(SAMPLE_PREFIX) :])[split]
    return spec
