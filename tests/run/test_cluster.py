"""lmmr1.run.cluster without a real cluster: token discovery, the placement check and its wording, the waiting
notice, and the scale chosen for 1-7 GPUs (issue 21). The two-node runs are in test_cluster_nodes.py."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lmmr1.run import cluster
from lmmr1.run.cluster import ClusterError, NodeOffer, PlacementDemand, placement_shortfall


def test_a_token_is_found_where_ray_looks_for_it(tmp_path, monkeypatch):
    for key in ("RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_AUTH_MODE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cluster.token_source() is None
    (tmp_path / ".ray").mkdir()
    (tmp_path / ".ray" / "auth_token").write_text("abc")
    assert cluster.token_source() == str(tmp_path / ".ray" / "auth_token")
    monkeypatch.setenv("RAY_AUTH_TOKEN_PATH", str(tmp_path / "missing"))
    assert cluster.token_source() is None  # an explicit path that does not exist is not silently replaced
    monkeypatch.setenv("RAY_AUTH_TOKEN", "xyz")
    assert cluster.token_source() == "$RAY_AUTH_TOKEN"


def test_token_mode_is_switched_on_only_when_the_user_left_it_unset(tmp_path):
    code = (
        "import os; from lmmr1.run.cluster import prepare_token_auth; "
        "print(prepare_token_auth(), os.environ.get('RAY_AUTH_MODE'))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    with_token = dict(env, RAY_AUTH_TOKEN="t")
    out = subprocess.run([sys.executable, "-c", code], env=with_token, capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["$RAY_AUTH_TOKEN", "token"], out.stderr
    chosen = dict(with_token, RAY_AUTH_MODE="disabled")
    out = subprocess.run([sys.executable, "-c", code], env=chosen, capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["None", "disabled"], out.stderr


def _node(name: str, gpu: float, cpu: float) -> NodeOffer:
    return NodeOffer(name * 8, "10.0.0." + name, {"GPU": gpu, "CPU": cpu})


def test_the_shortfall_names_what_each_node_offers_and_the_setting_that_sizes_it():
    demand = PlacementDemand(nnodes=2, gpus_per_node=1, cpus_per_gpu=3)
    assert placement_shortfall(demand, [_node("1", 1, 8), _node("2", 1, 8)]) is None
    text = placement_shortfall(demand, [_node("1", 1, 2), _node("2", 1, 2)])
    assert "needs 2 worker group(s) of 1 GPU and 3 CPU" in text and "the 2 node(s) can hold 0" in text
    assert "10.0.0.1" in text and "2 CPU" in text and "scale.nnodes" in text and "ray.wait_for_resources" in text
    # resources split across two nodes do not hold one group: verl packs a group's workers on one node
    two_per_node = PlacementDemand(nnodes=1, gpus_per_node=2, cpus_per_gpu=3)
    assert placement_shortfall(two_per_node, [_node("1", 1, 8), _node("2", 1, 8)]) is not None
    # one large node holds several groups (a local Ray with scale.nnodes=2 runs on one machine)
    assert placement_shortfall(demand, [_node("1", 2, 16)]) is None


def test_waiting_is_said_instead_of_failing_when_asked(monkeypatch, capsys):
    from omegaconf import OmegaConf

    monkeypatch.setattr(cluster, "node_offers", lambda: [_node("1", 0, 2)])
    monkeypatch.setattr(cluster, "verl_cpus_per_gpu", lambda sft=False: 3)
    cfg = OmegaConf.create({"trainer": {"nnodes": 1, "n_gpus_per_node": 1}})
    with pytest.raises(ClusterError, match="stage s: the stage needs 1 worker group"):
        cluster.check_placement(cfg, "s", wait=False)
    cluster.check_placement(cfg, "s", wait=True)
    assert "waiting for resources (ray.wait_for_resources=true)" in capsys.readouterr().err


def test_verl_still_reserves_three_cpus_per_gpu_worker_and_ten_for_sft():
    """The demand lmmr1 checks is read from verl's own defaults; this pins the figures the docs state."""
    from omegaconf import OmegaConf

    assert cluster.verl_cpus_per_gpu() == 3 and cluster.verl_cpus_per_gpu(sft=True) == 10
    sft = OmegaConf.create({"engine": {}, "trainer": {"nnodes": 1, "n_gpus_per_node": 2}})
    assert cluster.demand_of(sft).per_node() == {"GPU": 2, "CPU": 20}


@pytest.mark.slow  # a local Ray (~10 s)
def test_a_placement_ray_cannot_make_is_named(tmp_path):
    code = """
import ray
from ray.util import placement_group
from lmmr1.run.cluster import PendingPlacementWatch
ray.init(num_cpus=2, num_gpus=0, include_dashboard=False, logging_level="ERROR")
pg = placement_group([{"CPU": 1, "GPU": 1}], name="needs_a_gpu")
import time; time.sleep(1)
print(PendingPlacementWatch.pending_line())
ray.shutdown()
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "waiting for Ray to place needs_a_gpu (1 x {CPU: 1, GPU: 1})" in out.stdout, out.stdout
    assert "free now:" in out.stdout


@pytest.mark.parametrize("gpus,scale", [(0, "smoke"), (1, "gpu1"), (7, "gpu1"), (8, "paper"), (16, "paper")])
def test_auto_scale_follows_the_gpus_it_sees(monkeypatch, gpus, scale):
    from omegaconf import OmegaConf

    import lmmr1.run.devices
    from lmmr1.main import _auto_overrides

    monkeypatch.setattr(lmmr1.run.devices, "visible_gpus", lambda address: (gpus, "this machine"))
    cfg = OmegaConf.create(
        {
            "scale": {"name": "auto"},
            "model": {"name": "x"},
            "data": {"name": "x"},
            "ray": {"address": None},
            "recipe": {"smoke_model": "a", "paper_model": "b"},
        }
    )
    extra, note = _auto_overrides(cfg)
    assert extra == [f"scale={scale}"]
    assert (f"scale={scale}" in note) and (("needs 8" in note) == (scale == "gpu1"))
