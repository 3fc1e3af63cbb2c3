"""How many GPUs a run can use, and the environment a CPU-only run needs.

Kept free of torch/verl imports at module level: the launcher asks these questions before anything
heavy starts, and a dry run must work on any machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Optional

# Set in every Ray process of a CPU run (never on GPU runs): load lmmr1's CPU platform and HF rollout
# into verl, select the platform, and use verl's own override for the FSDP engine lookup.
# Loaded into every verl process of every run (see lmmr1/verl/fixes.py).
VERL_FIXES_MODULE = "lmmr1.verl.fixes"
# set (to "1") in the Ray workers' environment when a stage uses a turn-level estimator (gigpo, turn_gae): verl's
# trainer then gets lmmr1.verl.turn_credit_hook
TURN_CREDIT_ENV = "LMMR1_TURN_CREDIT"
# set (to "1") when a stage sets algorithm.overlong_filter: verl's trainer then gets lmmr1.verl.overlong_filter
OVERLONG_FILTER_ENV = "LMMR1_OVERLONG_FILTER"
# set (to "1") when the run logs tokens (log_tokens > 0): verl's trainer then gets lmmr1.verl.token_log
TOKEN_LOG_ENV = "LMMR1_TOKEN_LOG"

CPU_RUNTIME_ENV: dict[str, str] = {
    "VERL_USE_EXTERNAL_MODULES": f"{VERL_FIXES_MODULE},lmmr1.verl.cpu_backend",
    "VERL_PLATFORM": "cpu",
    "VERL_ENGINE_DEVICE": "cuda",
    "TOKENIZERS_PARALLELISM": "false",
    "RAY_DEDUP_LOGS": "1",
}


# Added for CPU runs with vLLM's CPU build (scale=cpu_vllm); a value in the launching shell wins.
# VLLM_CPU_KVCACHE_SPACE: GiB of KV cache per engine (vLLM's default is sized for big hosts);
# VLLM_CPU_OMP_THREADS_BIND=auto: vLLM binds its OpenMP threads to the cores it picks.
CPU_VLLM_RUNTIME_ENV: dict[str, str] = {"VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_CPU_OMP_THREADS_BIND": "auto"}


def cpu_vllm_env() -> dict[str, str]:
    """:data:`CPU_VLLM_RUNTIME_ENV` with the launching shell's own values where it sets them."""
    return {key: os.environ.get(key, value) for key, value in CPU_VLLM_RUNTIME_ENV.items()}


def local_gpu_count() -> int:
    """GPUs visible to this process (CUDA_VISIBLE_DEVICES honoured), without importing torch if possible."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in ("", "-1"):
        return 0
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return 0
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return 0
    if out.returncode != 0:
        return 0
    count = sum(1 for line in out.stdout.splitlines() if line.startswith("GPU "))
    if visible:
        count = min(count, len([v for v in visible.split(",") if v.strip()]))
    return count


def cluster_gpu_count(address: str) -> int:
    """GPUs in the Ray cluster at ``address`` (connects as a client, then disconnects)."""
    import ray

    from lmmr1.run.cluster import connect

    already = ray.is_initialized()
    if not already:
        connect(address, logging_level="ERROR", log_to_driver=False)
    try:
        return int(ray.cluster_resources().get("GPU", 0))
    finally:
        if not already:
            ray.shutdown()


def visible_gpus(ray_address: Optional[str]) -> tuple[int, str]:
    """(count, where it was read) for the scale choice and the GPU-availability check."""
    if ray_address:
        return cluster_gpu_count(ray_address), f"Ray cluster at {ray_address}"
    return local_gpu_count(), "this machine"
