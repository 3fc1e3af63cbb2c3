"""Every command line in the README and the docs pages works, and a test runs it.

The README's and ``docs/*.md``'s command lines (fenced ``bash`` blocks and inline code that starts like a command) are
collected here; each must match one rule below saying how it is checked:

* ``run``: executed here as written (paths the reader would supply are substituted by fixtures);
* ``dry``: a training launch that needs GPUs or prepared data: executed with ``dry_run=true`` (same
  composition, validation and verl config, without training);
* ``slow``: a smoke training run: executed by the named slow end-to-end test with the same arguments;
* ``golden``: a smoke training run pinned by ``tests/test_golden.py`` (one of its ``RUNS`` has every argument);
* ``ci``: the test command itself, which CI (``.ci/run``) runs;
* ``gpu``: needs a GPU machine (vLLM, flash-attn), stated as such and not runnable on CPU;
* ``system``: installs system packages and builds C++ (Google Research Football): its syntax is checked
  here, and the named test checks what it installs wherever it has been run (it was run on a machine like
  CI's; CI itself does not spend the build).

A README command that matches no rule fails :func:`test_every_readme_command_is_covered`, so a new
command cannot be added to the README without a check.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
DOCS = REPO / "docs"
# docs pages that are one walk-through: their commands build on each other, so they run in order, in one
# folder, by tests/test_docs_walkthrough.py (data.md: prepare, dedup, split, generate, mix, inspect, launch)
WALKTHROUGHS = {"data.md"}
PREFIXES = ("python -m lmmr1", "lmmr1 ", "./scripts/", ".venv/bin/", ".venv-vllm/bin/", "pip install")

# (pattern, kind, detail)
RULES: list[tuple[str, str, str]] = [
    (r"^\./scripts/setup\.sh && \.venv/bin/python -m pytest$", "ci", ".ci/run"),
    (r"^\.venv/bin/python -m pytest( -m (\"not slow\"|slow))?$", "ci", ".ci/run"),
    (r"^\.venv/bin/ruff (check|format) \.$", "ci", "tests/test_lint.py runs ruff check and ruff format --check"),
    # the vLLM-on-CPU environment and its tests: CI's last step (.ci/run), in .venv-vllm/
    (r"^\./scripts/setup\.sh --vllm-cpu$", "ci", ".ci/run"),
    (
        r"^\./scripts/setup\.sh --vllm-cpu && LMMR1_REQUIRE_VLLM=1 \.venv-vllm/bin/python -m pytest -m vllm_cpu$",
        "ci",
        ".ci/run",
    ),
    (
        r"^\.venv-vllm/bin/python -m lmmr1\.main \+recipe=fre_multi scale=cpu_vllm$",
        "slow",
        "tests/test_vllm_cpu_end_to_end.py::test_fre_multi_trains_through_vllm_on_cpu_and_eval_scores_the_export_with_vllm",
    ),
    (r"^\.venv-vllm/bin/python -m lmmr1\.main .*dry_run=true", "dry", ""),
    (
        r"^(\./scripts/setup\.sh && \.venv/bin/)?python -m lmmr1\.main \+recipe=fre_text$",
        "slow",
        "tests/test_end_to_end.py::test_fre_text_smoke_run_writes_manifest_metrics_checkpoint_then_resumes",
    ),
    (
        r"^python -m lmmr1\.main \+recipe=sanity( deterministic=true)?$",
        "slow",
        "tests/test_end_to_end.py::test_sanity_reward_rises_through_verl_on_cpu",
    ),
    (
        r"^python -m lmmr1\.main \+recipe=r1_onevision$",
        "slow",
        "tests/test_end_to_end.py::test_r1_onevision_runs_sft_then_grpo_from_its_export",
    ),
    (
        r"^python -m lmmr1\.main hydra\.searchpath=\[file://\$PWD/examples/curriculum\] \+recipe=fre_sft_mgt$",
        "slow",
        "tests/test_end_to_end.py::test_an_sft_stage_in_the_middle_survives_a_kill_and_hands_over",
    ),
    (r"^python -m lmmr1\.main \+recipe=sokoban_online algorithm=(gigpo|turn_gae) deterministic=true$", "golden", ""),
    (r"^python -m lmmr1\.main \+recipe=fre_multi_lora$", "golden", ""),
    (r"^python -m lmmr1\.main .*(scale=paper|dry_run=true|explain=true)", "dry", ""),
    (r"^(\.venv/bin/)?pip install -e '\.\[gpu\]'$", "gpu", "vLLM and flash-attn have no CPU build"),
    (
        r"^pip install -e examples/reward_plugin$",
        "slow",
        "tests/test_end_to_end.py::test_a_reward_plugin_from_another_distribution_drives_a_training_run",
    ),
    (r"^\./scripts/install_gfootball\.sh$", "system", "tests/envs/test_football_gfootball.py"),
    (r"^lmmr1 train .*(dry_run=true|explain=true)", "dry", ""),
    (r"^lmmr1 eval --model runs/", "slow-run", "a run directory whose stages are the tiny model"),
    (r"^lmmr1 ", "run", ""),
]


def _strip_comment(line: str) -> str:
    return re.sub(r"\s+#\s.*$", "", line).strip()


def readme_commands(text: str | None = None) -> list[str]:
    text = README.read_text(encoding="utf-8") if text is None else text
    commands: list[str] = []
    in_block, lang, pending = False, "", ""
    for line in text.splitlines():
        if line.startswith("```"):
            in_block, lang = (not in_block), line[3:].strip()
            continue
        if in_block and lang == "bash":
            line = pending + line.strip()
            pending = ""
            if line.endswith("\\"):
                pending = line[:-1].strip() + " "
                continue
            line = _strip_comment(line)
            if line.startswith(PREFIXES) or line.startswith("LMMR1_TORCH_INDEX"):
                commands.append(line)
        elif not in_block:
            for span in re.findall(r"`([^`]+)`", line):
                if span.startswith(PREFIXES) and " " in span:
                    commands.append(span.strip())
    return list(dict.fromkeys(commands))


def rule_for(command: str) -> tuple[str, str, str] | None:
    for pattern, kind, detail in RULES:
        if re.search(pattern, command):
            return pattern, kind, detail
    return None


README_COMMANDS = readme_commands()
COMMANDS = list(
    dict.fromkeys(
        README_COMMANDS
        + [
            command
            for page in sorted(DOCS.glob("*.md"))
            for command in readme_commands(page.read_text(encoding="utf-8"))
        ]
    )
)


def test_readme_has_the_two_quick_start_commands():
    assert "./scripts/setup.sh && .venv/bin/python -m lmmr1.main +recipe=fre_text" in README_COMMANDS
    assert "./scripts/setup.sh && .venv/bin/python -m pytest" in README_COMMANDS
    assert "./scripts/setup.sh && .venv/bin/python -m pytest" in (REPO / ".ci" / "run").read_text()


@pytest.mark.parametrize("command", COMMANDS)
def test_every_readme_command_is_covered(command):
    rule = rule_for(command)
    assert rule is not None, f"README command has no check in tests/test_readme.py: {command}"
    _, kind, detail = rule
    if kind == "slow":
        path, _, name = detail.partition("::")
        source = (REPO / path).read_text(encoding="utf-8")
        assert f"def {name}(" in source, detail
        body = source[source.index(f"def {name}(") :]
        body = body[: body.find("\ndef ", 1) if "\ndef " in body[1:] else len(body)]
        for arg in shlex.split(command):
            if arg.startswith("+recipe=") or arg.startswith("examples/"):
                assert arg.split("/")[0] in body, f"{detail} does not run {arg}"
    if kind == "golden":
        sys.path.insert(0, str(REPO / "tests"))
        from test_golden import RUNS

        wanted = set(shlex.split(command)[3:])
        assert any(wanted <= set(run["args"]) for run in RUNS.values()), f"no golden run has {sorted(wanted)}"
    if kind == "ci":
        ci = (REPO / ".ci" / "run").read_text()
        assert "python -m pytest" in ci
        if "vllm" in command:  # the exact line CI runs
            assert command in ci, command
    if kind == "system":
        script = REPO / command.split()[0]
        assert os.access(script, os.X_OK), f"{script} is not executable"
        subprocess.run(["bash", "-n", str(script)], check=True)  # parses; running it needs root and ~5 minutes
        assert (REPO / detail).exists() and detail in script.read_text(encoding="utf-8"), detail


# ----------------------------------------------------------------------------- the runnable ones
def _fixture_env(tmp_path: Path, lmmr1_env: dict) -> dict:
    env = dict(lmmr1_env, LMMR1_DATA=str(tmp_path / "data"))
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    return env


def _write_fixtures(tmp_path: Path) -> None:
    """What a reader of the README would have: a downloaded DeepScaleR-like folder, a rows.jsonl."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    raw = tmp_path / "raw" / "deepscaler"
    raw.mkdir(parents=True)
    rows = [{"problem": f"What is {i} + {i}?", "answer": str(2 * i), "solution": "..."} for i in range(200)]
    pq.write_table(pa.Table.from_pylist(rows), raw / "train-00000-of-00001.parquet")
    (tmp_path / "data" / "deepscaler").mkdir(parents=True)
    with open(tmp_path / "rows.jsonl", "w") as fh:
        fh.write(json.dumps({"response": "<think>x</think><answer>\\boxed{4}</answer>", "ground_truth": "4"}) + "\n")
    with open(tmp_path / "cot.jsonl", "w") as fh:  # `lmmr1 data prepare --format sft-messages`
        fh.write(
            json.dumps({"prompt": "What is 2 + 2?", "response": "<think>2 + 2 = 4</think><answer>4</answer>"}) + "\n"
        )
    (tmp_path / "models" / "Qwen2.5-VL-3B-Instruct").mkdir(parents=True)
    # `bench`: every benchmark in its public layout; `answers.jsonl`: responses to re-score
    sys.path.insert(0, str(REPO / "tests" / "eval"))
    from fixtures import LABELLED, write_benchmarks

    write_benchmarks(tmp_path / "bench")
    with open(tmp_path / "answers.jsonl", "w") as fh:
        for benchmark, item_id, response, _ in LABELLED:
            fh.write(json.dumps({"benchmark": benchmark, "id": item_id, "response": response}) + "\n")


