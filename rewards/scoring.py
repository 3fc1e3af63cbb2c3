"""Scoring with a hard per-pair time limit, shared by ``lmmr1 score`` and the verl adapter.

Why a process pool: a thread cannot be stopped and ``signal.alarm`` only works in a main thread, so
neither works inside verl's Ray reward workers (which call rewards from executor threads). Each worker
here is a process that the parent kills when a pair exceeds its limit (or when it crashes) and replaces
with a fresh one; the pair scores 0 with a reason and the batch goes on, in order.

Most pairs never reach the pool: a reward may expose ``fast_path(...)`` (same signature, returns the
result, or None when it needs slow work). The built-ins decide almost every pair there in-process, in
microseconds and with bounded work, so the pool (whose workers take ~0.5 s to start) is started only on
the first pair that needs it.

Results are dicts: ``score`` (float), the reward's numeric components, ``timeout`` (0/1) and, when the
pair could not be scored, ``error`` (a reason).
"""

from __future__ import annotations

import atexit
import math
import os
import pickle
import queue
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from . import get_reward
from .contract import contract_of

DEFAULT_TIMEOUT_S = 2.0
# Longer responses skip the in-process fast path and go straight to the time-limited pool: the fast
# paths are linear, but a limit on what runs unguarded in the caller's thread is cheap insurance.
FAST_PATH_MAX_CHARS = 64_000
WORKER_START_TIMEOUT_S = 120.0
PRELOAD = ["lmmr1.rewards.math", "sympy"]


# ------------------------------------------------------------------------------------------------
# which reward for which row
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RewardChoice:
    name: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class ScoringPlan:
    """How a scorer rewards a run's rows: a default reward plus optional per-``data_source`` overrides (mixed
    datasets). The worker-side form of the stage's ``reward`` settings (:class:`lmmr1.config.RewardSpec`)."""

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    by_source: dict[str, RewardChoice] = field(default_factory=dict)
    timeout_s: float = DEFAULT_TIMEOUT_S

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any] | str) -> ScoringPlan:
        """From the ``lmmr1_reward`` dict the verl bridge writes (or a bare reward name)."""
        if isinstance(spec, str):
            return cls(name=spec)
        spec = _plain_mapping(spec)
        unknown = set(spec) - {"name", "kwargs", "by_source", "timeout_s"}
        if unknown:
            raise ValueError(
                f"lmmr1_reward: unknown keys {sorted(unknown)}; expected name, kwargs, by_source, timeout_s"
            )
        if not spec.get("name"):
            raise ValueError("lmmr1_reward: 'name' (the default reward) is required")
        by_source = {}
        for source, choice in (spec.get("by_source") or {}).items():
            if isinstance(choice, str):
                choice = {"name": choice}
            if not choice.get("name"):
                raise ValueError(f"lmmr1_reward.by_source.{source}: 'name' is required")
            by_source[str(source)] = RewardChoice(choice["name"], dict(choice.get("kwargs") or {}))
        timeout = spec.get("timeout_s")
        return cls(
            name=spec["name"],
            kwargs=dict(spec.get("kwargs") or {}),
            by_source=by_source,
            timeout_s=float(DEFAULT_TIMEOUT_S if timeout is None else timeout),
        )

    def choose(self, data_source: Any) -> RewardChoice:
        choice = self.by_source.get(str(data_source)) if data_source is not None else None
        return choice or RewardChoice(self.name, self.kwargs)

    def names(self) -> list[str]:
        return sorted({self.name, *(c.name for c in self.by_source.values())})


def _plain_mapping(obj: Any) -> Any:
    """OmegaConf containers (and other mappings) -> plain dicts/lists, without importing omegaconf."""
    if isinstance(obj, Mapping) or (hasattr(obj, "items") and hasattr(obj, "keys")):
        return {str(k): _plain_mapping(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)) or type(obj).__name__ == "ListConfig":
        return [_plain_mapping(v) for v in obj]
    return obj


