"""Benchmark items as verl validation rows, so a stage validates on them through verl's own hook.

Each row: ``data_source`` = ``bench/<name>`` (verl groups validation metrics by it), the benchmark's prompt
under the chosen protocol (``<image>`` placeholders in the text, the images embedded), and in
``extra_info`` everything the ``benchmark`` reward needs to score the response exactly as ``lmmr1 eval``
does (benchmark name, protocol, item id, question, gold, metadata). Written when the run starts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from lmmr1.run.layout import BENCH_SOURCE_PREFIX

SOURCE_PREFIX = BENCH_SOURCE_PREFIX


def _verl_messages(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for message in messages:
        content = message["content"]
        if isinstance(content, list):
            content = "".join("<image>" if part.get("type") == "image" else part.get("text", "") for part in content)
        out.append({"role": message["role"], "content": content})
    return out


def write_validation_set(
    benchmarks: list[str], data_dir: str, protocol: str, limit: Optional[int], output: Path
) -> Path:
    """Write the parquet file of validation rows for ``benchmarks``; returns its path."""
    import pyarrow as pa

    from lmmr1.data.writer import write_table_atomic
    from lmmr1.eval.runner import load_benchmark

    rows = []
    for name in benchmarks:
        bench = load_benchmark(name)
        items = bench.load(Path(data_dir).expanduser() / name).items
        for item in items[:limit] if limit else items:
            rows.append(
                {
                    "data_source": SOURCE_PREFIX + name,
                    "prompt": _verl_messages(bench.messages(item, protocol)),
                    "images": [{"bytes": data} for data in item.images[: bench.generation(protocol).max_images]],
                    "ability": "benchmark",
                    "reward_model": {"style": "rule", "ground_truth": json.dumps(item.gold)},
                    "extra_info": {
                        "index": len(rows),
                        "benchmark": name,
                        "protocol": protocol,
                        "id": item.id,
                        "question": item.question,
                        "meta": json.dumps(item.meta, default=str),
                    },
                }
            )
    if not any(r["images"] for r in rows):
        for row in rows:
            row.pop("images")
    output.parent.mkdir(parents=True, exist_ok=True)
    write_table_atomic(pa.Table.from_pylist(rows), str(output))
    return output
