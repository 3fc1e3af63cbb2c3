"""A vLLM plug-in that lets verl update the weights of vLLM's CPU build (``scale=cpu_vllm``).

vLLM 0.24's CPU platform, after loading a model, prepares every linear layer for oneDNN and then replaces
the layer's weight with an empty tensor (``dispatch_cpu_unquantized_gemm(layer, remove_weight=True)`` in
``vllm/model_executor/layers/utils.py``, called from ``UnquantizedLinearMethod.process_weights_after_loading``);
the language-model head keeps its weight but computes with a copy packed at load time. verl's rollout
copies the trainer's weights into vLLM after every step: the first copy fails ("Attempted to load weight
(torch.Size([64, 64])) into parameter (torch.Size([0]))") and the trainer then waits forever; had it worked,
the head would still have computed with the weights it loaded.

The fix keeps each 2-D weight and computes ``torch.nn.functional.linear`` with the layer's weight as it is
at call time, so what verl writes is what generates. ``linear.py`` and ``vocab_parallel_embedding.py`` look
the function up in ``vllm.model_executor.layers.utils`` when they call it, so replacing it there is enough.
Speed is not the point on CPU: tiny models, and a rollout that must match the trainer.

vLLM runs every ``vllm.general_plugins`` entry point (lmmr1 declares :func:`register`) in its engine and
worker processes. On any platform other than vLLM's CPU build this does nothing, so a GPU cluster with
lmmr1 installed is unaffected. The versions it was written for are in :mod:`lmmr1.verl.patches`
(``vllm_cpu_keep_linear_weights``); ``tests/verl/test_vllm_cpu.py`` holds the upstream test.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("lmmr1")

PATCH_NAME = "vllm_cpu_keep_linear_weights"
_MARK = "_lmmr1_keeps_weights"


def keep_weights(original: Callable[..., None]) -> Callable[..., None]:
    """``dispatch_cpu_unquantized_gemm`` that keeps a linear layer's weight and computes with it as it is."""
    import torch

    if getattr(original, _MARK, False):
        return original

    def dispatch(layer: torch.nn.Module, remove_weight: bool) -> None:
        weight = getattr(layer, "weight", None)
        if weight is None or weight.is_meta or weight.ndim != 2:
            original(layer, remove_weight)  # missing layers and convolutions: vLLM's own handling
            return
        layer.cpu_linear = _linear

    setattr(dispatch, _MARK, True)
    dispatch.__wrapped__ = original  # type: ignore[attr-defined]
    return dispatch


def _linear(x: Any, weight: Any, bias: Any) -> Any:
    import torch

    return torch.nn.functional.linear(x, weight, bias)


def register() -> None:
    """vLLM's ``vllm.general_plugins`` entry point: apply the fix on vLLM's CPU platform only (idempotent)."""
    from vllm.platforms import current_platform

    if not current_platform.is_cpu():
        return
    from vllm.model_executor.layers import utils

    from lmmr1.verl.patches import check

    check(PATCH_NAME)
    if not hasattr(utils, "dispatch_cpu_unquantized_gemm"):
        logger.warning(
            "lmmr1 patch '%s': vllm.model_executor.layers.utils has no dispatch_cpu_unquantized_gemm; not applied",
            PATCH_NAME,
        )
        return
    utils.dispatch_cpu_unquantized_gemm = keep_weights(utils.dispatch_cpu_unquantized_gemm)
