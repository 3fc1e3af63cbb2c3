"""A verl platform for machines without an accelerator.

verl 0.9 resolves every device question (device name, RNG, memory, process-group backend, Ray
resource) through ``verl.plugin.platform``. Registering a ``cpu`` platform there and selecting it with
``VERL_PLATFORM=cpu`` is verl's own extension point for new hardware; nothing in verl is edited.

Two facts shape this module (see the README's "CPU backend" section):

* verl builds its process-group backend as ``"cpu:gloo,{device}:{backend}"``; with device ``cpu`` that
  string names ``cpu`` twice and torch rejects it. :func:`_normalise_backend` makes torch accept it by
  collapsing duplicate device entries (here: plain ``gloo``). This wraps torch, not verl.
* verl's reference policy uses FSDP2 CPU offload with pinned memory; pinning needs an accelerator, so
  :func:`install_pin_memory_shim` makes it a no-op on CPU-only hosts (again a torch wrapper).
* Trainer workers ask the device module for memory figures, RNG state and streams; ``torch.cpu`` lacks
  several of those, so :class:`CPUDeviceModule` answers with CPU values.
"""

from __future__ import annotations

import contextlib
import functools
import os
from types import ModuleType
from typing import Any, Optional

import torch
import torch.distributed
from verl.plugin.platform import PlatformBase, PlatformRegistry

from lmmr1.verl.patches import check


class CPUDeviceModule(ModuleType):
    """Stands in for ``torch.cuda`` on a CPU host: memory, RNG and stream calls get CPU answers."""

    def __init__(self) -> None:
        super().__init__("lmmr1_cpu_device")

    # availability / placement
    def is_available(self) -> bool:
        return True

    def device_count(self) -> int:
        return 1

    def current_device(self) -> str:
        return "cpu"

    def set_device(self, device: Any) -> None:
        return None

    def synchronize(self, device: Any = None) -> None:
        return None

    def get_device_name(self, device: Any = None) -> str:
        return "cpu"

    # memory: report process RSS and host memory, so verl's memory logs stay meaningful
    def _rss(self) -> int:
        try:
            import psutil

            return int(psutil.Process(os.getpid()).memory_info().rss)
        except Exception:  # psutil is a verl dependency; be safe anyway
            return 0

    def memory_allocated(self, device: Any = None) -> int:
        return self._rss()

    def memory_reserved(self, device: Any = None) -> int:
        return self._rss()

    def max_memory_allocated(self, device: Any = None) -> int:
        return self._rss()

    def max_memory_reserved(self, device: Any = None) -> int:
        return self._rss()

    def reset_peak_memory_stats(self, device: Any = None) -> None:
        return None

    def empty_cache(self) -> None:
        return None

    def mem_get_info(self, device: Any = None) -> tuple[int, int]:
        import psutil

        vm = psutil.virtual_memory()
        return int(vm.available), int(vm.total)

    def memory_stats(self, device: Any = None) -> dict[str, int]:
        return {}

    # RNG
    def manual_seed(self, seed: int) -> None:
        torch.manual_seed(seed)

    def manual_seed_all(self, seed: int) -> None:
        torch.manual_seed(seed)

    def get_rng_state(self, device: Any = None) -> torch.Tensor:
        return torch.get_rng_state()

    def set_rng_state(self, state: torch.Tensor, device: Any = None) -> None:
        torch.set_rng_state(state)

    def get_rng_state_all(self) -> list[torch.Tensor]:
        return [torch.get_rng_state()]

    def set_rng_state_all(self, states: list[torch.Tensor]) -> None:
        if states:
            torch.set_rng_state(states[0])

    # streams/events are no-ops on CPU
    def current_stream(self, device: Any = None) -> Any:
        return torch.cpu.current_stream()

    def stream(self, stream: Any = None) -> Any:
        return contextlib.nullcontext()

    def __getattr__(self, name: str) -> Any:
        # Anything else: whatever torch.cpu offers (Stream, Event, is_bf16_supported ...).
        if hasattr(torch.cpu, name):
            return getattr(torch.cpu, name)
        raise AttributeError(f"the CPU device module has no '{name}' (asked by verl on a CPU-only run)")


_DEVICE_MODULE = CPUDeviceModule()


