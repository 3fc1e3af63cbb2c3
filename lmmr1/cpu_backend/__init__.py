"""CPU backend for verl: a ``cpu`` platform plus an HF-``generate`` rollout (``rollout.name=hf``).

Loaded only for runs without GPUs: lmmr1 puts ``VERL_USE_EXTERNAL_MODULES=lmmr1.cpu_backend`` and
``VERL_PLATFORM=cpu`` into the Ray job's environment, so every verl process (driver, TaskRunner,
trainer workers, rollout servers) imports this package when it imports verl. On a GPU cluster none of
it is imported.
"""

from lmmr1.cpu_backend.platform import PlatformCPU, install_process_group_shim
from lmmr1.cpu_backend.rollout import ROLLOUT_NAME, register as _register_rollout

install_process_group_shim()
_register_rollout()

# Environment a CPU run needs in every Ray process (see VERL_ON_CPU facts in the README).
RUNTIME_ENV_VARS: dict[str, str] = {
    "VERL_USE_EXTERNAL_MODULES": "lmmr1.cpu_backend",
    "VERL_PLATFORM": "cpu",
    # verl registers its FSDP engine for cuda/npu only; this is verl's own override for the lookup.
    "VERL_ENGINE_DEVICE": "cuda",
    "TOKENIZERS_PARALLELISM": "false",
}

__all__ = ["PlatformCPU", "ROLLOUT_NAME", "RUNTIME_ENV_VARS"]