def _runnable(command: str, tmp_path: Path) -> list[str]:
    """The command as argv, with reader-supplied paths pointed at fixtures."""
    command = command.replace("/models/Qwen2.5-VL-3B-Instruct", str(tmp_path / "models" / "Qwen2.5-VL-3B-Instruct"))
    command = re.sub(r"\s*>\s*\S+$", "", command)  # `> plan.yaml`: the test reads stdout itself
    argv = [a.replace("$LMMR1_DATA", str(tmp_path / "data")).replace("$PWD", str(REPO)) for a in shlex.split(command)]
    argv = [str(tmp_path / "out") if a in ("DIR", "OUT") else a for a in argv]
    if argv[0] == "lmmr1":
        argv = [sys.executable, "-m", "lmmr1.cli", *argv[1:]]
    elif argv[:3] == ["python", "-m", "lmmr1.main"] or argv[:3] == [".venv-vllm/bin/python", "-m", "lmmr1.main"]:
        argv = [sys.executable, *argv[1:]]  # a dry run composes and validates the same in either environment
    return argv


WALKTHROUGH_COMMANDS = {c for page in WALKTHROUGHS for c in readme_commands((DOCS / page).read_text(encoding="utf-8"))}
RUNNABLE = [
    c
    for c in COMMANDS
    if (r := rule_for(c))
    and r[1] in ("run", "dry", "slow-run")
    and c not in WALKTHROUGH_COMMANDS - set(README_COMMANDS)
]