def _normalise_backend(backend: Optional[str]) -> Optional[str]:
    """``"cpu:gloo,cpu:gloo"`` -> ``"gloo"``; other strings are returned unchanged."""
    if not backend or "," not in backend:
        return backend
    pairs = [part.split(":", 1) for part in backend.split(",") if part]
    by_device: dict[str, str] = {}
    for pair in pairs:
        if len(pair) != 2:
            return backend
        by_device.setdefault(pair[0].strip(), pair[1].strip())
    if set(by_device) == {"cpu"}:
        return by_device["cpu"]
    return ",".join(f"{device}:{name}" for device, name in by_device.items())


def install_process_group_shim() -> None:
    """Wrap ``torch.distributed.init_process_group`` so verl's CPU backend string is accepted."""
    original = torch.distributed.init_process_group
    if getattr(original, "_lmmr1_cpu_shim", False):
        return
    check("process_group_backend_string")

    @functools.wraps(original)
    def init_process_group(*args: Any, **kwargs: Any) -> Any:
        if "backend" in kwargs:
            kwargs["backend"] = _normalise_backend(kwargs["backend"])
        elif args:
            args = (_normalise_backend(args[0]), *args[1:])
        return original(*args, **kwargs)

    init_process_group._lmmr1_cpu_shim = True  # type: ignore[attr-defined]
    torch.distributed.init_process_group = init_process_group


def install_pin_memory_shim() -> None:
    """Make ``Tensor.pin_memory()`` a no-op when the host has no accelerator.

    verl shards its reference policy with FSDP2's ``CPUOffloadPolicy(pin_memory=True)``; pinning asks
    the accelerator driver for page-locked memory and fails on a CPU-only host ("Cannot access
    accelerator device"). Pinned memory only speeds host-to-device copies, which a CPU run never makes,
    so returning the tensor unchanged is exact.
    """
    original = torch.Tensor.pin_memory
    if getattr(original, "_lmmr1_cpu_shim", False):
        return
    if torch.cuda.is_available():
        return
    check("pin_memory_noop")

    @functools.wraps(original)
    def pin_memory(self: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        return self

    pin_memory._lmmr1_cpu_shim = True  # type: ignore[attr-defined]
    torch.Tensor.pin_memory = pin_memory  # type: ignore[method-assign]


@PlatformRegistry.register(platform="cpu")
class PlatformCPU(PlatformBase):
    """verl platform whose device is the host CPU; collectives run on gloo.

    Ray resources: a CPU host declares *logical* GPUs when lmmr1 starts Ray for a CPU run, so verl's
    resource pools (which count GPUs) can be placed; each "GPU" is just a slot for one worker.
    """

    @property
    def device_name(self) -> str:
        return "cpu"

    @property
    def vendor_name(self) -> str:
        return "cpu"

    @property
    def device_module(self) -> ModuleType:
        return _DEVICE_MODULE

    def is_available(self) -> bool:
        return True

    def is_platform_available(self, use_smi_check: bool = False) -> bool:
        return True

    def current_device(self) -> str:  # type: ignore[override]
        return "cpu"

    def device_count(self) -> int:
        return 1

    def set_device(self, device_index: int) -> None:
        return None

    def synchronize(self, device_index: Optional[int] = None) -> None:
        return None

    def manual_seed(self, seed: int) -> None:
        torch.manual_seed(seed)

    def manual_seed_all(self, seed: int) -> None:
        torch.manual_seed(seed)

    def set_allocator_settings(self, settings: str) -> None:
        return None

    def empty_cache(self) -> None:
        return None

    def get_device_capability(self, device_index: int = 0) -> tuple[Optional[int], Optional[int]]:
        return None, None

    def communication_backend_name(self) -> str:
        return "gloo"

    def visible_devices_envvar(self) -> str:
        return "CUDA_VISIBLE_DEVICES"

    @contextlib.contextmanager
    def nvtx_range(self, msg: str):  # type: ignore[override]
        yield

    def profiler_start(self) -> None:
        return None

    def profiler_stop(self) -> None:
        return None

    def ray_resource_name(self) -> str:
        return "GPU"

    def ray_noset_envvars(self) -> list[str]:
        return []

    def ray_resource_options(self, num_gpus: float) -> dict[str, Any]:
        return {"num_gpus": num_gpus}

    def is_ipc_supported(self) -> bool:
        return False

    def rollout_env_vars(self) -> dict[str, str]:
        return {}

    def get_collective_module(self) -> Any:
        return None

    def cudart(self) -> Any:
        return None
