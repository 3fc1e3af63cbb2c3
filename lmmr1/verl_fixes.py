"""Compatibility fixes for verl 0.9.1 running on transformers 5.x, loaded into every verl process.

lmmr1 puts this module into ``VERL_USE_EXTERNAL_MODULES`` for every run (CPU and GPU), so verl imports
it in the driver, the TaskRunner and all workers. Each fix is narrow, guarded, and says which verl
code it serves; none edits verl.

* Text-only rows with a Qwen2-VL/Qwen2.5-VL model (FRE-Text trains Qwen2.5-VL on text): verl's
  ``models/transformers/qwen2_vl.py::_get_input_embeds`` runs the vision tower on a dummy image and
  adds ``0.0 * image_embeds.mean()`` so every rank touches the vision weights. In transformers 5 the
  tower returns a ``BaseModelOutputWithPooling`` instead of a tensor, so that line raises
  ``AttributeError: ... has no attribute 'mean'`` (verl unpacks the output everywhere else). Giving the
  output a ``mean()`` of its pooled image embeddings (exactly the tensor transformers 4 returned)
  restores the intended behaviour.
"""

from __future__ import annotations

from typing import Any


def _pooled_mean(self: Any, *args: Any, **kwargs: Any) -> Any:
    return self.pooler_output.mean(*args, **kwargs)


def apply() -> None:
    """Install the fixes (idempotent; no-op where not needed)."""
    try:
        from transformers.modeling_outputs import BaseModelOutputWithPooling
    except ImportError:  # pragma: no cover - transformers is a verl dependency
        return
    if not hasattr(BaseModelOutputWithPooling, "mean"):
        BaseModelOutputWithPooling.mean = _pooled_mean  # type: ignore[attr-defined]


apply()