def _marks(command: str) -> list:
    # launches (verl is imported and validates every stage), evaluations that load a model and the
    # 5,000-level generation take 10-60 s each: they belong to the slow set, which CI runs too
    heavy = rule_for(command)[1] in ("dry", "slow-run") or "--n 5000" in command
    return [pytest.mark.slow] if heavy else []


@pytest.mark.parametrize("command", [pytest.param(c, marks=_marks(c)) for c in RUNNABLE])
def test_readme_command_runs(command, tmp_path, lmmr1_env):
    _write_fixtures(tmp_path)
    env = _fixture_env(tmp_path, lmmr1_env)
    # commands that consume what an earlier README command produced run that one first
    if command.startswith("lmmr1 eval --model runs/"):
        # a finished run whose stages exported the tiny Qwen2.5-VL; CPU-sized evaluation of it
        from lmmr1.tiny_models import ensure_tiny_model

        model = ensure_tiny_model("qwen2_5_vl")
        run = tmp_path / command.split("--model ")[1].split()[0]
        run.mkdir(parents=True)
        stages = [{"name": n, "status": "done", "hf_export": model} for n in ("fre_text", "mgt_percereason")]
        (run / "manifest.json").write_text(json.dumps({"recipe": run.name, "stages": stages}))
    if re.match(r"lmmr1 (status|plot|view) runs/", command):
        # a finished two-stage run in the layout a run writes (tests/report/run_fixtures.py)
        sys.path.insert(0, str(REPO / "tests" / "report"))
        from run_fixtures import write_run

        write_run(tmp_path / command.split()[2])
    if command.startswith("lmmr1 report eval"):
        first = next(c for c in RUNNABLE if c.startswith("lmmr1 eval --responses"))
        pre = subprocess.run(
            _runnable(first, tmp_path), capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
        )
        assert pre.returncode == 0, pre.stderr[-3000:]
    if "data split" in command:
        first = next(c for c in RUNNABLE if "data prepare --format hf" in c)
        pre = subprocess.run(
            _runnable(first, tmp_path), capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
        )
        assert pre.returncode == 0, pre.stderr[-3000:]
    argv = _runnable(command, tmp_path)
    if rule_for(command)[1] == "slow-run":
        argv += ["--limit", "1", "--max-new-tokens", "4", "--option", "football_online.steps=2", "--quiet"]  # CPU-sized
    if rule_for(command)[1] == "dry" and "dry_run=true" not in argv and "explain=true" not in argv:
        argv.append("dry_run=true")
    if re.fullmatch(r"lmmr1( [a-z]+)+", command) and not command.startswith("lmmr1 ls "):
        argv.append("--help")  # a sub-command named in the text: its help must work
    result = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert result.returncode == 0, f"{command}\n{result.stderr[-3000:]}"
    if "dry_run=true" in argv:
        assert result.stdout.startswith("---\n# stage: ")
    if "explain=true" in argv:
        assert "command line" in result.stdout
    if "data split" in command:
        assert (tmp_path / "data" / "deepscaler" / "train.parquet").exists()
    if command.startswith("lmmr1 eval --model runs/"):
        assert (tmp_path / "eval" / "fre_text" / "summary.json").exists()
        assert (tmp_path / "eval" / "mgt_percereason" / "summary.json").exists()
        assert "eval MGT-PerceReason (lmm_r1)" in result.stdout
    if command.startswith("lmmr1 report eval"):
        assert "yours, protocol rule" in result.stdout and (tmp_path / "report" / "table1.png").exists()


def test_the_readme_is_short_and_links_every_docs_page():
    """A newcomer reads the README in minutes; the manual lives in docs/ and each page is linked from it."""
    text = README.read_text(encoding="utf-8")
    assert len(text.encode()) <= 12_000, f"README is {len(text.encode())} bytes"
    for page in sorted(DOCS.glob("*.md")):
        assert f"(docs/{page.name})" in text, f"README does not link docs/{page.name}"
    for page in sorted(DOCS.glob("*.md")):  # and every page links back
        assert "(../README.md)" in page.read_text(encoding="utf-8"), page.name