# ------------------------------------------------------------------------------------------------
# worker pool
# ------------------------------------------------------------------------------------------------
class _Worker:
    """One worker: a fresh interpreter (``python -c``) talking over two private pipes.

    A plain subprocess rather than ``multiprocessing.Process``: spawn/forkserver re-import the parent's
    ``__main__`` (a user's script, Ray's worker entry) and fork is unsafe in threaded parents; this needs
    neither. The worker's stdout goes to stderr, so a printing reward cannot corrupt ``lmmr1 score``.
    """

    def __init__(self) -> None:
        from multiprocessing.connection import Connection

        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        code = (
            "import sys; sys.stdout = sys.stderr; from lmmr1.rewards._worker import serve_fds; "
            f"serve_fds({to_child_r}, {from_child_w}, {PRELOAD!r})"
        )
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", code],
                pass_fds=(to_child_r, from_child_w),
                stdin=subprocess.DEVNULL,
                stdout=sys.stderr.fileno() if _has_fileno(sys.stderr) else None,
                close_fds=True,
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.send_conn = Connection(to_child_w, readable=False)
        self.conn = Connection(from_child_r, writable=False)
        self.ready = False

    def is_alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, obj: Any) -> None:
        self.send_conn.send(obj)

    def send_bytes(self, data: bytes) -> None:
        """An already pickled object (``Connection.send`` is ``send_bytes(pickle.dumps(obj))``)."""
        self.send_conn.send_bytes(data)

    def wait_ready(self, timeout: float) -> None:
        if self.ready:
            return
        if not self.conn.poll(timeout):
            raise TimeoutError("reward worker did not start in time")
        tag, _ = self.conn.recv()
        if tag != "ready":
            raise RuntimeError("reward worker sent an unexpected greeting")
        self.ready = True

    def kill(self) -> None:
        for conn in (self.send_conn, self.conn):
            try:
                conn.close()
            except Exception:
                pass
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


def _has_fileno(stream: Any) -> bool:
    try:
        stream.fileno()
        return True
    except Exception:
        return False


