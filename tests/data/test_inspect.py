import pyarrow.parquet as pq
import pytest
from data_helpers import lmmr1_record, png_bytes, write_jsonl
from PIL import Image

from lmmr1.data.inspect import VisionGeometry, inspect_file, smart_resize
from lmmr1.data.prepare import prepare


@pytest.mark.parametrize("w, h", [(64, 48), (300, 200), (1000, 30), (4000, 3000), (10, 10)])
def test_image_token_rule_matches_the_qwen_processor(qwen_vl_model_dir, w, h):
    from transformers import AutoProcessor

    ip = AutoProcessor.from_pretrained(qwen_vl_model_dir).image_processor
    grid = ip(images=[Image.new("RGB", (w, h))], return_tensors="np")["image_grid_thw"][0]
    geo = VisionGeometry(max_pixels=ip.size["longest_edge"], min_pixels=ip.size["shortest_edge"])
    assert geo.tokens(w, h) == int(grid.prod()) // 4
    rh, rw = smart_resize(h, w, 28, geo.min_pixels, geo.max_pixels)
    assert (rh // 14, rw // 14) == (int(grid[1]), int(grid[2]))


def big_file(tmp_path, images_dir):
    (images_dir / "big.png").write_bytes(png_bytes(1400, 1000))
    src = write_jsonl(
        tmp_path / "big.jsonl",
        [
            lmmr1_record([f"file://{images_dir}/big.png"], "Big figure?", "1", id="big"),
            lmmr1_record([f"file://{images_dir}/a.png"], "Small figure?", "2", id="small"),
            {"message": '[{"role": "user", "content": "text only"}]', "answer": "3", "id": "text"},
        ],
    )
    out = tmp_path / "big.parquet"
    prepare("lmmr1-message", [str(src)], str(out), show_progress=False)
    return out


def test_inspect_counts_over_long_rows_and_suggests_a_max_pixels_that_fits(qwen_vl_model_dir, tmp_path, images_dir):
    out = big_file(tmp_path, images_dir)
    report = inspect_file(str(out), qwen_vl_model_dir, max_prompt_length=900, show_progress=False)
    assert report.rows == 3 and report.sources == {"big": 3}
    assert report.checked == 2 and report.check_mismatches == []  # estimate == real processor on image rows
    assert [report.ids[i] for i in report.over()] == ["big"]  # 1400x1000 -> ~1.4k image tokens
    text = report.to_text()
    assert "rows over max_prompt_length=900: 1" in text and "raise data.max_prompt_length to at least" in text
    mp = report.suggested_max_pixels()
    assert mp is not None and f"lower max_pixels to {mp}" in text
    fitted = inspect_file(str(out), qwen_vl_model_dir, max_pixels=mp, max_prompt_length=900, show_progress=False)
    assert fitted.over() == [] and fitted.check_mismatches == []  # the suggestion works, per the real processor


def test_inspect_without_model_reports_data_only(tmp_path, images_dir):
    out = big_file(tmp_path, images_dir)
    text = inspect_file(str(out), show_progress=False).to_text()
    assert "rows: 3" in text and "max 1400x1000" in text and "pass --model" in text


def test_inspect_with_a_text_only_model_counts_text_tokens(qwen_vl_model_dir, tmp_path):
    from transformers import AutoTokenizer

    text_model = tmp_path / "text_model"
    AutoTokenizer.from_pretrained(qwen_vl_model_dir).save_pretrained(text_model)
    (text_model / "config.json").write_text('{"model_type": "qwen2"}')
    src = write_jsonl(tmp_path / "t.jsonl", [{"problem": "What is 1+1?", "answer": "2"}])
    out = tmp_path / "t.parquet"
    prepare("hf", [str(src)], str(out), show_progress=False)
    report = inspect_file(str(out), str(text_model), max_prompt_length=10, show_progress=False)
    tok = AutoTokenizer.from_pretrained(text_model)
    rendered = tok.apply_chat_template(
        pq.read_table(out).to_pylist()[0]["prompt"], add_generation_prompt=True, tokenize=False
    )
    assert report.lengths == [len(tok(rendered, add_special_tokens=False)["input_ids"])]
    assert report.over() == [0] and report.suggested_max_pixels() is None
    assert "lower max_pixels" not in report.to_text()
