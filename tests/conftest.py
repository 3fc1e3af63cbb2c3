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
