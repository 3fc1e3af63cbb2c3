"""A small two-stage run directory written by hand in the layout a run writes, and a browser check.

The layout (manifest.json, metrics.jsonl, STAGE/reward_rows.jsonl) is what ``python -m lmmr1.main``
writes; the slow end-to-end test runs the same checks on a real two-stage smoke run.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
STAGES = ("fre_text", "mgt_percereason")


def _response(stage: str, step: int, k: int) -> tuple[str, str, float]:
    gold = str(step + k)
    if k % 3 == 0:
        return f"<think>{stage} step {step}: add them</think><answer>\\boxed{{{gold}}}</answer>", gold, 1.5
    if k % 3 == 1:
        return f"<think>guess</think><answer>{int(gold) + 1}</answer>", gold, 0.5
    return f"I do not know {k}", gold, 0.0


# hand-written responses for the token view, split into tokens by hand, and the reasoning steps each one has
TOKEN_RESPONSES = [
    (
        ["<SUMMARY>", " Count", " bars", ".", "</SUMMARY>", "<CAPTION>", " Three", " bars", ".", "</CAPTION>",
         "<REASONING>", " 1", "+", "2", "=", "3", "</REASONING>", "<CONCLUSION>", " 3", "</CONCLUSION>"],
        4,
    ),
    (["Step", " 1", ":", " read", ".", "\n", "Step", " 2", ":", " add", ".", "\n", "Step", " 3", ":", " 7"], 3),
    (["<think>", "add", " them", "</think>", "<answer>", "7", "</answer>"], 2),
]  # fmt: skip


def _token_rows(stage: str, steps: int) -> list[dict[str, Any]]:
    """``STAGE/tokens.jsonl`` lines: probabilities falling along each response, entropy rising."""
    import math

    rows = []
    for step in range(1, steps + 1):
        for k, (tokens, _) in enumerate(TOKEN_RESPONSES):
            n = len(tokens)
            probs = [0.95 - 0.9 * i / max(n - 1, 1) for i in range(n)]
            rows.append(
                {
                    "step": step,
                    "key": f"{stage}-{step}-{k}",
                    "temperature": 1.0,
                    "prompt_ids": [1, 2, 3],
                    "ids": list(range(100, 100 + n)),
                    "tokens": tokens,
                    "logprob": [round(math.log(p), 6) for p in probs],
                    "entropy": [round(0.1 + 3.9 * i / max(n - 1, 1), 6) for i in range(n)],
                }
            )
    return rows


def _image(k: int) -> bytes:
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGB", (64, 48), (255, 255, 255))
    ImageDraw.Draw(img).rectangle((4 + k % 30, 4, 40, 30 + k % 10), fill=(200, 30 + 20 * (k % 10), 40))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def _write_data(path: Path, stage: str, n: int, with_images: bool) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [
        {
            "data_source": f"lmmr1/sample_{stage}",
            "prompt": [{"role": "user", "content": ("<image>" if with_images else "") + f"Question {k} of {stage}?"}],
            "images": [{"bytes": _image(k)}] if with_images else [],
            "extra_info": {"index": k, "id": f"{stage}-{k}"},
        }
        for k in range(n)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)


def write_run(root: Path, steps: int = 3, rows_per_step: int = 6, statuses: tuple[str, str] = ("done", "done")) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    stages = []
    metrics = []
    for stage, status in zip(STAGES, statuses):
        rows = []
        for step in range(1, steps + 1):
            scores = []
            for k in range(rows_per_step):
                response, gold, score = _response(stage, step, k)
                scores.append(score)
                row: dict[str, Any] = {
                    "data_source": f"lmmr1/sample_{stage}",
                    "score": score,
                    "acc": float(score >= 1.0),
                    "format": float(score in (0.5, 1.5)),
                    "timeout": 0.0,
                    "error": 0.0,
                    "weights_step": step - 1,
                    "response": response,
                    "ground_truth": gold,
                    "prompt_id": f"{stage}-{k}",
                }
                if k == rows_per_step - 1:
                    row["error"] = 1.0
                    row["reason"] = "response contains control character '\\x05' at offset 3"
                rows.append(row)
            metrics.append(
                {
                    "stage": stage,
                    "step": step,
                    "critic/score/mean": sum(scores) / len(scores),
                    "reward/acc/mean": sum(s >= 1 for s in scores) / len(scores),
                    "reward/format/mean": sum(s in (0.5, 1.5) for s in scores) / len(scores),
                    "response_length/mean": 40.0 + step,
                    "actor/entropy": 6.9 - 0.01 * step,
                    "actor/ppo_kl": 0.001 * step,
                    "critic/vf_loss": 1.0 / step,
                }
            )
        (root / stage).mkdir(exist_ok=True)
        data_file = root / "data" / stage / "train.parquet"
        _write_data(data_file, stage, min(rows_per_step, 50), with_images=stage != "fre_text")
        (root / stage / "reward_rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        (root / stage / "tokens.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _token_rows(stage, steps)))
        stages.append(
            {
                "name": stage,
                "status": status,
                "attempts": 1,
                "started_at": "2026-12-02T10:00:00+00:00",
                "ended_at": "2026-12-02T10:01:05+00:00" if status == "done" else None,
                "init_model": "/models/tiny",
                "checkpoint_dir": str(root / stage / "checkpoints"),
                "hf_export": str(root / stage / "checkpoints/global_step_3/actor/huggingface")
                if status == "done"
                else None,
                "steps": steps if status == "done" else None,
                "settings": {"total_steps": steps, "data.train_files": [str(data_file)]},
            }
        )
    (root / "manifest.json").write_text(
        json.dumps({"recipe": "mgt_percereason", "model": "/models/tiny", "scale": "smoke", "stages": stages})
    )
    (root / "metrics.jsonl").write_text("".join(json.dumps(m) + "\n" for m in metrics))
    return root


def browser_required() -> bool:
    """CI (``.ci/run``) installs Chromium and sets LMMR1_REQUIRE_BROWSER=1: there a missing browser fails."""
    return os.environ.get("LMMR1_REQUIRE_BROWSER") == "1"


def check_in_browser(page_path: Path, stage: str, screenshot: Path) -> dict[str, Any]:
    """Open the page in headless Chromium: console errors, non-local requests, rows before/after a filter."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_path.resolve().as_uri(), wait_until="load")
            page.wait_for_selector(".row")
            before = page.locator(".row").count()
            all_stages = sorted(set(page.locator(".row").evaluate_all("els => els.map(e => e.dataset.stage)")))
            thumbnails = page.locator("img.thumb").count()
            page.select_option("#stage", stage)
            after_stages = sorted(set(page.locator(".row").evaluate_all("els => els.map(e => e.dataset.stage)")))
            count_text = page.locator("#count").inner_text()
            page.screenshot(path=str(screenshot), full_page=False)
            tokens = _token_view(page)
        finally:
            browser.close()
    network = [u for u in requests if not (u.startswith("file:") or u.startswith("data:"))]
    return {
        "errors": errors,
        "network": network,
        "rows_before": before,
        "stages_before": all_stages,
        "stages_after": after_stages,
        "count_text": count_text,
        "thumbnails": thumbnails,
        "tokens": tokens,
    }


