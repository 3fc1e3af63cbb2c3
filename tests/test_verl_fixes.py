"""verl 0.9.1 + transformers 5 compatibility fixes loaded into every verl process."""

from __future__ import annotations

import torch


def test_vision_output_has_the_mean_verl_adds_for_text_only_rows():
    import lmmr1.verl_fixes  # noqa: F401
    from transformers.modeling_outputs import BaseModelOutputWithPooling

    pooled = torch.arange(6.0).reshape(3, 2)
    out = BaseModelOutputWithPooling(last_hidden_state=torch.zeros(4, 2), pooler_output=pooled)
    assert torch.equal(out.mean(), pooled.mean())


def test_every_run_loads_the_fixes_into_verl_processes():
    from lmmr1.devices import CPU_RUNTIME_ENV, VERL_FIXES_MODULE

    assert VERL_FIXES_MODULE in CPU_RUNTIME_ENV["VERL_USE_EXTERNAL_MODULES"].split(",")
