import json

import pyarrow.parquet as pq
import pytest

from lmmr1.data.errors import DataError
from lmmr1.data.formats.base import PrepareOptions
from lmmr1.data.prepare import prepare


def test_level_set_rows(sokoban_dir, tmp_path):
    out = tmp_path / "sok.parquet"
    report = prepare("sokoban", [str(sokoban_dir)], str(out), show_progress=False)
    assert report.rows_out == 2
    rows = pq.read_table(out).to_pylist()
    levels = [json.loads(l) for l in (sokoban_dir / "levels.jsonl").read_text().splitlines()]
    for row, level in zip(rows, levels):
        assert row["data_source"] == "sokoban"
        assert row["reward_model"]["ground_truth"] == level["xsb"]
        assert row["agent_name"] == "single_turn_agent"
        assert row["prompt"][-1]["content"].startswith("<image>") and len(row["images"]) == 1
        assert row["images"][0]["bytes"] == (sokoban_dir / "images" / f"{level['id']}.png").read_bytes()
        assert (row["extra_info"]["id"], row["extra_info"]["seed"]) == (level["id"], level["seed"])
    assert rows[1]["extra_info"]["boxes"] == 2


def test_bad_level_reported(sokoban_dir, tmp_path):
    with open(sokoban_dir / "levels.jsonl", "a") as fh:
        fh.write(json.dumps({"id": "bad", "seed": 1, "xsb": "#####\n# $ #\n#####"}) + "\n")
    with pytest.raises(DataError, match=r"levels.jsonl:3: .*player"):
        prepare("sokoban", [str(sokoban_dir)], str(tmp_path / "o.parquet"), show_progress=False)


def test_not_a_level_set(tmp_path):
    with pytest.raises(DataError, match="not a Sokoban level set"):
        prepare("sokoban", [str(tmp_path)], str(tmp_path / "o.parquet"), show_progress=False)


def test_frames_rendered_by_the_env_when_no_png(sokoban_dir, tmp_path):
    pytest.importorskip("lmmr1.envs")
    import io

    from PIL import Image

    out = tmp_path / "r.parquet"
    prepare(
        "sokoban",
        [str(sokoban_dir)],
        str(out),
        PrepareOptions(render=True, agent_name="sokoban_multi"),
        show_progress=False,
    )
    row = pq.read_table(out).to_pylist()[0]
    im = Image.open(io.BytesIO(row["images"][0]["bytes"]))
    assert im.size[0] > 0 and im.size[0] % 7 == 0  # 7 tiles wide
    assert row["agent_name"] == "sokoban_multi"


def test_generator_output_round_trips(tmp_path):
    """A level set written by the real generator (when installed) prepares to the generator's own rows."""
    gen = pytest.importorskip("lmmr1.commands.data_sokoban")
    out_dir = tmp_path / "gen"
    gen.generate_level_set(3, (7, 7), 2, 0, out_dir, progress=False)
    out = tmp_path / "p.parquet"
    prepare("sokoban", [str(out_dir)], str(out), show_progress=False)
    ours, theirs = pq.read_table(out).to_pylist(), pq.read_table(out_dir / "train.parquet").to_pylist()
    assert len(ours) == len(theirs) == 3
    for a, b in zip(ours, theirs):
        assert a["prompt"] == b["prompt"] and a["images"] == b["images"] and a["agent_name"] == b["agent_name"]
        assert a["reward_model"] == b["reward_model"] and a["extra_info"]["seed"] == b["extra_info"]["seed"]
