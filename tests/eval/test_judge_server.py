"""``lmmr1 eval --judge URL`` against a small deterministic OpenAI-compatible server on loopback (issue 22):
bounded timeouts and retries, verdicts cached so a killed and resumed run asks every question once, and the
summary names the judge model, its calls and their time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from fixtures import LABELLED, write_benchmarks  # noqa: E402

JUDGED = ["mathvision", "mathverse", "mmstar", "mathvista"]  # the benchmarks LMM-R1 judged


class JudgeServer:
    """Answers every question with the last word of the response shown; can hang or fail on purpose."""

    def __init__(self) -> None:
        self.answered: Counter[str] = Counter()
        self.hang_after: int | None = None  # after this many answers, hold the next request until released
        self.release = threading.Event()
        self.waiting = threading.Event()
        self.fail_first = 0  # answer this many requests with HTTP 503 first
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                prompt = body["messages"][0]["content"]
                if server.fail_first > 0:
                    server.fail_first -= 1
                    self.send_error(503, "busy")
                    return
                if server.hang_after is not None and sum(server.answered.values()) >= server.hang_after:
                    server.waiting.set()
                    server.release.wait(60)
                    return  # the client is gone: nothing answered, nothing counted
                shown = prompt.split("Response:\n", 1)[1].split("\n\nExtracted answer:", 1)[0]
                words = shown.replace("<answer>", " ").replace("</answer>", " ").split()
                verdict = words[-1] if words else "NONE"
                data = json.dumps({"choices": [{"message": {"role": "assistant", "content": verdict}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                server.answered[prompt] += 1

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}/v1"

    def __enter__(self) -> JudgeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.httpd.shutdown()


def _responses(path: Path) -> Path:
    seen = set()
    with open(path, "w") as fh:
        for benchmark, item_id, response, _ in LABELLED:
            if benchmark in JUDGED and (benchmark, item_id) not in seen:
                seen.add((benchmark, item_id))
                fh.write(json.dumps({"benchmark": benchmark, "id": item_id, "response": response}) + "\n")
    return path


def test_retries_are_bounded_and_counted(tmp_path):
    from lmmr1.eval.judge import Judge, JudgeError

    with JudgeServer() as server:
        server.fail_first = 2
        judge = Judge(server.url, model="test-judge", retries=2, backoff_s=0.01)
        assert judge.extract("Extract.", "q", "so it is B") == "B"
        assert judge.retried == 2 and judge.calls == 1
        server.fail_first = 5
        with pytest.raises(JudgeError, match="HTTP 503"):
            Judge(server.url, retries=1, backoff_s=0.01).extract("Extract.", "q", "so it is C")
        server.fail_first = 0
        server.hang_after = 0
        started = time.time()
        with pytest.raises(JudgeError, match="after 2 tries"):
            Judge(server.url, timeout_s=0.5, retries=1, backoff_s=0.01).extract("Extract.", "q", "it is D")
        assert time.time() - started < 5


@pytest.mark.slow
def test_a_killed_judged_eval_resumes_and_asks_every_question_once(tmp_path):
    data_dir = write_benchmarks(tmp_path / "bench")
    responses = _responses(tmp_path / "responses.jsonl")
    out = tmp_path / "out"
    command = [
        sys.executable, "-m", "lmmr1.cli", "eval", "--responses", str(responses), "--benchmarks", ",".join(JUDGED),
        "--data-dir", str(data_dir), "--output", str(out), "--protocol", "lmm_r1", "--quiet",
    ]  # fmt: skip
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with JudgeServer() as server:
        command += ["--judge", server.url, "--judge-model", "test-judge", "--judge-timeout", "30"]
        server.hang_after = 3
        first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert server.waiting.wait(120), "the eval never reached the judge"
        first.send_signal(signal.SIGKILL)  # mid-run, while a question is in flight
        first.wait(30)
        server.hang_after = None
        server.release.set()
        second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr[-3000:]
    items = [json.loads(x) for x in (out / "items.jsonl").read_text().splitlines() if x.strip()]
    keys = [(r["benchmark"], r["id"]) for r in items]
    assert len(keys) == len(set(keys)) == sum(1 for _ in open(responses))  # every item once
    assert set(server.answered.values()) == {1}, server.answered  # every question answered once
    summary = json.loads((out / "summary.json").read_text())
    stats = summary["judge_stats"]
    # the resumed run asked only what the first one had not: 3 answers were cached before the kill
    assert sum(server.answered.values()) == 3 + stats["calls"]
    assert stats["calls"] + stats["cache_hits"] == len(keys) - 3  # items with the same prompt share a verdict
    assert stats["model"] == "test-judge" and stats["seconds"] >= 0
    assert all(summary["benchmarks"][b]["extraction"].startswith("judge: test-judge") for b in JUDGED)
