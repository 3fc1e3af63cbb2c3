"""Inference-time search (lmmr1.eval.search) on the tiny Qwen2.5-VL with the HF backend: LLaVA-CoT's stage-level
search gives the four stages in order with (K-1) x 4 judge calls and repeats with the same seed; best-of-N and
sentence-level search; the judge as the model itself or an OpenAI-compatible endpoint on loopback."""

from __future__ import annotations

import io
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lmmr1.eval.core import GenSettings
from lmmr1.eval.generation import Request, cut_at_stop
from lmmr1.eval.search import (
    STAGES,
    EndpointJudge,
    SearchGenerator,
    SearchSettings,
    SelfJudge,
    parse_choice,
)


class ScriptedJudge:
    """Prefers the longer candidate (ties: the first); records what it was shown."""

    name = "scripted"

    def __init__(self) -> None:
        self.calls = 0
        self.shown: list[tuple[str, str, str]] = []

    def better(self, request, context, first, second):
        self.calls += 1
        self.shown.append((context, first, second))
        return 1 if len(second) > len(first) else 0


@pytest.fixture(scope="module")
def generator():
    from lmmr1.eval.generation import HFGenerator
    from lmmr1.tiny_models import ensure_tiny_model

    return HFGenerator(ensure_tiny_model("qwen2_5_vl"), batch_size=4)


def _picture_request(max_new_tokens: int = 12) -> Request:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 56), (200, 30, 30)).save(buffer, format="PNG")
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What colour is it?"}]}]
    return Request(messages, [buffer.getvalue()], GenSettings(max_new_tokens=max_new_tokens, temperature=0.0))


def test_stage_search_gives_the_four_stages_in_order_with_k_minus_1_calls_per_stage(generator):
    judge = ScriptedJudge()
    search = SearchGenerator(generator, judge, SearchSettings("stage", beam=3, seed=7))
    (answer,) = search.generate([_picture_request()])
    tags = re.findall(r"</?([A-Z]+)>", answer)
    assert tags == [t for stage in STAGES for t in (stage, stage)], answer
    assert judge.calls == (3 - 1) * 4 and search.candidates == 3 * 4
    # every comparison of a stage saw the answer so far, and the candidates of that stage
    contexts = [c for c, _, _ in judge.shown]
    assert contexts[0] == contexts[1] == "" and contexts[2].startswith("<SUMMARY>")
    assert all(first.startswith(f"<{STAGES[i // 2]}>") for i, (_, first, _) in enumerate(judge.shown))
    # the same seed gives the same answer; another seed samples other candidates
    again = SearchGenerator(generator, ScriptedJudge(), SearchSettings("stage", beam=3, seed=7)).generate(
        [_picture_request()]
    )
    assert again == [answer]
    other = SearchGenerator(generator, ScriptedJudge(), SearchSettings("stage", beam=3, seed=8)).generate(
        [_picture_request()]
    )
    assert other != [answer]


def test_best_of_n_and_sentence_search(generator):
    judge = ScriptedJudge()
    (answer,) = SearchGenerator(generator, judge, SearchSettings("best_of_n", beam=4)).generate([_picture_request()])
    candidates = [judge.shown[0][1]] + [second for _, _, second in judge.shown]
    assert judge.calls == 3 and len(candidates) == 4
    assert answer == max(candidates, key=len), "the knockout keeps the judge's winner"
    judge = ScriptedJudge()
    search = SearchGenerator(generator, judge, SearchSettings("sentence", beam=2, max_sentences=3))
    (answer,) = search.generate([_picture_request(max_new_tokens=6)])
    steps = search.candidates // 2
    assert 1 <= steps <= 3 and judge.calls == steps and answer


def test_the_model_judges_itself(generator):
    judge = SelfJudge(generator)
    search = SearchGenerator(generator, judge, SearchSettings("best_of_n", beam=2))
    (answer,) = search.generate([_picture_request()])
    assert judge.calls == 1 and answer and search.stats()["judge"] == "self"


