import pyarrow.parquet as pq
import pytest
from data_helpers import write_jsonl

from lmmr1.data import mix
from lmmr1.data.errors import DataError
from lmmr1.data.formats.base import PrepareOptions
from lmmr1.data.prepare import prepare


def prepared(tmp_path, name, n, start=0, dup_every=None):
    recs = [
        {"problem": f"{name} question {i if not dup_every else i % dup_every}", "answer": str(i), "id": f"{name}{i}"}
        for i in range(start, start + n)
    ]
    src = write_jsonl(tmp_path / f"{name}.jsonl", recs)
    out = tmp_path / f"{name}.parquet"
    prepare("hf", [str(src)], str(out), PrepareOptions(data_source=name), show_progress=False)
    return out


def test_weighted_mix_counts_exact_and_deterministic(tmp_path, sokoban_dir):
    a, b = prepared(tmp_path, "a", 50), prepared(tmp_path, "b", 30)
    sok = tmp_path / "sok.parquet"
    prepare("sokoban", [str(sokoban_dir)], str(sok), show_progress=False)
    out1, out2 = tmp_path / "m1.parquet", tmp_path / "m2.parquet"
    result = mix.mix([mix.parse_part(f"{a}:0.7"), mix.parse_part(f"{b}:0.3")], str(out1), n=20, seed=3)
    assert result["rows"] == 20 and list(result["per_source"].values()) == [14, 6]
    mix.mix([mix.parse_part(f"{a}:0.7"), mix.parse_part(f"{b}:0.3")], str(out2), n=20, seed=3)
    t1, t2 = pq.read_table(out1), pq.read_table(out2)
    assert t1.equals(t2)
    sources = t1.column("data_source").to_pylist()
    assert sources.count("a") == 14 and sources != sorted(sources)  # shuffled
    # mixing text with agent rows: every row gets an agent_name (verl requires one per row when the column exists)
    mixed = tmp_path / "with_agents.parquet"
    mix.mix([mix.parse_part(str(a)), mix.parse_part(str(sok))], str(mixed), n=4, seed=0)
    names = pq.read_table(mixed).column("agent_name").to_pylist()
    assert None not in names and set(names) == {"single_turn_agent"}


def test_mix_refuses_to_oversample_unless_asked(tmp_path):
    a, b = prepared(tmp_path, "a", 10), prepared(tmp_path, "b", 2)
    parts = [mix.parse_part(f"{a}:1"), mix.parse_part(f"{b}:1")]
    with pytest.raises(DataError, match="source 2 has 2 rows but its weight asks for 5"):
        mix.mix(parts, str(tmp_path / "m.parquet"), n=10)
    assert mix.mix(parts, str(tmp_path / "m.parquet"), n=10, replace=True)["rows"] == 10
    assert mix.mix(parts, str(tmp_path / "m.parquet"))["rows"] == 4  # default: largest mix without repeats


def test_split_is_deterministic_disjoint_and_keeps_duplicates_together(tmp_path):
    src = prepared(tmp_path, "s", 200, dup_every=150)  # rows 150..199 repeat prompts 0..49
    tr, va = tmp_path / "train.parquet", tmp_path / "val.parquet"
    counts = mix.split(str(src), str(tr), str(va), val_fraction=0.1, seed=1)
    assert counts["train"] + counts["val"] == 200 and counts["val"] >= 20
    train_prompts = {str(p) for p in pq.read_table(tr).column("prompt").to_pylist()}
    val_prompts = {str(p) for p in pq.read_table(va).column("prompt").to_pylist()}
    assert not train_prompts & val_prompts
    assert set(pq.read_table(va).column("extra_info").to_pylist()[0].items()) >= {("split", "val")}
    tr2, va2 = tmp_path / "train2.parquet", tmp_path / "val2.parquet"
    mix.split(str(src), str(tr2), str(va2), val_fraction=0.1, seed=1)
    assert pq.read_table(va).equals(pq.read_table(va2))
    mix.split(str(src), str(tr2), str(va2), val_fraction=0.1, seed=2)
    assert not pq.read_table(va).equals(pq.read_table(va2))


def test_dedup_by_prompt(tmp_path):
    src = prepared(tmp_path, "d", 10, dup_every=4)  # 4 distinct prompts
    out = tmp_path / "dd.parquet"
    result = mix.dedup(str(src), str(out))
    assert (result["rows_in"], result["rows_out"], result["removed"]) == (10, 4, 6)
    assert [r["id"] for r in pq.read_table(out).column("extra_info").to_pylist()] == ["d0", "d1", "d2", "d3"]
