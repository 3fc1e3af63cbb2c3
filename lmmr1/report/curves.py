"""Training curves of a whole curriculum on one x-axis (``lmmr1 plot``, and the figures of ``lmmr1 view``).

Each stage's steps follow the previous stage's on the x-axis ("curriculum step"); a dashed line and the
stage's name mark each boundary. One panel per quantity: reward and its components, accuracy, format,
response length, KL, entropy, the critic's value loss (GAE stages) and validation scores (``val/...``).
A panel whose metrics no step carries is left out. matplotlib with the Agg backend (no display needed).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from lmmr1.run.layout import REWARD_KEY, SFT_LOSS_KEY, reward_component_key

from .run_dir import RunView


@dataclass(frozen=True)
class Panel:
    file: str  # PNG name
    title: str
    ylabel: str
    keys: Callable[[set[str]], list[str]]  # which metric keys to draw, from the keys present


def _fixed(*names: str) -> Callable[[set[str]], list[str]]:
    return lambda present: [n for n in names if n in present]


def _matching(pattern: str, exclude: tuple[str, ...] = ()) -> Callable[[set[str]], list[str]]:
    rx = re.compile(pattern)
    return lambda present: sorted(k for k in present if rx.fullmatch(k) and k not in exclude)


PANELS = [
    Panel(
        "reward.png",
        "Reward and its components (mean per step)",
        "reward",
        lambda present: (
            _fixed(REWARD_KEY)(present)
            + _matching(r"reward/[^/]+/mean", (reward_component_key("acc"), reward_component_key("format")))(present)
        ),
    ),
    Panel("accuracy.png", "Accuracy (mean per step)", "accuracy (0-1)", _fixed(reward_component_key("acc"))),
    Panel("format.png", "Format reward (mean per step)", "format (0-1)", _fixed(reward_component_key("format"))),
    Panel("response_length.png", "Response length", "tokens", _fixed("response_length/mean", "response_length/max")),
    Panel(
        "kl.png",
        "KL to the reference / old policy",
        "KL",
        _fixed("actor/reward_kl_penalty", "actor/kl_loss", "actor/ppo_kl"),
    ),
    Panel("entropy.png", "Policy entropy", "nats per token", _fixed("actor/entropy")),
    Panel("value_loss.png", "Critic value loss (GAE stages)", "loss", _fixed("critic/vf_loss")),
    Panel("sft_loss.png", "Supervised loss (SFT stages)", "loss", _fixed(SFT_LOSS_KEY, "val/loss")),
    Panel("validation.png", "Validation scores", "score", _matching(r"val/.+", ("val/loss",))),
]


def curriculum_series(run: RunView) -> tuple[list[int], list[dict[str, Any]], list[tuple[int, str]]]:
    """(x of each training step, the step's metrics, [(first x, stage name), ...])."""
    xs, rows, starts = [], [], []
    x = 0
    current, last_step = None, None
    for row in run.metrics:
        if "step" not in row:
            continue
        stage = row.get("stage")
        if stage != current:
            current, last_step = stage, None
            starts.append((x + 1, str(stage)))
        if row["step"] != last_step:  # a validation line of the same step shares the step's x
            x += 1
            last_step = row["step"]
        xs.append(x)
        rows.append(row)
    return xs, rows, starts


def _numeric(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def plot_run(run: RunView, out_dir: Path) -> list[Path]:
    """Write one PNG per panel with data, plus ``overview.png`` holding them all; returns the paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator, ScalarFormatter

    from lmmr1.outputs import atomic_path

    def save(fig: Any, path: Path) -> None:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png")

    xs, rows, starts = curriculum_series(run)
    if not rows:
        raise ValueError(f"{run.path}/metrics.jsonl has no training steps yet: nothing to plot")
    present = {k for row in rows for k, v in row.items() if _numeric(v) is not None}
    chosen = [(panel, panel.keys(present)) for panel in PANELS]
    chosen = [(panel, keys) for panel, keys in chosen if keys]
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []

    def draw(ax: Any, panel: Panel, keys: list[str]) -> None:
        for key in keys:
            pts = [(x, _numeric(r.get(key))) for x, r in zip(xs, rows)]
            pts = [(x, v) for x, v in pts if v is not None]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", markersize=3, label=key)
        for first, name in starts:
            ax.axvline(first - 0.5, color="grey", linestyle="--", linewidth=0.8)
            ax.annotate(
                name,
                (first - 0.5, 1.0),
                xycoords=("data", "axes fraction"),
                fontsize=8,
                rotation=90,
                va="top",
                ha="right",
                color="dimgrey",
            )
        ax.set_title(panel.title, fontsize=10)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole numbers
        formatter = ax.yaxis.get_major_formatter()
        if isinstance(formatter, ScalarFormatter):  # 1.2345e-3 + 0.5 offsets hide the values read off the axis
            formatter.set_useOffset(False)
        ax.set_xlabel("curriculum step (all stages, in order)")
        ax.set_ylabel(panel.ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")

    for panel, keys in chosen:
        fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
        draw(ax, panel, keys)
        fig.tight_layout()
        path = out_dir / panel.file
        save(fig, path)
        plt.close(fig)
        written.append(path)
    cols = 2
    nrows = (len(chosen) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(12, 3.6 * nrows), dpi=90, squeeze=False)
    for ax, (panel, keys) in zip(axes.flat, chosen):
        draw(ax, panel, keys)
    for ax in list(axes.flat)[len(chosen) :]:
        ax.axis("off")
    recipe = str(run.manifest.get("recipe", run.path.name))
    names = [n for _, n in starts]
    fig.suptitle(recipe if names in ([], [recipe]) else f"{recipe}: {' -> '.join(names)}")
    fig.tight_layout()
    overview = out_dir / "overview.png"
    save(fig, overview)
    plt.close(fig)
    return [overview, *written]
