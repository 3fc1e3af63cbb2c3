"""The CPU platform answers verl's device questions, and verl's gloo backend string is accepted."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lmmr1.verl.cpu_backend.platform import PlatformCPU, _normalise_backend


@pytest.mark.parametrize(
    "given,expected",
    [
        ("cpu:gloo,cpu:gloo", "gloo"),
        ("cpu:gloo,cuda:nccl", "cpu:gloo,cuda:nccl"),
        ("gloo", "gloo"),
        (None, None),
    ],
)
def test_backend_string_normalisation(given, expected):
    assert _normalise_backend(given) == expected


def test_platform_reports_cpu_and_gloo():
    platform = PlatformCPU()
    assert platform.device_name == "cpu"
    assert platform.communication_backend_name() == "gloo"
    module = platform.device_module
    assert module.device_count() == 1 and module.is_available()
    free, total = module.mem_get_info()
    assert 0 < free <= total
    assert module.memory_allocated() > 0  # process RSS, so memory logs stay meaningful
    state = module.get_rng_state()
    module.manual_seed(3)
    module.set_rng_state(state)


@pytest.mark.slow  # a fresh interpreter imports verl and validates (~13 s)
def test_verl_resolves_the_cpu_platform_and_inits_gloo_in_a_fresh_process():
    """What a Ray worker does: import verl with the CPU env, then init the process group verl's way."""
    code = (
        "import os, verl\n"
        "from verl.utils.device import get_device_name, get_nccl_backend\n"
        "from verl.utils.distributed import initialize_global_process_group_ray\n"
        "assert get_device_name() == 'cpu', get_device_name()\n"
        "initialize_global_process_group_ray(timeout_second=60)\n"
        "import torch.distributed as d\n"
        "t = __import__('torch').ones(2); d.all_reduce(t)\n"
        "print('BACKEND', d.get_backend(), float(t.sum()))\n"
    )
    env = dict(
        os.environ,
        VERL_USE_EXTERNAL_MODULES="lmmr1.verl.cpu_backend",
        VERL_PLATFORM="cpu",
        RANK="0",
        WORLD_SIZE="1",
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT="29561",
        LOCAL_RANK="0",
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "BACKEND gloo 2.0" in out.stdout


def test_hf_rollout_is_registered_with_verl():
    from verl.workers.rollout.base import get_rollout_class
    from verl.workers.rollout.replica import get_rollout_replica_class

    import lmmr1.verl.cpu_backend  # noqa: F401
    from lmmr1.verl.cpu_backend.rollout import HFReplica, HFServerAdapter

    assert get_rollout_class("hf", "async") is HFServerAdapter
    assert get_rollout_replica_class("hf") is HFReplica
