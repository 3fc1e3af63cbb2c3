"""CPU backend for verl: a ``cpu`` platform plus an HF-``generate`` rollout (``rollout.name=hf``).

Loaded only for runs without GPUs: lmmr1 puts ``VERL_USE_EXTERNAL_MODULES=lmmr1.verl.cpu_backend`` and
``VERL_PLATFORM=cpu`` into the Ray job's environment, so every verl process (driver, TaskRunner,
trainer workers, rollout servers) imports this package when it imports verl. On a GPU cluster none of
it is imported.
"""

from lmmr1.verl import data_compat as verl_compat
from lmmr1.verl.cpu_backend.platform import PlatformCPU, install_pin_memory_shim, install_process_group_shim
from lmmr1.verl.cpu_backend.rollout import ROLLOUT_NAME
from lmmr1.verl.cpu_backend.rollout import register as _register_rollout

install_process_group_shim()
install_pin_memory_shim()
_register_rollout()
verl_compat.apply()  # image rows without torchvision (qwen_vl_utils import, image-only video processor)

__all__ = ["PlatformCPU", "ROLLOUT_NAME"]
