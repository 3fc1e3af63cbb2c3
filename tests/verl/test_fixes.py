"""verl 0.9.1 + transformers 5 compatibility fixes loaded into every verl process."""

from __future__ import annotations

import pytest
import torch


def test_vision_output_has_the_mean_verl_adds_for_text_only_rows():
    from transformers.modeling_outputs import BaseModelOutputWithPooling

    import lmmr1.verl.fixes  # noqa: F401

    pooled = torch.arange(6.0).reshape(3, 2)
    out = BaseModelOutputWithPooling(last_hidden_state=torch.zeros(4, 2), pooler_output=pooled)
    assert torch.equal(out.mean(), pooled.mean())


def test_every_run_loads_the_fixes_into_verl_processes():
    from lmmr1.run.devices import CPU_RUNTIME_ENV, VERL_FIXES_MODULE

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
    env = dict(os.environ, VERL_USE_EXTERNAL_MODULES="lmmr1.verl.fixes")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=180)
    assert out.returncode == 0 and "OK" in out.stdout, out.stderr[-3000:]


def test_a_deterministic_run_orders_batches_by_prompt_and_slot_and_counts_prompt_ids():
    """With VERL_FULL_DETERMINISM=1 (deterministic=true) the batch order no longer follows completion order."""
    import os
    import subprocess
    import sys

    code = (
        "import lmmr1.verl.dataset\n"
        "from types import SimpleNamespace\n"
        "import transfer_queue as tq\n"
        "from verl.trainer.ppo.v1 import replay_buffer, trainer_base\n"
        "tq.kv_clear = lambda **kw: None\n"
        "a, b = str(trainer_base.uuid.uuid4()), str(trainer_base.uuid.uuid4())\n"
        "snapshot = {f'{b}_1_0': {'s': 1}, f'{a}_0_0': {'s': 2}, f'{b}_0_0': {'s': 3}, f'{a}_10_0': {'s': 4}, "
        "f'{a}_2_0': {'s': 5}}\n"
        "meta = replay_buffer.ReplayBuffer._materialize_batch(SimpleNamespace(), 'train', [a, b], snapshot)\n"
        "print(a < b, [k.split('_', 1)[1] for k in meta.keys], [t['s'] for t in meta.tags])\n"
    )
    env = {**os.environ, "VERL_FULL_DETERMINISM": "1"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "True ['0_0', '2_0', '10_0', '0_0', '1_0'] [2, 5, 4, 3, 1]"


def test_an_sft_batch_with_a_text_row_first_collates_like_one_with_a_picture_row_first():
    import torch
    from verl.utils.dataset.dataset_utils import SFTTensorCollator

    from lmmr1.verl.fixes import install_sft_collator_fix

    install_sft_collator_fix()
    text = {"input_ids": torch.tensor([1, 2]), "position_ids": torch.tensor([0, 1]), "loss_mask": torch.tensor([0, 1])}
    picture = dict(text, multi_modal_inputs={"pixel_values": torch.zeros(4, 3)})
    text_first = SFTTensorCollator("no_padding")([text, picture])
    picture_first = SFTTensorCollator("no_padding")([picture, text])
    assert text_first["multi_modal_inputs"][0].data is None
    assert torch.equal(text_first["multi_modal_inputs"][1].data["pixel_values"], torch.zeros(4, 3))
    assert picture_first["multi_modal_inputs"][1].data is None
