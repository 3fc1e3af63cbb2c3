"""``prepare``: read a source format, validate every row, write verl's layout atomically."""

from __future__ import annotations

from lmmr1.data.formats import get_format
from lmmr1.data.formats.base import PrepareOptions
from lmmr1.data.schema import output_schema, sft_schema
from lmmr1.data.writer import WriteReport, write_rows


def prepare(
    fmt: str,
    inputs: list[str],
    output: str,
    options: PrepareOptions | None = None,
    *,
    skip_bad: bool = False,
    max_errors: int = 20,
    show_progress: bool = True,
) -> WriteReport:
    """Convert ``inputs`` (of format ``fmt``) to one parquet file in verl's layout; see ``lmmr1 data prepare -h``."""
    options = options or PrepareOptions()
    source = get_format(fmt).open_source(list(inputs), options)
    if source.kind == "sft":
        schema = sft_schema(source.extra_fields)
    else:
        schema = output_schema(source.extra_fields, agent=source.agent)
    return write_rows(
        source.items(),
        schema,
        output,
        total=source.total,
        skip_bad=skip_bad,
        max_errors=max_errors,
        show_progress=show_progress,
        desc=f"prepare {fmt}",
    )