def _token_view(page: Any) -> dict[str, Any]:
    """The token view as the browser shows it: the spans' values and colours under both switches, and per
    logged response its text (the spans' text joined) and the number of graph nodes drawn beside it."""
    spans = page.locator(".tok")
    if spans.count() == 0:
        return {"spans": 0, "responses": []}
    read = "els => els.map(e => [e.title, e.dataset.p, e.dataset.h, getComputedStyle(e).backgroundColor])"
    by_p = spans.evaluate_all(read)
    page.select_option("#tokcolour", "h")
    by_h = spans.evaluate_all(read)
    page.select_option("#tokcolour", "p")
    responses = page.locator(".tokrow").evaluate_all(
        "els => els.map(e => [Array.from(e.querySelectorAll('.tok')).map(t => t.textContent).join(''),"
        " e.querySelectorAll('svg .step-node').length])"
    )
    return {
        "spans": len(by_p),
        "titles": [t for t, _, _, _ in by_p],
        "p": [float(p) for _, p, _, _ in by_p],
        "h": [float(h) for _, _, h, _ in by_p],
        "colour_by_p": [c for _, _, _, c in by_p],
        "colour_by_h": [c for _, _, _, c in by_h],
        "responses": responses,
    }


def not_blank(png: Path) -> bool:
    """The image has real content: many distinct colours, not one flat fill."""
    from PIL import Image

    with Image.open(png) as img:
        colours = img.convert("RGB").getcolors(maxcolors=1_000_000)
    return colours is not None and len(colours) > 20
