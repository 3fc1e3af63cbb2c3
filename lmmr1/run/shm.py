"""Shared-memory segments a local run leaves in ``/dev/shm``, found and removed after its Ray has stopped.

vLLM's engine talks to its workers through Python ``SharedMemory`` blocks (``psm_*``) and verl sends weights to
vLLM through a shared-memory bucket (``verl_*``); when Ray stops those processes they cannot unlink them, and
each ``scale=cpu_vllm`` run left ~400 MiB behind (a failed weight sync, 2 GiB). A segment is removed only if
it appeared during the run, has a name of that kind, and no live process has it mapped or open, so another
run's segments on the same machine are never touched.
"""

from __future__ import annotations

import os
from pathlib import Path

SHM = Path("/dev/shm")
# psm_: Python's multiprocessing.shared_memory (vLLM's message queues); verl_: verl's weight buckets;
# sem.mp-: multiprocessing's named semaphores
PREFIXES = ("psm_", "verl_", "sem.mp-")


def segments() -> set[str]:
    """Names of the segments in ``/dev/shm`` now (empty where there is no such folder)."""
    try:
        return {entry.name for entry in os.scandir(SHM)}
    except OSError:
        return set()


def _in_use() -> set[str]:
    """Segments some process maps or holds open (read from ``/proc``; processes we may not read are skipped)."""
    used: set[str] = set()
    prefix = str(SHM) + "/"
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as maps:
                for line in maps:
                    at = line.find(prefix)
                    if at >= 0:
                        used.add(line[at + len(prefix) :].split()[0])
        except OSError:
            pass
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith(prefix):
                    used.add(target[len(prefix) :].split()[0])
        except OSError:
            pass
    return used


def remove_leftovers(before: set[str]) -> list[str]:
    """Unlink the segments that appeared since ``before`` and nothing uses; returns their names."""
    new = {name for name in segments() - before if name.startswith(PREFIXES)}
    if not new:
        return []
    removed = []
    for name in sorted(new - _in_use()):
        try:
            (SHM / name).unlink()
            removed.append(name)
        except OSError:
            pass
    return removed
