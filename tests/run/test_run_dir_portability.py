"""A run directory is the user's: copied or moved it still works, its logs live in it, its views say what they
could not read (issue 21)."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

from lmmr1.cli import main as cli
from lmmr1.run.curriculum import _link_final, keep_stage_logs
from lmmr1.run.manifest import Manifest

sys.path.insert(0, str(Path(__file__).parents[1] / "report"))
from run_fixtures import write_run  # noqa: E402


def _finished_run(root: Path) -> Path:
    export = root / "sanity" / "checkpoints" / "global_step_3" / "actor" / "huggingface"
    export.mkdir(parents=True)
    (export / "config.json").write_text("{}")
    manifest = Manifest.load_or_create(root / "manifest.json", "sanity", ["sanity", "next"])
    record = manifest.record("sanity")
    record.status, record.checkpoint_dir, record.hf_export = "done", str(root / "sanity" / "checkpoints"), str(export)
    manifest.record("next").init_model = str(export)
    manifest.save()
    _link_final(root / "sanity" / "final_hf", export)
    return export


def test_a_moved_run_directory_points_into_itself(tmp_path):
    _finished_run(tmp_path / "a" / "run")
    shutil.move(str(tmp_path / "a" / "run"), str(tmp_path / "b"))
    moved = tmp_path / "b"
    manifest = Manifest.load_or_create(moved / "manifest.json", "sanity", ["sanity", "next"])
    for value in (manifest.record("sanity").hf_export, manifest.record("next").init_model):
        assert value.startswith(str(moved)) and Path(value).is_dir(), value
    assert manifest.record("sanity").checkpoint_dir == str(moved / "sanity" / "checkpoints")
    assert (moved / "sanity" / "final_hf" / "config.json").is_file()  # the link is relative


def test_a_manifest_written_before_it_recorded_its_folder_is_rebased_too(tmp_path):
    export = _finished_run(tmp_path / "old")
    data = json.loads((tmp_path / "old" / "manifest.json").read_text())
    data.pop("output_dir")  # the layout main wrote before this change
    (tmp_path / "old" / "manifest.json").write_text(json.dumps(data))
    shutil.copytree(tmp_path / "old", tmp_path / "copy", symlinks=True)
    manifest = Manifest.load_or_create(tmp_path / "copy" / "manifest.json", "sanity", ["sanity", "next"])
    assert manifest.record("sanity").hf_export == str(tmp_path / "copy" / export.relative_to(tmp_path / "old"))


def test_stage_logs_are_copied_into_the_run(tmp_path):
    ray_logs = tmp_path / "ray_session" / "logs"
    ray_logs.mkdir(parents=True)
    old = ray_logs / "other_job.out"
    old.write_text("someone else's job")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    started = time.time()
    (ray_logs / "worker-1.out").write_text("verl says hello")
    link = tmp_path / "run" / "logs" / "sanity-1"
    link.parent.mkdir(parents=True)
    link.symlink_to(ray_logs, target_is_directory=True)
    keep_stage_logs(link, started)
    shutil.rmtree(tmp_path / "ray_session")  # a reboot empties Ray's temp folder
    assert not link.is_symlink() and (link / "worker-1.out").read_text() == "verl says hello"
    assert not (link / "other_job.out").exists()


def test_views_name_unreadable_metric_lines_and_plots_say_the_recipe_once(tmp_path, capsys):
    run = write_run(tmp_path / "run")
    lines = (run / "metrics.jsonl").read_text().splitlines(keepends=True)
    lines[1] = lines[1][: len(lines[1]) // 2] + "\n"  # a torn line in the middle
    (run / "metrics.jsonl").write_text("".join(lines))
    assert cli(["status", str(run)]) == 0
    err = capsys.readouterr().err
    assert f"{run / 'metrics.jsonl'}:2: not a complete JSON line" in err


def test_plot_axes_are_whole_steps_without_offsets_and_a_one_stage_title(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.ticker import MaxNLocator

    from lmmr1.report import curves
    from lmmr1.report.run_dir import load_run

    run = tmp_path / "sanity_run"
    run.mkdir()
    (run / "manifest.json").write_text(
        json.dumps({"recipe": "sanity", "stages": [{"name": "sanity", "status": "done"}]})
    )
    rows = [
        {"stage": "sanity", "step": s, "critic/score/mean": 0.5, "actor/entropy": 2.5 + 1e-6 * s} for s in (1, 2, 3)
    ]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    seen = {}
    real = curves.plot_run

    import matplotlib.figure

    original = matplotlib.figure.Figure.savefig

    def spy(fig, *args, **kwargs):
        for ax in fig.axes:
            seen.setdefault("locators", []).append(ax.xaxis.get_major_locator())
            seen.setdefault("offsets", []).append(ax.yaxis.get_major_formatter().get_useOffset())
        if fig._suptitle is not None:
            seen["title"] = fig._suptitle.get_text()
        return original(fig, *args, **kwargs)

    matplotlib.figure.Figure.savefig = spy
    try:
        real(load_run(run), run / "plots")
    finally:
        matplotlib.figure.Figure.savefig = original
    assert seen["title"] == "sanity"
    # integer=True (matplotlib's default AutoLocator is a MaxNLocator too, with half steps allowed)
    assert all(isinstance(loc, MaxNLocator) and loc._integer for loc in seen["locators"])
    assert not any(seen["offsets"])
