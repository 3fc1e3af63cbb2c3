"""A real multi-node Ray cluster on loopback for tests: ``ray start`` processes through the example script.

Each node is started by ``examples/cluster/ray_cluster.sh`` (so the script users run is what the test runs),
with a token of the test's own (``RAY_AUTH_TOKEN_PATH``), token authentication as the script sets it, and a
temp folder of the test's own. Stopping kills exactly the processes whose command line names that folder
(never ``ray stop``, which would stop every Ray on the machine).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "examples" / "cluster" / "ray_cluster.sh"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LoopbackCluster:
    address: str
    dashboard: str
    temp_dir: Path
    env: dict[str, str]  # what a driver on this machine needs (the token path; RAY_AUTH_MODE left unset)

    def processes(self) -> list[int]:
        import psutil

        needle = str(self.temp_dir)
        pids = []
        for proc in psutil.process_iter(["pid", "cmdline"]):
            try:
                if any(needle in part for part in proc.info["cmdline"] or []):
                    pids.append(proc.info["pid"])
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return pids

    def stop(self) -> None:
        import psutil

        pids = [p for p in self.processes() if p != os.getpid()]
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        _, alive = psutil.wait_procs([psutil.Process(p) for p in pids if psutil.pid_exists(p)], timeout=15)
        for proc in alive:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass


def _start(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=180)
    if result.returncode != 0:
        raise RuntimeError(
            f"ray_cluster.sh {' '.join(args[:2])} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
        )


@contextmanager
def loopback_cluster(nodes: int = 2, cpus_per_node: int = 8, gpus_per_node: int = 1) -> Iterator[LoopbackCluster]:
    """``nodes`` Ray nodes on 127.0.0.1 (logical GPUs), token auth on; every process stopped afterwards."""
    temp_dir = Path(tempfile.mkdtemp(prefix="lmmr1-ray-", dir="/tmp"))  # short: Ray's socket paths are limited
    token = temp_dir / "auth_token"
    token.write_text(secrets.token_hex(32))
    port, dash = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env.update(RAY_AUTH_TOKEN_PATH=str(token), RAY_PORT=str(port), GPUS_PER_NODE=str(gpus_per_node))
    env["CPUS_PER_NODE"] = str(cpus_per_node)
    cluster = LoopbackCluster(f"127.0.0.1:{port}", f"http://127.0.0.1:{dash}", temp_dir, env)
    common = ["--node-ip-address=127.0.0.1", f"--temp-dir={temp_dir}"]
    try:
        _start(["head", *common, "--include-dashboard=true", f"--dashboard-port={dash}"], env)
        for _ in range(nodes - 1):
            _start(["worker", "127.0.0.1", *common], env)
        _wait_for_nodes(cluster, nodes)
        yield cluster
    finally:
        cluster.stop()


def _wait_for_nodes(cluster: LoopbackCluster, nodes: int, timeout_s: float = 60) -> None:
    """Until the head lists ``nodes`` alive nodes (a joining raylet registers a moment after ray start returns)."""
    probe = (
        "import ray,sys; ray.init(address=sys.argv[1], logging_level='ERROR'); "
        "print(sum(1 for n in ray.nodes() if n['Alive']))"
    )
    env = dict(cluster.env, RAY_AUTH_MODE="token")
    deadline = time.time() + timeout_s
    seen = "?"
    while time.time() < deadline:
        out = subprocess.run(
            [sys.executable, "-c", probe, cluster.address], env=env, capture_output=True, text=True, timeout=120
        )
        seen = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr[-500:]
        if seen == str(nodes):
            return
        time.sleep(2)
    raise RuntimeError(f"the loopback cluster has {seen} alive node(s), expected {nodes}")
