"""Source formats for ``lmmr1 data prepare --format NAME``.

Each format module exposes ``open_source(inputs, options) -> Source``: the extra ``extra_info`` fields it
writes, a row count for the progress bar when cheap, and an iterator of ``(where, row | BadRow)``.
"""

from __future__ import annotations

import importlib
from typing import Any

FORMATS: dict[str, str] = {
    "lmmr1-message": "lmmr1.data.formats.lmmr1_message",
    "hf": "lmmr1.data.formats.hf",
    "sokoban": "lmmr1.data.formats.sokoban",
    "sft-messages": "lmmr1.data.formats.sft_messages",
}


def get_format(name: str) -> Any:
    try:
        return importlib.import_module(FORMATS[name])
    except KeyError:
        raise ValueError(f"unknown format {name!r}; choose one of: {', '.join(FORMATS)}") from None
