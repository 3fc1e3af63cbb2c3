"""lmmr1.run.shm: after a local run, its leftover shared-memory segments go; anything else stays."""

from __future__ import annotations

import os

import pytest

from lmmr1.run import shm

pytestmark = pytest.mark.skipif(not shm.SHM.is_dir(), reason="no /dev/shm on this system")


def test_only_new_unused_segments_of_known_kinds_are_removed():
    tag = f"lmmr1test{os.getpid()}"
    older = shm.SHM / f"psm_{tag}_older"
    older.write_bytes(b"x")  # there before the run: another run's
    before = shm.segments()
    left, held, foreign = (shm.SHM / f"psm_{tag}_left", shm.SHM / f"verl_{tag}_held", shm.SHM / f"{tag}_foreign")
    for path in (left, held, foreign):
        path.write_bytes(b"x" * 4096)
    handle = open(held, "rb")  # a live process still has it open
    try:
        removed = shm.remove_leftovers(before)
        assert removed == [left.name]
        assert not left.exists() and held.exists() and foreign.exists() and older.exists()
    finally:
        handle.close()
        for path in (left, held, foreign, older):
            path.unlink(missing_ok=True)
