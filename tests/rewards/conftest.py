import os
import sys
from pathlib import Path

import pytest

HERE = str(Path(__file__).parent)


@pytest.fixture
def misbehaving_on_path(monkeypatch):
    """Make ``misbehaving:*`` importable here and in worker processes."""
    monkeypatch.syspath_prepend(HERE)
    monkeypatch.setenv("PYTHONPATH", HERE + os.pathsep + os.environ.get("PYTHONPATH", ""))
    yield
    sys.modules.pop("misbehaving", None)
