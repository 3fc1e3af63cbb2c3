"""A reward plug-in installed as its own distribution is found through the entry point.

``examples/reward_plugin`` is really installed (pip, into a temporary target directory, so the shared
venv is untouched) and put on PYTHONPATH: exactly what an installed distribution looks like to
``importlib.metadata``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PLUGIN_SRC = Path(__file__).resolve().parents[2] / "examples" / "reward_plugin"


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("plugin")
    src = tmp / "src"
    shutil.copytree(PLUGIN_SRC, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    site = tmp / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(site),
            str(src),
        ],
        check=True,
        capture_output=True,
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = str(site) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_plugin_is_listed_with_its_distribution(plugin_env):
    out = subprocess.run(
        [sys.executable, "-m", "lmmr1.cli", "ls", "rewards"], env=plugin_env, capture_output=True, text=True, check=True
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("contains_answer"))
    assert "lmmr1_plugin_example.rewards:contains_answer" in line and "lmmr1-plugin-example 0.1.0" in line


def test_lmmr1_score_uses_the_plugin(plugin_env, tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"response": "<think>hmm</think><answer>It is Paris.</answer>", "ground_truth": "paris"},
                {"response": "<think>paris?</think><answer>Lyon</answer>", "ground_truth": "paris"},
            ]
        )
        + "\n"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lmmr1.cli",
            "score",
            "--reward",
            "contains_answer",
            "--input",
            str(rows),
            "--reward-kwargs",
            '{"weight": 2.0}',
            "--quiet",
        ],
        env=plugin_env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line) for line in proc.stdout.splitlines()] == [
        {"score": 2.0, "acc": 1.0, "timeout": 0},
        {"score": 0.0, "acc": 0.0, "timeout": 0},
    ]


def test_verl_hook_uses_the_plugin_by_name(plugin_env):
    """What a training run does: compute_score with lmmr1_reward={name: contains_answer}."""
    code = (
        "from lmmr1.verl.reward_manager import compute_score; "
        "print(compute_score('any', '<answer>42</answer>', '42', lmmr1_reward={'name': 'contains_answer'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=plugin_env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "{'score': 1.0, 'acc': 1.0, 'timeout': 0.0}"
