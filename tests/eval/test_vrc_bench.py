"""VRC-Bench (LlamaV-o1) through `lmmr1 eval`: fixtures in its public layout (parquet: idx, question, image,
final_answer, steps), a loopback OpenAI-compatible judge that rates the ten step metrics and the final answer,
and the aggregation: each metric's mean, the overall reasoning score (their mean) and the final-answer score."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lmmr1.eval.benchmarks.vrc_bench import STEP_METRICS, parse_step_scores, reference_steps


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (48, 40), (20, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def write_vrc_bench(root: Path) -> Path:
    rows = [
        {
            "idx": "vrc-0",
            "question": "How many bars are taller than 10?",
            "image": {"bytes": _png(), "path": None},
            "final_answer": "3",
            "steps": "Step 1: Read the height of each bar.\nStep 2: Count the bars above 10.",
        },
        {
            "idx": "vrc-1",
            "question": "What colour is the largest region?",
            "image": {"bytes": _png(), "path": None},
            "final_answer": "blue",
            "steps": ["Find the largest region.", "Name its colour."],
        },
    ]
    folder = root / "vrc_bench" / "data"
    folder.mkdir(parents=True)
    # the steps as one text (a line per step) in one shard, as a list in the other: both forms are read
    for k, row in enumerate(rows):
        pq.write_table(pa.Table.from_pylist([row]), folder / f"test-0000{k}-of-00002.parquet")
    return root


class StepJudge:
    """Rates every metric 8 for the first question and 4 for the second, leaves one metric out for the
    third; says 'yes' to the final answer of the first question only."""

    def __init__(self) -> None:
        self.prompts: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                prompt = body["messages"][0]["content"]
                server.prompts.append(prompt)
                if "Reply with one line of JSON" in prompt:
                    value = 8 if "taller than 10" in prompt else 4
                    reply = json.dumps({m: value for m in STEP_METRICS})
                else:
                    reply = "yes" if "taller than 10" in prompt else "no"
                data = json.dumps({"choices": [{"message": {"content": reply}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}/v1"


def test_lmmr1_eval_scores_vrc_bench_step_by_step_through_the_judge(tmp_path):
    data = write_vrc_bench(tmp_path / "bench")
    answers = tmp_path / "answers.jsonl"
    answers.write_text(
        json.dumps({"benchmark": "vrc_bench", "id": "vrc-0", "response": "Three bars are above 10. Answer: 3"})
        + "\n"
        + json.dumps({"benchmark": "vrc_bench", "id": "vrc-1", "response": "The region is red."})
        + "\n"
    )
    judge = StepJudge()
    try:
        out = tmp_path / "eval"
        args = ["--responses", str(answers), "--benchmarks", "vrc_bench", "--data-dir", str(data)]
        run = subprocess.run(
            [sys.executable, "-m", "lmmr1.cli", "eval", *args, "--output", str(out), "--judge", judge.url, "--quiet"],
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        result = json.loads((out / "summary.json").read_text())["benchmarks"]["vrc_bench"]
        assert set(result["step_metrics"]) == set(STEP_METRICS) and len(STEP_METRICS) == 10
        assert all(v == pytest.approx(60.0) for v in result["step_metrics"].values())  # (80 + 40) / 2
        assert result["score"] == pytest.approx(60.0) and result["final_answer"] == 50.0 and result["n"] == 2
        assert result["extraction"].startswith("judge:") and result["judge_errors"] == 0
        assert len(judge.prompts) == 4, "two questions per item"
        step_prompt = next(p for p in judge.prompts if "taller than 10" in p and "JSON" in p)
        assert "1. Step 1: Read the height of each bar." in step_prompt and "Three bars" in step_prompt
        items = [json.loads(line) for line in (out / "items.jsonl").read_text().splitlines()]
        assert {i["id"]: i["correct"] for i in items} == {"vrc-0": True, "vrc-1": False}
        # without a judge it is refused before anything runs
        refused = subprocess.run(
            [sys.executable, "-m", "lmmr1.cli", "eval", *args, "--output", str(tmp_path / "no_judge")],
            capture_output=True,
            text=True,
        )
        assert refused.returncode != 0 and "vrc_bench: scored by an LLM judge only" in refused.stderr
        assert not (tmp_path / "no_judge" / "items.jsonl").exists()
    finally:
        judge.httpd.shutdown()


def test_step_scores_read_from_the_judges_json_and_missing_ones_named():
    reply = "Scores: " + json.dumps({**{m: 7 for m in STEP_METRICS[:-1]}, "missing step": 9.0, "Extra": 3})
    scores, missing = parse_step_scores(reply)
    assert missing == [] and scores["Missing Step"] == 9.0 and scores["Hallucination"] == 7
    scores, missing = parse_step_scores(json.dumps({"Hallucination": 11, "Redundancy": "high"}))
    assert scores == {} and missing == list(STEP_METRICS)
    assert parse_step_scores("no json here") == ({}, list(STEP_METRICS))


def test_reference_steps_from_a_list_or_lines():
    assert reference_steps(["a", " b ", ""]) == ["a", "b"]
    assert reference_steps("Step 1: x\n\nStep 2: y\n") == ["Step 1: x", "Step 2: y"]
    assert re.match(r"^$", "".join(reference_steps(None)))
