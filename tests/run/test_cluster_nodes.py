"""A real two-node Ray cluster on loopback (``ray start`` x 2, token auth, logical GPUs): lmmr1 joins it and
trains on both nodes; an under-resourced cluster is refused at once, naming the shortfall. Slow; CI runs it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.ray_nodes import loopback_cluster

pytestmark = pytest.mark.slow


def _main(args: list[str], env: dict, cwd: Path, timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lmmr1.main", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout
    )


def _node_ids_of_training_workers(cluster) -> set[str]:
    """Node ids of verl's trainer workers (the colocated WorkerDict actors), from Ray's state API (asked in a
    process of its own, in token mode, as any client of this cluster must)."""
    probe = (
        "import json,sys; from ray.util.state import list_actors; "
        "a = list_actors(address=sys.argv[1], limit=10000, detail=True, raise_on_missing_output=False); "
        "print(json.dumps([[x.class_name, x.node_id] for x in a]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, cluster.dashboard],
        env=dict(cluster.env, RAY_AUTH_MODE="token"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return {node for name, node in json.loads(out.stdout.strip().splitlines()[-1]) if "WorkerDict" in (name or "")}


def test_two_node_cluster_trains_on_both_nodes(tmp_path, lmmr1_env):
    out_dir = tmp_path / "run"
    with loopback_cluster(nodes=2, cpus_per_node=8, gpus_per_node=1) as cluster:
        env = dict(lmmr1_env)
        env = {k: v for k, v in env.items() if not k.startswith("RAY_")}
        env.update(cluster.env)  # the token file only: lmmr1 must switch to token mode by itself
        assert "RAY_AUTH_MODE" not in env
        result = _main(
            [
                "+recipe=sanity",
                "scale=smoke",
                "scale.nnodes=2",
                f"ray.address={cluster.address}",
                "stages.sanity.total_steps=3",
                "stages.sanity.save_freq=3",
                f"output_dir={out_dir}",
            ],
            env,
            tmp_path,
            timeout=1200,
        )
        assert result.returncode == 0, result.stderr[-4000:]
        assert "Traceback" not in result.stderr
        assert f"joining Ray cluster at {cluster.address}" in result.stderr
        nodes = _node_ids_of_training_workers(cluster)
        assert len(nodes) == 2, nodes
    # the run directory is complete
    manifest = json.loads((out_dir / "manifest.json").read_text())
    record = manifest["stages"][0]
    assert record["status"] == "done" and record["steps"] == 3, record
    steps = [json.loads(x)["step"] for x in (out_dir / "metrics.jsonl").read_text().splitlines() if x.strip()]
    assert sorted(set(steps)) == [1, 2, 3]
    assert (out_dir / "sanity" / "final_hf" / "config.json").is_file()
    assert any((out_dir / "logs").iterdir())


def test_under_resourced_cluster_fails_fast_naming_the_shortfall(tmp_path, lmmr1_env):
    """Nodes with 2 free CPUs cannot hold verl's {GPU: 1, CPU: 3} bundle: refused before verl waits forever."""
    with loopback_cluster(nodes=2, cpus_per_node=2, gpus_per_node=1) as cluster:
        env = {k: v for k, v in lmmr1_env.items() if not k.startswith("RAY_")}
        env.update(cluster.env)
        started = time.time()
        result = _main(
            [
                "+recipe=sanity",
                "scale=smoke",
                "scale.nnodes=2",
                f"ray.address={cluster.address}",
                f"output_dir={tmp_path / 'run'}",
            ],
            env,
            tmp_path,
            timeout=300,
        )
        took = time.time() - started
    assert result.returncode != 0
    assert took < 120, took
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    err = result.stderr
    assert "needs 2 worker group(s) of 1 GPU and 3 CPU" in err, err[-2000:]
    assert "the 2 node(s) can hold 0" in err and "scale.nnodes" in err and "2 CPU" in err


def test_driver_without_the_token_is_told_how_to_get_it(tmp_path, lmmr1_env):
    """A driver with no token for a token-auth cluster: one line that says how the token reaches it."""
    with loopback_cluster(nodes=1, cpus_per_node=8, gpus_per_node=1) as cluster:
        env = {k: v for k, v in lmmr1_env.items() if not k.startswith("RAY_")}
        env["HOME"] = str(tmp_path)  # no ~/.ray/auth_token either
        result = _main(
            ["+recipe=sanity", "scale=smoke", f"ray.address={cluster.address}", f"output_dir={tmp_path / 'run'}"],
            env,
            tmp_path,
            timeout=300,
        )
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "RAY_AUTH_TOKEN" in result.stderr and "refused this driver's authentication" in result.stderr
