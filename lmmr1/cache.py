"""Where lmmr1 keeps what it builds for itself: ``$LMMR1_CACHE`` (default ``~/.cache/lmmr1``).

::

    CACHE/
      data/NAME-DIGEST/{train,val}.parquet    bundled sample sets, written when a run first needs them
      models/tiny-KIND-DIGEST/                tiny models, built offline
      crash/lmmr1-crash-TIME-PID.log          the traceback of an unexpected error

The digest names the content (a hash of what built it), so the same folder name is the same content on any
machine; a run directory compares recorded paths under the cache by that tail (lmmr1.run.manifest.portable).
"""

from __future__ import annotations

import os
import re
from pathlib import Path


def cache_root() -> Path:
    """``$LMMR1_CACHE`` when set and not empty, else ``~/.cache/lmmr1``."""
    return Path(os.environ.get("LMMR1_CACHE") or Path.home() / ".cache" / "lmmr1").expanduser()


def sample_set_dir(name: str, digest: str) -> Path:
    return cache_root() / "data" / f"{name}-{digest}"


def tiny_model_dir(kind: str, digest: str) -> Path:
    return cache_root() / "models" / f"tiny-{kind}-{digest}"


def crash_dir() -> Path:
    return cache_root() / "crash"


# a path inside some machine's cache: CACHE/data/NAME-DIGEST/... or CACHE/models/tiny-KIND-DIGEST
CACHED_PATH = re.compile(r"^/.+/(?P<tail>(?:data|models)/[A-Za-z0-9_.-]+-[0-9a-f]{12}(?:/.*)?)$")
