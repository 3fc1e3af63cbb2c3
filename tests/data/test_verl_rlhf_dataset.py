"""The Done-when of the data issue: prepared files load in verl's own RLHFDataset with a Qwen2.5-VL
processor on CPU, with the same row count, and lmmr1 fails loudly where verl would drop rows."""

import os
import subprocess
import sys
import textwrap

import pyarrow.parquet as pq
import pytest
from data_helpers import lmmr1_record, png_bytes, write_jsonl

from lmmr1.data.formats.base import PrepareOptions
from lmmr1.data.prepare import prepare


def verl_config(tmp_path, max_prompt_length=4096):
    from omegaconf import OmegaConf

    return OmegaConf.create(
        {
            "cache_dir": str(tmp_path / "verl_cache"),
            "max_prompt_length": max_prompt_length,
            "filter_overlong_prompts": True,
            "filter_overlong_prompts_workers": 1,
            "truncation": "error",
        }
    )


@pytest.fixture
def prepared_files(tmp_path, lmmr1_jsonl, sokoban_dir):
    geo = tmp_path / "geo.jsonl"
    write_jsonl(geo, [{"problem": "Solve 2+3.", "answer": "5"}, {"problem": "And 4+4?", "answer": "8"}])
    files = []
    for fmt, src, name in [("lmmr1-message", lmmr1_jsonl, "msg"), ("hf", geo, "hf"), ("sokoban", sokoban_dir, "sok")]:
        out = tmp_path / f"{name}.parquet"
        prepare(fmt, [str(src)], str(out), PrepareOptions(), show_progress=False)
        files.append(str(out))
    return files


def test_rlhf_dataset_keeps_every_row_and_builds_image_messages(qwen_vl_model_dir, prepared_files, tmp_path):
    from lmmr1.verl import data_compat as verl_compat

    verl_compat.apply()
    from verl.utils import hf_processor, hf_tokenizer
    from verl.utils.dataset.rl_dataset import RLHFDataset

    processor = hf_processor(qwen_vl_model_dir)  # verl's own loader: None here would mean a silent text-only run
    assert type(processor).__name__ == "Qwen2_5_VLProcessor"
    tokenizer = hf_tokenizer(qwen_vl_model_dir)
    for path in prepared_files:
        expected = pq.ParquetFile(path).metadata.num_rows
        ds = RLHFDataset(path, tokenizer, verl_config(tmp_path), processor)
        assert len(ds) == expected, path
        for i in range(len(ds)):
            item = ds[i]
            n_images = sum(
                1
                for m in item["raw_prompt"]
                if isinstance(m["content"], list)
                for c in m["content"]
                if c["type"] == "image"
            )
            assert n_images == len(pq.read_table(path).column("images")[i].as_py())
            assert item["reward_model"]["style"] == "rule"
    # the image rows really go through qwen_vl_utils (what the agent loop calls)
    ds = RLHFDataset(prepared_files[0], tokenizer, verl_config(tmp_path), processor)
    images, videos, _ = RLHFDataset._process_multi_modal_info(ds[1]["raw_prompt"], 14, None)
    assert len(images) == 2 and videos is None


def test_checked_dataset_fails_loudly_when_verl_drops_rows(qwen_vl_model_dir, tmp_path, images_dir):
    from verl.utils import hf_processor, hf_tokenizer

    from lmmr1.data.errors import RowCountMismatch
    from lmmr1.verl.dataset import CheckedRLHFDataset

    (images_dir / "big.png").write_bytes(png_bytes(1400, 1000))
    src = write_jsonl(
        tmp_path / "big.jsonl",
        [
            lmmr1_record([f"file://{images_dir}/big.png"], "Big?", "1", id="b"),
            lmmr1_record([f"file://{images_dir}/a.png"], "Small?", "2", id="s"),
        ],
    )
    out = tmp_path / "big.parquet"
    prepare("lmmr1-message", [str(src)], str(out), show_progress=False)
    processor, tokenizer = hf_processor(qwen_vl_model_dir), hf_tokenizer(qwen_vl_model_dir)
    assert len(CheckedRLHFDataset(str(out), tokenizer, verl_config(tmp_path, 4096), processor)) == 2
    with pytest.raises(RowCountMismatch, match="kept 1 of 2 rows.*lmmr1 data inspect"):
        CheckedRLHFDataset(str(out), tokenizer, verl_config(tmp_path, 900), processor)


def test_checked_dataset_reads_several_formats_at_once(qwen_vl_model_dir, prepared_files, tmp_path):
    """data.train_files may list text, image and Sokoban files together: one dataset, every row kept,
    and every row has an agent loop (text rows get verl's default instead of None)."""
    from verl.utils import hf_processor, hf_tokenizer

    from lmmr1.verl.dataset import CheckedRLHFDataset

    ds = CheckedRLHFDataset(
        prepared_files, hf_tokenizer(qwen_vl_model_dir), verl_config(tmp_path), hf_processor(qwen_vl_model_dir)
    )
    assert len(ds) == 3 + 2 + 2
    assert [ds[i]["agent_name"] for i in range(len(ds))] == ["single_turn_agent"] * 7


@pytest.mark.slow
def test_without_the_compat_fix_verl_silently_drops_image_rows(qwen_vl_model_dir, prepared_files, tmp_path):
    """Documents why verl_compat exists (a fresh interpreter, no lmmr1 fix applied)."""
    code = textwrap.dedent(f"""
        import transformers, importlib
        from omegaconf import OmegaConf
        from lmmr1.verl import data_compat as verl_compat
        verl_compat.install_image_only_video_processor()   # processor only; qwen_vl_utils left broken
        from verl.utils import hf_processor, hf_tokenizer
        from verl.utils.dataset.rl_dataset import RLHFDataset
        cfg = OmegaConf.create({{"cache_dir": {str(tmp_path / "c")!r}, "max_prompt_length": 4096,
                                 "filter_overlong_prompts_workers": 1}})
        ds = RLHFDataset({prepared_files[0]!r}, hf_tokenizer({qwen_vl_model_dir!r}), cfg, hf_processor({qwen_vl_model_dir!r}))
        print("ROWS", len(ds))
    """)
    env = dict(os.environ, HF_DATASETS_CACHE=str(tmp_path / "hf_cache"))  # keep the user cache clean
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert "ROWS 1" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]  # 2 of 3 rows silently gone