def test_an_endpoint_judges_and_its_verdicts_are_cached(generator, tmp_path):
    from lmmr1.eval.judge import Judge

    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            prompt = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["messages"][0]["content"]
            asked.append(prompt)
            assert "Which candidate is better?" in prompt and "What colour is it?" in prompt
            data = json.dumps({"choices": [{"message": {"content": "Candidate 2"}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        judge = Judge(f"http://127.0.0.1:{server.server_port}/v1", timeout_s=10)
        judge.use_cache(tmp_path / "judge_cache.jsonl")
        search = SearchGenerator(generator, EndpointJudge(judge), SearchSettings("stage", beam=2, seed=1))
        first = search.generate([_picture_request()])
        assert len(asked) == 4
        SearchGenerator(generator, EndpointJudge(judge), SearchSettings("stage", beam=2, seed=1)).generate(
            [_picture_request()]
        )
        assert len(asked) == 4 and judge.cache_hits == 4, "the same comparisons are answered from the cache"
        assert first[0].count("<CONCLUSION>") == 1
    finally:
        server.shutdown()


@pytest.mark.parametrize(
    ("reply", "choice"), [("1", 0), ("2", 1), ("Candidate 2 is better.", 1), ("Response 1", 0), ("neither", None)]
)
def test_parse_choice(reply, choice):
    assert parse_choice(reply) == choice


def test_cut_at_stop_keeps_the_first_stop_string():
    assert cut_at_stop("a</SUMMARY> more</SUMMARY>", ["</SUMMARY>"]) == "a</SUMMARY>"
    assert cut_at_stop("One. Two.", [". ", "\n"]) == "One. "
    assert cut_at_stop("no stop", ["</X>"]) == "no stop"


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="choose one of stage, best_of_n, sentence"):
        SearchSettings("beam")
    with pytest.raises(ValueError, match="at least 2 candidates"):
        SearchSettings("stage", beam=1)


def test_lmmr1_eval_runs_a_stage_search_with_the_model_as_judge(tmp_path):
    """`lmmr1 eval --search stage --beam 2 --judge self` on fixtures: every response has the four stages, the
    summary records the search and its (K-1) x 4 comparisons per item; bad combinations are refused."""
    import subprocess
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from fixtures import write_benchmarks

    data = write_benchmarks(tmp_path / "bench")
    out = tmp_path / "eval"
    cli = [sys.executable, "-m", "lmmr1.cli", "eval", "--model", "tiny:qwen2_5_vl", "--data-dir", str(data)]
    run = subprocess.run(
        [*cli, "--benchmarks", "mmstar", "--output", str(out), "--limit", "2", "--max-new-tokens", "6",
         "--search", "stage", "--beam", "2", "--judge", "self", "--quiet"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    items = [json.loads(line) for line in (out / "items.jsonl").read_text().splitlines()]
    assert len(items) == 2
    assert all(re.findall(r"<([A-Z]+)>", i["response"]) == list(STAGES) for i in items), items
    summary = json.loads((out / "summary.json").read_text())
    assert summary["search"]["method"] == "stage" and summary["search"]["judge"] == "self"
    assert summary["search"]["judge_calls"] == 2 * (2 - 1) * 4 and "stage search" in summary["backend"]
    assert "stage search, beam 2: 8 comparisons" in run.stdout
    for bad, needle in (
        (["--judge", "self"], "--judge self judges the candidates of a --search"),
        (["--search", "stage"], "needs a judge for its candidates"),
        (["--search", "stage", "--judge", "self", "--beam", "1"], "--beam"),
    ):
        refused = subprocess.run(
            [*cli, "--benchmarks", "mmstar", "--output", str(tmp_path / "x"), *bad], capture_output=True, text=True
        )
        assert refused.returncode != 0 and needle in refused.stderr, refused.stderr
