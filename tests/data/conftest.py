"""Fixtures for the data layer: small images drawn with Pillow, source files in each format, and a
Qwen2.5-VL processor built offline (locally trained BPE tokenizer with the Qwen special tokens and a
Qwen-style chat template + Qwen2-VL image processor defaults)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

# pytest runs with --import-mode=importlib (no test folder on sys.path): make data_helpers importable
# for this folder's tests and for tests/commands/test_data.py.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from data_helpers import build_qwen_vl_processor_dir, lmmr1_record, png_bytes, write_jsonl  # noqa: E402,F401


@pytest.fixture
def images_dir(tmp_path: Path) -> Path:
    d = tmp_path / "imgs"
    d.mkdir()
    (d / "a.png").write_bytes(png_bytes(64, 48))
    (d / "b.jpg").write_bytes(png_bytes(300, 200, (0, 0, 255), fmt="JPEG"))
    (d / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    return d


@pytest.fixture
def lmmr1_jsonl(tmp_path: Path, images_dir: Path) -> Path:
    a, b = f"file://{images_dir / 'a.png'}", f"file://{images_dir / 'b.jpg'}"
    return write_jsonl(
        tmp_path / "vermulti.jsonl",
        [
            lmmr1_record([a], "What is the angle?", "$\\boxed{60}$", id="q1"),
            lmmr1_record([a, b], "Compare the two figures.", "$\\boxed{\\frac{1}{2}}$", id="q2"),
            {
                "message": json.dumps([{"role": "user", "content": [{"type": "text", "text": "Text only: 2+2?"}]}]),
                "answer": "$4$",
                "id": "q3",
            },
        ],
    )


@pytest.fixture
def sokoban_dir(tmp_path: Path) -> Path:
    """A hand-made level set in the generator's layout: levels.jsonl + first-frame PNGs."""
    d = tmp_path / "sokoban_7x7"
    (d / "images").mkdir(parents=True)
    levels = [
        {"id": "lvl-0", "seed": 11, "xsb": "#######\n#     #\n# $ . #\n#  @  #\n#     #\n#     #\n#######"},
        {"id": "lvl-1", "seed": 12, "xsb": "#######\n#.    #\n# $$  #\n#  @ .#\n#     #\n#     #\n#######"},
    ]
    write_jsonl(d / "levels.jsonl", levels)
    for lvl in levels:
        (d / "images" / f"{lvl['id']}.png").write_bytes(png_bytes(112, 112, (90, 60, 20)))
    return d


@pytest.fixture(scope="session")
def qwen_vl_model_dir(tmp_path_factory) -> str:
    """A folder AutoProcessor loads as a Qwen2.5-VL processor (no weights: data tests need none)."""
    return build_qwen_vl_processor_dir(tmp_path_factory.mktemp("tiny_qwen2_5_vl"))
