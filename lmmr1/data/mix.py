"""Mixtures, splits and deduplication of prepared (verl-layout) parquet files.

All three are deterministic: the same inputs and seed give byte-identical row order.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from lmmr1.data.errors import DataError
from lmmr1.data.schema import DEFAULT_AGENT
from lmmr1.data.writer import write_table_atomic


@dataclass(frozen=True)
class MixPart:
    path: str
    weight: float


def parse_part(spec: str) -> MixPart:
    """``PATH:WEIGHT`` (weight defaults to 1)."""
    path, sep, weight = spec.rpartition(":")
    if not sep or not path or os.path.exists(spec):
        return MixPart(spec, 1.0)
    try:
        value = float(weight)
    except ValueError:
        raise DataError(f"{spec!r}: expected PATH:WEIGHT with a number after the last ':'") from None
    if not math.isfinite(value) or value <= 0:
        raise DataError(f"{spec!r}: the weight must be a positive number")
    return MixPart(path, value)


def read_prepared(path: str) -> pa.Table:
    if not os.path.exists(path):
        raise DataError(f"input not found: {path}")
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"{path}: not a readable parquet file ({exc})") from None
    missing = {"data_source", "prompt", "reward_model"} - set(table.column_names)
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(sorted(missing))}; prepare it with `lmmr1 data prepare`")
    return table


def concat(tables: list[pa.Table]) -> pa.Table:
    """Concatenate prepared tables whose ``extra_info`` fields differ; fill ``agent_name`` when some have it."""
    if any("agent_name" in t.column_names for t in tables):
        tables = [
            t
            if "agent_name" in t.column_names
            else t.append_column("agent_name", pa.array([DEFAULT_AGENT] * t.num_rows, pa.string()))
            for t in tables
        ]
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise DataError(f"the inputs do not share a compatible layout: {exc}") from None


def quotas(sizes: list[int], weights: list[float], n: int | None, replace: bool) -> list[int]:
    """Rows to draw from each source: proportional to the weights, summing exactly to ``n``
    (largest remainders). Without ``n``: the largest mixture no source must repeat rows for."""
    total_w = sum(weights)
    shares = [w / total_w for w in weights]
    if n is None:
        n = int(min(size / share for size, share in zip(sizes, shares)))
    raw = [n * s for s in shares]
    counts = [int(math.floor(r)) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)[: n - sum(counts)]:
        counts[i] += 1
    if not replace:
        for count, size, i in zip(counts, sizes, range(len(sizes))):
            if count > size:
                raise DataError(
                    f"source {i + 1} has {size} rows but its weight asks for {count} of {n}; lower --n, "
                    "change the weights, or pass --replace to repeat rows"
                )
    return counts


def mix(parts: list[MixPart], output: str, *, n: int | None = None, seed: int = 0, replace: bool = False) -> dict:
    """A shuffled weighted mixture of prepared files; returns per-source counts."""
    if not parts:
        raise DataError("nothing to mix")
    tables = [read_prepared(p.path) for p in parts]
    counts = quotas([t.num_rows for t in tables], [p.weight for p in parts], n, replace)
    rng = np.random.default_rng(seed)
    picked = []
    for table, count in zip(tables, counts):
        if count <= table.num_rows:
            idx = rng.choice(table.num_rows, size=count, replace=False)
        else:  # every row once, then the rest drawn again
            whole, rest = divmod(count, table.num_rows)
            idx = np.concatenate(
                [np.tile(np.arange(table.num_rows), whole), rng.choice(table.num_rows, size=rest, replace=False)]
            )
        picked.append(table.take(pa.array(np.sort(idx))))
    mixed = concat(picked)
    mixed = mixed.take(pa.array(rng.permutation(mixed.num_rows)))
    written = write_table_atomic(mixed, output)
    return {"rows": written, "per_source": {p.path: c for p, c in zip(parts, counts)}}


def row_keys(table: pa.Table) -> list[str]:
    """A content key per row: the prompt messages and a digest of the images (so two questions with
    the same text but different figures stay distinct)."""
    prompts = table.column("prompt").to_pylist()
    images = table.column("images").to_pylist() if "images" in table.column_names else [None] * table.num_rows
    keys = []
    for prompt, imgs in zip(prompts, images):
        h = hashlib.sha1(json.dumps(prompt, ensure_ascii=False, sort_keys=True).encode())
        for img in imgs or []:
            h.update(hashlib.sha1(img["bytes"] or b"").digest())
        keys.append(h.hexdigest())
    return keys


def dedup(inp: str, output: str) -> dict:
    """Keep the first row of each distinct prompt (text and images)."""
    table = read_prepared(inp)
    seen: set[str] = set()
    keep = []
    for i, key in enumerate(row_keys(table)):
        if key not in seen:
            seen.add(key)
            keep.append(i)
    written = write_table_atomic(table.take(pa.array(keep, pa.int64())), output)
    return {"rows_in": table.num_rows, "rows_out": written, "removed": table.num_rows - written}


def split(inp: str, train_output: str, val_output: str, *, val_fraction: float, seed: int = 0) -> dict:
    """Deterministic split: rows are ordered by a seeded hash of their content and the first
    ``round(val_fraction * rows)`` go to validation. The assignment depends on content, not on row order,
    and identical prompts always land on the same side (no train/val leak through duplicates)."""
    if not 0 < val_fraction < 1:
        raise DataError("--val-fraction must be between 0 and 1 (exclusive)")
    table = read_prepared(inp)
    n_val = int(round(val_fraction * table.num_rows))
    if n_val == 0 or n_val == table.num_rows:
        raise DataError(f"{table.num_rows} rows with --val-fraction {val_fraction} leaves an empty split")
    salted = [hashlib.sha1(f"{seed}:{k}".encode()).hexdigest() + k for k in row_keys(table)]
    order = sorted(range(table.num_rows), key=lambda i: salted[i])
    # duplicates share a hash: extend the cut so a group is never split across train and val
    while n_val < table.num_rows and salted[order[n_val]] == salted[order[n_val - 1]]:
        n_val += 1
    val_idx, train_idx = sorted(order[:n_val]), sorted(order[n_val:])
    val = table.take(pa.array(val_idx, pa.int64()))
    train = table.take(pa.array(train_idx, pa.int64()))
    val = _set_split(val, "val")
    train = _set_split(train, "train")
    return {"train": write_table_atomic(train, train_output), "val": write_table_atomic(val, val_output)}


def _set_split(table: pa.Table, name: str) -> pa.Table:
    if "extra_info" not in table.column_names:
        return table
    col = table.column("extra_info").combine_chunks()
    if not pa.types.is_struct(col.type) or col.type.get_field_index("split") < 0:
        return table
    fields = [col.field(i) for i in range(col.type.num_fields)]
    names = [col.type.field(i).name for i in range(col.type.num_fields)]
    fields[names.index("split")] = pa.array([name] * len(col), pa.string())
    new = pa.StructArray.from_arrays(fields, names=names, mask=col.is_null())
    return table.set_column(table.column_names.index("extra_info"), "extra_info", new)
