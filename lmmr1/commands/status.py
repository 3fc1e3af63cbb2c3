"""``lmmr1 status RUN_DIR``: where a run stands, and what the same command would do next.

    lmmr1 status runs/mgt_percereason

One line per stage: status, training steps done of the total, the last step's mean reward (an SFT stage:
its loss), time spent
and the checkpoint (the HF export once the stage is done); then what re-running the training command
with the same ``output_dir`` would do (resume a stage, start one, or nothing).
"""

from __future__ import annotations

import argparse

from lmmr1.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "status",
        help="stages, steps, last reward and the next action of a run directory",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run_dir", help="a run's output_dir (holds manifest.json)")
    p.set_defaults(func=handler)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def _model_family(init_model: str | None) -> str | None:
    """The model_type of the model a run started from (qwen2_5_vl, qwen3_vl, ...), when its folder is here."""
    import json
    from pathlib import Path

    config = Path(init_model) / "config.json" if init_model else None
    if config is None or not config.is_file():
        return None
    try:
        return str(json.loads(config.read_text(encoding="utf-8")).get("model_type") or "") or None
    except (OSError, ValueError):
        return None


def handler(args: argparse.Namespace) -> int:
    from lmmr1.report.run_dir import RunDirError, load_run

    try:
        run = load_run(args.run_dir)
        run.warn("lmmr1 status")
    except RunDirError as exc:
        raise UserError(f"{exc}") from None
    family = _model_family(run.stages[0].record.get("init_model") if run.stages else None)
    print(
        f"run {run.path} (recipe {run.manifest.get('recipe', '?')}, scale {run.manifest.get('scale', '?')}"
        f"{f', model {family}' if family else ''})"
    )
    header = f"{'stage':<20} {'status':<8} {'steps':>9} {'reward':>10} {'time':>8}  checkpoint"
    print(header)
    for s in run.stages:
        steps = f"{s.steps_done}/{s.steps_total if s.steps_total is not None else '?'}"
        reward = s.result()
        print(f"{s.name:<20} {s.status:<8} {steps:>9} {reward:>10} {_duration(s.seconds):>8}  {s.checkpoint or '-'}")
        settings = s.record.get("settings") or {}
        if settings.get("lora.rank"):
            carried = (
                f", continuing the adapter of {settings.get('init', '?')}"
                if settings.get("lora.continue_previous")
                else ""
            )
            print(f"{'':<20} LoRA rank {settings['lora.rank']} alpha {settings.get('lora.alpha')}{carried}")
        if s.status == "failed" and s.record.get("error"):
            print(f"{'':<20} error: {str(s.record['error'])[:200]}")
    print(f"next: {run.next_action()}")
    return 0
