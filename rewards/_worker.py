"""Entry point of a scoring worker process (see ``scoring.WorkerPool``).

Protocol over a duplex pipe: the worker sends ``("ready", None)`` once it has imported what it needs,
then answers each ``(name, kwargs, args)`` job with ``("ok", result)`` or ``("error", reason)``. It exits
when the pipe closes. It never installs signal handlers: the parent enforces time limits by killing it.
"""

from __future__ import annotations

import math
import os
from typing import Any


def _plain(value: Any) -> Any:
    """Make a reward's result picklable and JSON-friendly (numpy scalars, tensors -> float)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (str, bool, int)) or value is None:
        return value
    if isinstance(value, float):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def main(conn: Any, preload: list[str]) -> None:
    import importlib

    for module in preload:
        try:
            importlib.import_module(module)
        except Exception:  # a missing optional module only slows the first job
            pass
    from . import get_reward

    cache: dict[str, Any] = {}
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        name, kwargs, args = job
        try:
            fn = cache.get(name)
            if fn is None:
                fn = cache[name] = get_reward(name)
            result = fn(*args, **kwargs)
            result = _plain(result)
            if isinstance(result, float) and not math.isfinite(result):
                raise ValueError(f"reward returned {result}")
            conn.send(("ok", result))
        except BaseException as exc:  # report, keep serving
            try:
                conn.send(("error", f"{type(exc).__name__}: {exc}"[:500]))
            except Exception:
                return


def serve_fds(read_fd: int, write_fd: int, preload: list[str]) -> None:
    """Run ``main`` over two raw pipe file descriptors (how ``scoring._Worker`` starts us)."""
    from multiprocessing.connection import Connection

    class _Duplex:
        def __init__(self) -> None:
            self.r = Connection(read_fd, writable=False)
            self.w = Connection(write_fd, readable=False)

        def recv(self) -> Any:
            return self.r.recv()

        def send(self, obj: Any) -> None:
            self.w.send(obj)

    main(_Duplex(), preload)
