"""PNG bar charts of the report tables (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

from lmmr1.report.tables import TABLES, Row


def bar_chart(table: str, rows: list[Row], path: Path) -> Path:
    """Grouped bars: one group per column, one bar per row (published rows hatched less than yours)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = [c for c in TABLES[table]["columns"] if any(r.values.get(c) is not None for r in rows)]
    shown = [r for r in rows if any(r.values.get(c) is not None for c in columns)]
    width = 0.8 / max(1, len(shown))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(columns) + 2), 4.2))
    for i, row in enumerate(shown):
        xs = [j + i * width - 0.4 + width / 2 for j in range(len(columns))]
        ys = [row.values.get(c) if row.values.get(c) is not None else 0.0 for c in columns]
        label = row.label if row.published else f"{row.label} (yours)"
        ax.bar(xs, ys, width, label=label, hatch=None if row.published else "//", edgecolor="black", linewidth=0.3)
    ax.set_xticks(range(len(columns)))
    ax.set_xticklabels(columns, rotation=30, ha="right")
    ax.set_ylabel("score (%)")
    ax.set_title(TABLES[table]["title"])
    ax.legend(fontsize=7, ncol=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    from lmmr1.outputs import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    return path