class WorkerPool:
    """``size`` killable worker processes; ``run`` is thread-safe and blocks for a free worker."""

    def __init__(self, size: int = 2) -> None:
        self.size = max(1, int(size))
        self._slots: queue.Queue[int] = queue.Queue()
        self._workers: list[_Worker | None] = [None] * self.size
        for i in range(self.size):
            self._slots.put(i)
        self._closed = False
        self.replaced = 0
        self._finalizer = weakref.finalize(self, WorkerPool._shutdown, self._workers)

    def warm_up(self) -> None:
        """Start every worker now (in parallel) instead of on first use."""
        for i in range(self.size):
            if self._workers[i] is None:
                self._workers[i] = _Worker()
        for w in self._workers:
            if w is not None:
                w.wait_ready(WORKER_START_TIMEOUT_S)

    def run(self, name: str, kwargs: dict, args: tuple, timeout_s: float) -> tuple[str, Any]:
        """("ok", result) | ("error", reason) | ("timeout", reason)."""
        if self._closed:
            raise RuntimeError("worker pool is closed")
        slot = self._slots.get()
        try:
            worker = self._workers[slot]
            try:
                if worker is None or not worker.is_alive():
                    if worker is not None:
                        worker.kill()
                        self.replaced += 1
                    worker = self._workers[slot] = _Worker()
                worker.wait_ready(WORKER_START_TIMEOUT_S)
            except Exception as exc:  # could not start (fd limit, broken install): this row fails, not the run
                self._replace(slot)
                return "error", f"could not start a reward worker: {type(exc).__name__}: {exc}"
            try:
                payload = pickle.dumps((name, kwargs, args), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:  # the row cannot travel to a worker; the worker itself is fine
                return "error", f"row cannot be sent to a worker (not picklable): {type(exc).__name__}: {exc}"
            try:
                worker.send_bytes(payload)
            except Exception as exc:
                self._replace(slot)
                return "error", f"could not send the pair to a worker: {type(exc).__name__}: {exc}"
            if not worker.conn.poll(timeout_s):
                self._replace(slot)
                return "timeout", f"timed out after {timeout_s:g}s"
            try:
                return worker.conn.recv()
            except (EOFError, OSError):
                self._replace(slot)
                return "error", "reward worker crashed"
        finally:
            self._slots.put(slot)

    def _replace(self, slot: int) -> None:
        worker = self._workers[slot]
        if worker is not None:
            worker.kill()
        self._workers[slot] = None  # restarted lazily on next use
        self.replaced += 1

    def pids(self) -> list[int]:
        return [w.proc.pid for w in self._workers if w is not None and w.is_alive()]

    def close(self) -> None:
        self._closed = True
        self._finalizer()

    @staticmethod
    def _shutdown(workers: list[_Worker | None]) -> None:
        for i, w in enumerate(workers):
            if w is not None:
                try:
                    w.send(None)
                except Exception:
                    pass
                w.kill()
                workers[i] = None


# ------------------------------------------------------------------------------------------------
# scorer
# ------------------------------------------------------------------------------------------------
def _fast_path_for(fn: Callable[..., Any], response: Any) -> Callable[..., Any] | None:
    fast = contract_of(fn).fast_path
    if fast is None or (isinstance(response, str) and len(response) > FAST_PATH_MAX_CHARS):
        return None
    return fast


class Scorer:
    """Score (data_source, response, ground_truth, extra_info) items with ``spec``'s rewards."""

    def __init__(
        self, spec: ScoringPlan | Mapping[str, Any] | str, workers: int = 2, timeout_s: float | None = None
    ) -> None:
        self.spec = spec if isinstance(spec, ScoringPlan) else ScoringPlan.from_dict(spec)
        if timeout_s is not None:
            self.spec.timeout_s = float(timeout_s)
        self.workers = max(1, int(workers))
        self._pool: WorkerPool | None = None
        self._pool_lock = threading.Lock()
        self._fns: dict[str, Callable[..., Any]] = {}
        self._components: dict[str, tuple[str, ...]] = {}
        for name in self.spec.names():  # fail early, with the list of installed rewards
            self._fn(name)

    # rewards and their components
    def _fn(self, name: str) -> Callable[..., Any]:
        fn = self._fns.get(name)
        if fn is None:
            fn = self._fns[name] = get_reward(name)
            self._components[name] = contract_of(fn).components  # type: ignore[assignment]
        return fn

    def _probe_components(self, name: str) -> tuple[str, ...]:
        """Numeric keys a reward without a ``components`` declaration returns, from one probe call.

        The call runs in the time-limited pool with an empty response; a reward that fails on it simply
        gets no logged components (declare ``components`` on the function to avoid the probe).
        """
        kwargs = (
            dict(self.spec.kwargs)
            if name == self.spec.name
            else next((dict(c.kwargs) for c in self.spec.by_source.values() if c.name == name), {})
        )
        status, payload = self.pool.run(name, kwargs, ("lmmr1-probe", "", "", {}), self.spec.timeout_s)
        if status != "ok" or not isinstance(payload, Mapping):
            return ()
        keys = []
        for key, value in payload.items():
            if key in ("score", "error", "timeout") or isinstance(value, (str, bytes)) or value is None:
                continue
            keys.append(str(key))
        return tuple(keys)

    def component_names(self) -> list[str]:
        """Components every result carries (so verl gets the same keys for every row)."""
        names: list[str] = []
        for reward in self.spec.names():
            if self._components.get(reward) is None:
                with _PROBE_LOCK:
                    if self._components.get(reward) is None:
                        self._components[reward] = self._probe_components(reward)
            for c in self._components.get(reward) or ():
                if c not in names:
                    names.append(c)
        return names

    @property
    def pool(self) -> WorkerPool:
        with self._pool_lock:
            if self._pool is None:
                self._pool = WorkerPool(self.workers)
            return self._pool

    # scoring
    def score(self, data_source: Any, solution_str: Any, ground_truth: Any, extra_info: Any = None) -> dict[str, Any]:
        choice = self.spec.choose(data_source)
        fn = self._fn(choice.name)
        kwargs = dict(choice.kwargs)
        args = (data_source, solution_str, ground_truth, extra_info)
        fast = _fast_path_for(fn, solution_str)
        if fast is not None:
            try:
                result = fast(*args, **kwargs)
            except Exception as exc:
                return self.failed(choice.name, f"{type(exc).__name__}: {exc}")
            if result is not None:
                return self._finish(choice.name, result)
        status, payload = self.pool.run(choice.name, kwargs, args, self.spec.timeout_s)
        if status == "ok":
            return self._finish(choice.name, payload)
        return self.failed(choice.name, payload, timeout=status == "timeout")

    def score_many(
        self, items: Iterable[tuple[Any, Any, Any, Any]], on_done: Callable[[int], None] | None = None
    ) -> list[dict[str, Any]]:
        """Score items in input order: fast paths in this thread, the rest on the pool in parallel."""
        items = list(items)
        results: list[dict[str, Any] | None] = [None] * len(items)
        slow: list[int] = []
        for i, (ds, sol, gt, extra) in enumerate(items):
            choice = self.spec.choose(ds)
            try:
                fn = self._fn(choice.name)
            except Exception as exc:
                results[i] = self.failed(choice.name, str(exc))
                if on_done:
                    on_done(1)
                continue
            fast = _fast_path_for(fn, sol)
            if fast is None:
                slow.append(i)
                continue
            try:
                result = fast(ds, sol, gt, extra, **dict(choice.kwargs))
            except Exception as exc:
                results[i] = self.failed(choice.name, f"{type(exc).__name__}: {exc}")
            else:
                if result is None:
                    slow.append(i)
                    continue
                results[i] = self._finish(choice.name, result)
            if on_done:
                on_done(1)
        if slow:

            def work(i: int) -> None:
                ds, sol, gt, extra = items[i]
                choice = self.spec.choose(ds)
                status, payload = self.pool.run(
                    choice.name, dict(choice.kwargs), (ds, sol, gt, extra), self.spec.timeout_s
                )
                if status == "ok":
                    results[i] = self._finish(choice.name, payload)
                else:
                    results[i] = self.failed(choice.name, payload, timeout=status == "timeout")
                if on_done:
                    on_done(1)

            with ThreadPoolExecutor(max_workers=self.workers) as ex:
                list(ex.map(work, slow))
        return results  # type: ignore[return-value]

    def _finish(self, name: str, result: Any) -> dict[str, Any]:
        if isinstance(result, Mapping):
            out = dict(result)
            if "score" not in out:
                return self.failed(name, "reward returned a dict without 'score'")
        else:
            out = {"score": result}
        try:
            out["score"] = float(out["score"])
        except (TypeError, ValueError):
            return self.failed(name, f"reward returned a non-numeric score {out['score']!r}")
        if not math.isfinite(out["score"]):
            return self.failed(name, f"reward returned {out['score']}")
        for c in self.component_names():
            out.setdefault(c, 0.0)
        out.setdefault("timeout", 0)
        return out

    def failed(self, name: str, reason: str, timeout: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"score": 0.0}
        for c in self.component_names():
            out[c] = 0.0
        out["timeout"] = int(timeout)
        out["error"] = reason
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None


_PROBE_LOCK = threading.Lock()
_SCORERS: dict[tuple, Scorer] = {}
_SCORERS_LOCK = threading.Lock()


def shared_scorer(spec: Mapping[str, Any] | str, workers: int = 2) -> Scorer:
    """One scorer per distinct spec per process (verl calls the hook once per row)."""
    key = (repr(sorted(_plain_mapping(spec).items())) if not isinstance(spec, str) else spec, workers)
    with _SCORERS_LOCK:
        scorer = _SCORERS.get(key)
        if scorer is None:
            scorer = _SCORERS[key] = Scorer(spec, workers=workers)
        return scorer


@atexit.register
def _close_all() -> None:
    for scorer in list(_SCORERS.values()):
        try:
            scorer.close()
        except Exception:
            pass


__all__ = ["ScoringPlan", "RewardChoice", "Scorer", "WorkerPool", "shared_scorer", "DEFAULT_TIMEOUT_S"]
