"""``lmmr1 status``, ``lmmr1 plot`` and ``lmmr1 view`` on a two-stage run directory (the layout a run writes)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from lmmr1.cli import main as cli

sys.path.insert(0, str(Path(__file__).parent))
from run_fixtures import STAGES, browser_required, check_in_browser, not_blank, write_run  # noqa: E402


def test_status_names_every_stage_and_the_next_action(tmp_path, capsys):
    run = write_run(tmp_path / "run", statuses=("done", "failed"))
    assert cli(["status", str(run)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"fre_text\s+done\s+3/3\s+0\.667", out), out
    assert re.search(r"mgt_percereason\s+failed\s+3/3", out), out
    assert "next: resume stage mgt_percereason" in out


def test_status_of_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert cli(["status", str(tmp_path)]) == 2
    assert "no manifest.json" in capsys.readouterr().err


def test_plot_writes_readable_pngs_for_the_whole_curriculum(tmp_path):
    from lmmr1.report.curves import curriculum_series
    from lmmr1.report.run_dir import load_run

    run = write_run(tmp_path / "run")
    assert cli(["plot", str(run)]) == 0
    files = {p.name for p in (run / "plots").glob("*.png")}
    assert {"overview.png", "reward.png", "accuracy.png", "format.png", "response_length.png", "kl.png"} <= files
    assert {"entropy.png", "value_loss.png"} <= files
    assert "validation.png" not in files  # no val/ metrics in this run: no empty panel
    for name in files:
        data = (run / "plots" / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert not_blank(run / "plots" / name)
    xs, _, starts = curriculum_series(load_run(run))
    assert xs == [1, 2, 3, 4, 5, 6] and starts == [(1, "fre_text"), (4, "mgt_percereason")]


def test_view_writes_one_self_contained_page(tmp_path):
    run = write_run(tmp_path / "run")
    assert cli(["view", str(run)]) == 0
    page = (run / "view.html").read_text()
    # manifest table, curves, rollout rows of both stages with extracted and gold answers
    assert "<table class='grid' id='manifest'>" in page and "global_step_3/actor/huggingface" in page
    assert "data:image/png;base64," in page
    rows = json.loads(re.search(r'<script type="application/json" id="rows">(.*?)</script>', page, re.S).group(1))
    assert {r[0] for r in rows} == set(STAGES) and len(rows) == 36
    boxed = next(r for r in rows if "boxed" in r[8])
    assert boxed[7] == boxed[6]  # extracted answer == gold for the boxed responses
    assert any("control character" in r[5] for r in rows)
    # each row names its prompt: the question always, the image (a JPEG thumbnail) for the multimodal stage
    prompts = json.loads(re.search(r'<script type="application/json" id="prompts">(.*?)</script>', page, re.S).group(1))
    by_stage = {r[0]: prompts[r[9]] for r in rows}
    assert by_stage["fre_text"][0].startswith("Question") and by_stage["fre_text"][1] == ""
    assert by_stage["mgt_percereason"][1].startswith("data:image/jpeg;base64,")
    # nothing that could reach the network
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)


def test_view_with_100000_rows_embeds_them_all_and_pages_them(tmp_path):
    run = write_run(tmp_path / "run", steps=5, rows_per_step=10_000)
    assert cli(["view", str(run), "--response-chars", "200"]) == 0
    page = (run / "view.html").read_text()
    assert "100,000 scored responses." in page
    assert "const PAGE = 50;" in page
    assert cli(["view", str(run), "--max-rows", "1000", "--output", str(tmp_path / "small.html")]) == 0
    assert "1,000 of 100,000 scored responses" in (tmp_path / "small.html").read_text()


def test_view_in_a_headless_browser(tmp_path):
    """Chromium (Debian's package) loads the page: no console error, no network request, the stage filter
    changes the rows shown, and the screenshot is not blank."""
    from run_fixtures import CHROMIUM

    if not Path(CHROMIUM).exists():
        if browser_required():
            pytest.fail(f"{CHROMIUM} is missing; .ci/run installs Debian's chromium package")
        pytest.skip("Chromium is not installed (apt-get install chromium; CI installs it)")
    run = write_run(tmp_path / "run")
    assert cli(["view", str(run)]) == 0
    result = check_in_browser(run / "view.html", "mgt_percereason", tmp_path / "shot.png")
    assert result["errors"] == [] and result["network"] == []
    assert result["stages_before"] == sorted(STAGES) and result["stages_after"] == ["mgt_percereason"]
    assert result["rows_before"] == 36 and result["count_text"] == "rows 1-18 of 18"
    assert result["thumbnails"] == 18  # the multimodal stage's rows show their prompt image
    assert not_blank(tmp_path / "shot.png")
    _check_token_view(result["tokens"])


def _check_token_view(tokens: dict) -> None:
    """Every hand-written token is shown with its value, coloured under both switches; one graph node per step."""
    from run_fixtures import TOKEN_RESPONSES

    n = sum(len(t) for t, _ in TOKEN_RESPONSES)
    assert tokens["spans"] == 2 * 3 * n  # two stages, three steps, the three responses each
    first = TOKEN_RESPONSES[0][0]
    # the first response: p falls 0.95 -> 0.05 along it, entropy rises 0.1 -> 4.0 nats
    assert (
        tokens["titles"][0] == "p=0.950 · H=0.100 nats" and tokens["titles"][len(first) - 1] == "p=0.050 · H=4.000 nats"
    )
    assert tokens["p"][0] == pytest.approx(0.95) and tokens["h"][len(first) - 1] == pytest.approx(4.0)
    transparent = "rgba(0, 0, 0, 0)"
    # the probability switch colours unlikely tokens (the last), the entropy switch uncertain ones (also the last)
    assert tokens["colour_by_p"][len(first) - 1] != transparent and tokens["colour_by_h"][len(first) - 1] != transparent
    assert tokens["colour_by_p"] != tokens["colour_by_h"]
    shown = {text: nodes for text, nodes in tokens["responses"]}
    assert shown == {"".join(t): steps for t, steps in TOKEN_RESPONSES}


def test_an_sft_stage_shows_its_loss_and_its_validation_line_shares_the_step(tmp_path, capsys):
    from lmmr1.report.curves import curriculum_series
    from lmmr1.report.run_dir import load_run

    run = tmp_path / "sft_run"
    run.mkdir()
    stages = [
        {
            "name": "sft",
            "status": "done",
            "hf_export": "/x/sft/checkpoints/global_step_3/huggingface",
            "last_loss": 6.2,
        },
        {"name": "grpo", "status": "running"},
    ]
    (run / "manifest.json").write_text(json.dumps({"recipe": "r1_onevision", "scale": "smoke", "stages": stages}))
    lines = [
        {"stage": "sft", "step": 1, "train/loss": 6.9},
        {"stage": "sft", "step": 2, "train/loss": 6.5},
        {"stage": "sft", "step": 3, "train/loss": 6.2},
        {"stage": "sft", "step": 3, "val/loss": 6.1},
        {"stage": "grpo", "step": 1, "critic/score/mean": 0.25},
    ]
    (run / "metrics.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    view = load_run(run)
    assert [(s.name, s.steps_done, s.result()) for s in view.stages] == [("sft", 3, "loss 6.200"), ("grpo", 1, "0.250")]
    xs, _, starts = curriculum_series(view)
    assert xs == [1, 2, 3, 3, 4] and starts == [(1, "sft"), (4, "grpo")]
    assert cli(["status", str(run)]) == 0
    assert re.search(r"sft\s+done\s+3/\?\s+loss 6\.200", capsys.readouterr().out)
    assert cli(["plot", str(run)]) == 0
    files = {p.name for p in (run / "plots").glob("*.png")}
    assert "sft_loss.png" in files and "validation.png" not in files  # val/loss belongs to the SFT panel


def test_view_shows_the_turn_credit_of_a_turn_level_stage(tmp_path):
    """algorithm=gigpo writes STAGE/turn_credit.jsonl; the page lists each episode's turns: reward -> advantage."""
    import torch

    from lmmr1.run.layout import RunPaths
    from lmmr1.verl.turn_credit import Episode, TurnSettings, episode_log_rows, gigpo

    run = write_run(tmp_path / "run")
    episodes = [
        Episode(group="u", spans=[(0, 2), (3, 5)], rewards=[-0.1, 10.8], anchors=["b0", "b1"]),
        Episode(group="u", spans=[(0, 2)], rewards=[-0.1], anchors=["b0"]),
    ]
    result = gigpo(episodes, torch.tensor([[1, 1, 0, 1, 1], [1, 1, 0, 0, 0]]), TurnSettings())
    log = RunPaths(run).stage(STAGES[1]).turn_credit
    log.write_text("".join(json.dumps(r) + "\n" for r in episode_log_rows(1, ["k0", "k1"], "gigpo", episodes, result)))
    assert cli(["view", str(run)]) == 0
    page = (run / "view.html").read_text()
    assert "<h2>Turn credit</h2>" in page and f"{STAGES[1]}: gigpo, the newest 2 of 2 episodes" in page
    first = result.turn_advantages[0]
    # episode returns 10.7 and -0.1 -> A^E +5.4 / -5.4; turn 1 of k0 is alone with k1's turn at board b0
    assert f"1: -0.100 → <b>{first[0]:+.3f}</b>" in page and f"2: +10.800 → <b>{first[1]:+.3f}</b>" in page


def test_view_names_the_lines_of_the_token_log_and_reward_rows_it_left_out(tmp_path, capsys):
    """A token-log line whose lists do not line up, and a broken line in each file, are named on stderr."""
    run = write_run(tmp_path / "run")
    tokens = run / "fre_text" / "tokens.jsonl"
    good = tokens.read_text()
    bad = {"step": 4, "key": "k", "tokens": ["a", "b"], "logprob": [-1.0], "entropy": [0.5, 0.5]}
    tokens.write_text(good + json.dumps(bad) + "\n" + "{not json\n")
    with open(run / "mgt_percereason" / "reward_rows.jsonl", "a") as f:
        f.write('{"score": 1.0, "response": "cut\n')
    assert cli(["view", str(run)]) == 0
    err = capsys.readouterr().err
    assert f"{tokens}: logged response 10 (step 4): 2 tokens, 1 log-probs, 2 entropies (left out)" in err
    assert f"{tokens}:11: not a complete JSON line (left out)" in err
    assert "mgt_percereason/reward_rows.jsonl:19: not a complete JSON line (left out)" in err
    page = (run / "view.html").read_text()
    assert page.count("class='tokrow'") == 2 * 9  # the 9 good responses of each stage, the bad one left out


def test_token_responses_sets_how_many_responses_the_token_view_shows(tmp_path, capsys):
    run = write_run(tmp_path / "run")
    assert cli(["view", str(run), "--token-responses", "2"]) == 0
    page = (run / "view.html").read_text()
    assert page.count("class='tokrow'") == 2 * 2 and "fre_text: the newest 2 of 9 logged responses" in page
    assert cli(["view", str(run), "--token-responses", "0"]) == 0
    assert "class='tokrow'" not in (run / "view.html").read_text()
    assert cli(["view", str(run), "--token-responses", "-1"]) == 2
    assert "--token-responses 0 or more" in capsys.readouterr().err
