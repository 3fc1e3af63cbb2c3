"""verl 0.9.1 + transformers 5 compatibility fixes loaded into every verl process."""

from __future__ import annotations

import pytest
import torch


def test_vision_output_has_the_mean_verl_adds_for_text_only_rows():
    from transformers.modeling_outputs import BaseModelOutputWithPooling

    import lmmr1.verl_fixes  # noqa: F401

    pooled = torch.arange(6.0).reshape(3, 2)
    out = BaseModelOutputWithPooling(last_hidden_state=torch.zeros(4, 2), pooler_output=pooled)
    assert torch.equal(out.mean(), pooled.mean())


def test_every_run_loads_the_fixes_into_verl_processes():
    from lmmr1.devices import CPU_RUNTIME_ENV, VERL_FIXES_MODULE

    assert VERL_FIXES_MODULE in CPU_RUNTIME_ENV["VERL_USE_EXTERNAL_MODULES"].split(",")


@pytest.mark.slow  # a fresh interpreter imports verl and validates (~13 s)
def test_equal_length_3d_position_ids_survive_verls_mini_batch_split():
    """TransferQueue packs equal-length (4, L) rows as jagged along the M-RoPE dim; the split must still work."""
    import os
    import subprocess
    import sys

    code = (
        "import torch, verl\n"
        "from tensordict import TensorDict\n"
        "from verl.workers import engine_workers\n"
        "from verl.utils.tensordict_utils import index_select_tensor_dict\n"
        "parts = [torch.arange(12).reshape(4, 3) + i for i in range(4)]\n"
        "td = TensorDict({'position_ids': torch.nested.as_nested_tensor(parts, layout=torch.jagged)}, batch_size=[4])\n"
        "engine_workers.maybe_fix_3d_position_ids(td)\n"
        "out = index_select_tensor_dict(td, [1, 3])\n"
        "got = [p for p in out['position_ids'].unbind()]\n"
        "assert all(torch.equal(a, b) for a, b in zip(got, [parts[1], parts[3]])), got\n"
        "print('OK')\n"
    )
    env = dict(os.environ, VERL_USE_EXTERNAL_MODULES="lmmr1.verl_fixes")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=180)
    assert out.returncode == 0 and "OK" in out.stdout, out.stderr[-3000:]
