"""Google Research Football (GRF) behind ``lmmr1/Football-v0``: ``engine="gfootball"``.

GRF is a C++ game with Python bindings (package ``gfootball``); it is not on PyPI as a wheel for current
Pythons and builds from source in about 11 minutes. ``scripts/install_gfootball.sh`` installs it on a
Debian-like machine. Until an adapter is verified against a GRF build, ``engine="gfootball"`` refuses
with what to do (issue 13 tracks the adapter).
"""

from __future__ import annotations

import importlib.util

INSTALL_HINT = (
    "engine='gfootball' needs Google Research Football: run scripts/install_gfootball.sh (Debian/Ubuntu: "
    "system packages, then a ~11-minute C++ build into .venv), or use engine='lmmr1' (the built-in game)"
)


def gfootball_available() -> bool:
    return importlib.util.find_spec("gfootball") is not None


def require_gfootball() -> None:
    """Raise ModuleNotFoundError with the install instruction when GRF is not importable."""
    if not gfootball_available():
        raise ModuleNotFoundError(INSTALL_HINT)
