"""The vLLM plug-in that keeps linear weights on vLLM's CPU build (lmmr1.verl.vllm_cpu), and its upstream test.

The first two tests need only torch; the ones marked ``vllm_cpu`` run in ``.venv-vllm/`` (CI's last step).
"""

from __future__ import annotations

import pytest
import torch

from lmmr1.verl.vllm_cpu import keep_weights


class _Linear(torch.nn.Module):
    def __init__(self, rows: int, cols: int) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(rows, cols), requires_grad=False)
        self.bias = None


def _packing_dispatch(calls: list):
    """Stands in for vLLM's dispatcher: packs a copy of the weight and empties the parameter."""

    def dispatch(layer, remove_weight):
        calls.append(remove_weight)
        packed = layer.weight.detach().clone()
        layer.cpu_linear = lambda x, weight, bias: torch.nn.functional.linear(x, packed, bias)
        if remove_weight:
            layer.weight = torch.nn.Parameter(torch.empty(0), requires_grad=False)

    return dispatch


def test_kept_weights_compute_with_the_weights_written_after_loading():
    calls: list = []
    layer = _Linear(8, 4)
    keep_weights(_packing_dispatch(calls))(layer, remove_weight=True)
    assert layer.weight.shape == (8, 4) and calls == []  # kept, vLLM's packing not used
    new = torch.randn(8, 4)
    layer.weight.data.copy_(new)  # what verl's weight update does to each parameter
    x = torch.randn(3, 4)
    assert torch.equal(layer.cpu_linear(x, layer.weight, None), torch.nn.functional.linear(x, new))


def test_convolutions_and_missing_layers_keep_vllms_own_handling_and_wrapping_is_idempotent():
    calls: list = []
    original = _packing_dispatch(calls)
    wrapped = keep_weights(original)
    assert keep_weights(wrapped) is wrapped and wrapped.__wrapped__ is original
    conv = _Linear(8, 4)
    conv.weight = torch.nn.Parameter(torch.randn(8, 1, 4), requires_grad=False)
    wrapped(conv, remove_weight=True)
    assert calls == [True]


@pytest.mark.vllm_cpu
def test_upstream_vllm_cpu_still_empties_linear_weights():
    """Fails once vLLM's CPU build keeps the weight of a linear layer after preparing it: then
    lmmr1.verl.vllm_cpu can go (lmmr1.verl.patches: vllm_cpu_keep_linear_weights)."""
    from vllm.model_executor.layers import utils

    dispatch = utils.dispatch_cpu_unquantized_gemm
    dispatch = getattr(dispatch, "__wrapped__", dispatch)  # vLLM's own, even if lmmr1's plug-in ran here
    layer = torch.nn.Linear(64, 64, bias=False)
    layer.weight.requires_grad_(False)
    dispatch(layer, remove_weight=True)
    assert layer.weight.numel() == 0


@pytest.mark.vllm_cpu
def test_the_plugin_is_registered_for_vllm_and_replaces_its_dispatcher():
    from importlib.metadata import entry_points

    from vllm.model_executor.layers import utils

    from lmmr1.verl import vllm_cpu

    (entry,) = [e for e in entry_points(group="vllm.general_plugins") if e.value.startswith("lmmr1.")]
    assert entry.load() is vllm_cpu.register
    vllm_cpu.register()
    layer = torch.nn.Linear(64, 64, bias=False)
    layer.weight.requires_grad_(False)
    utils.dispatch_cpu_unquantized_gemm(layer, remove_weight=True)
    assert layer.weight.shape == (64, 64)
    x = torch.randn(2, 64)
    assert torch.allclose(utils.cpu_unquantized_gemm(layer, x, layer.weight), layer(x))


@pytest.mark.vllm_cpu
def test_upstream_vllm_cpu_still_refuses_sleep_mode():
    """lmmr1.verl.bridge sets rollout.enable_sleep_mode=false for CPU runs with vLLM; once vLLM's CPU platform
    offers sleep mode this fails and that setting can go."""
    from vllm.platforms import current_platform

    assert current_platform.is_cpu() and not current_platform.is_sleep_mode_available()


@pytest.mark.vllm_cpu
def test_lmmr1_knows_the_head_sizes_vllms_cpu_attention_serves():
    """lmmr1.run.inputs refuses a model vLLM's CPU attention cannot serve before Ray starts: same list as vLLM's."""
    from vllm.v1.attention.backends.cpu_attn import CPUAttentionBackend

    from lmmr1.run.inputs import VLLM_CPU_HEAD_SIZES

    assert tuple(CPUAttentionBackend.get_supported_head_sizes()) == VLLM_CPU_HEAD_SIZES


@pytest.mark.vllm_cpu
def test_upstream_verl_still_needs_a_distribution_named_vllm_whose_version_says_cpu(monkeypatch):
    """Why ./scripts/setup.sh --vllm-cpu installs requirements/vllm_cpu_name (a metadata-only `vllm` 0.24.0+cpu):
    verl 0.9.1 refuses a missing `vllm` distribution, and vLLM, once a `vllm` distribution exists, picks its
    CPU platform only if that version contains "cpu". Fails once either stops reading it that way."""
    import importlib.util
    from importlib import metadata
    from pathlib import Path

    from vllm import platforms

    verl_vllm = Path(importlib.util.find_spec("verl").submodule_search_locations[0]) / "third_party/vllm/__init__.py"
    source = verl_vllm.read_text(encoding="utf-8")
    assert 'package_name = "vllm"' in source and "not supported" in source
    assert metadata.version("vllm") == "0.24.0+cpu" and metadata.version("vllm-cpu") == "0.24.0"
    real = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "0.24.0" if name == "vllm" else real(name))
    assert platforms.vllm_version_matches_substr("cpu") is False  # without "+cpu": no CPU platform


@pytest.mark.vllm_cpu
def test_upstream_vllm_batch_invariant_mode_still_covers_only_cuda_kernels():
    """lmmr1.verl.bridge runs vLLM one sequence at a time on CPU with deterministic=true; once vLLM's
    batch-invariant mode registers CPU kernels too this fails and that setting can go."""
    import inspect

    from vllm.model_executor.layers import batch_invariant

    source = inspect.getsource(batch_invariant.enable_batch_invariant_mode)
    assert '"CUDA"' in source and '"CPU"' not in source
