"""Compatibility fixes for verl 0.9.1 running on transformers 5.x, loaded into every verl process.

Written for verl 0.9.1, transformers 5.x, TransferQueue 0.1.11 (see :mod:`lmmr1.verl.patches`, which checks the
installed versions when a fix is applied and names the test that shows when upstream no longer needs it).

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
* Batches whose rows all have the same length, with 3-D (M-RoPE) position ids (Qwen2.5-VL):
  TransferQueue packs equal-shape ``(4, L)`` tensors as a *jagged* nested tensor, ragged along the
  M-RoPE dimension (it falls back to a strided one when lengths differ), and verl's
  ``maybe_fix_3d_position_ids`` then marks dimension 2 as ragged, so the mini-batch split fails with
  "split_with_sizes expects split_sizes to sum exactly to L". Before verl's fix runs, such a tensor is
  re-packed as the strided nested tensor verl gets in the unequal case. Multi-turn agent rows (all
  filling the response budget) hit this every step.
* ``deterministic=true`` (``VERL_FULL_DETERMINISM=1`` in every process): verl's v1 trainer names each prompt
  with a random ``uuid4`` and hands the trainer its samples in the order they finished generating, so which
  samples share a mini-batch (and with it every loss after the first update) changes from run to run even
  when every response is the same. Prompts are then named by a counter (in data-loader order) and a
  materialised batch is ordered by (prompt, sample slot), the order verl's v0 trainer used
  (:func:`install_deterministic_batches`).
"""

from __future__ import annotations

import os
from typing import Any

from lmmr1.verl.patches import check


def _pooled_mean(self: Any, *args: Any, **kwargs: Any) -> Any:
    return self.pooler_output.mean(*args, **kwargs)


def repack_equal_length_position_ids(data: Any) -> None:
    """Jagged 3-D ``position_ids`` ragged along dim 1 (equal-length rows) -> strided nested tensor."""
    import torch

    if "position_ids" not in data.keys():
        return
    pos = data["position_ids"]
    if not (isinstance(pos, torch.Tensor) and pos.is_nested and pos.dim() == 3 and pos.layout == torch.jagged):
        return
    if getattr(pos, "_ragged_idx", 1) != 1:
        return
    # The TransferQueue case packs its rows along dim 0 of the values (offsets index them). verl's SFT
    # collator builds position ids ragged on the sequence instead (values of shape (4, total length));
    # those are verl's own fix's to handle, and unbinding them here would fail.
    try:
        if int(pos.offsets()[-1]) != int(pos.values().shape[0]):
            return
    except (AttributeError, RuntimeError):
        return
    parts = list(pos.unbind())
    if parts and all(part.shape == parts[0].shape for part in parts):
        data["position_ids"] = torch.nested.as_nested_tensor(parts, layout=torch.strided)


def _install_position_ids_fix() -> None:
    try:
        from verl.utils import tensordict_utils
    except ImportError:  # pragma: no cover
        return
    original = tensordict_utils.maybe_fix_3d_position_ids
    if getattr(original, "_lmmr1_fix", False):
        return
    check("equal_length_position_ids")

    def maybe_fix_3d_position_ids(data: Any) -> Any:
        repack_equal_length_position_ids(data)
        return original(data)

    maybe_fix_3d_position_ids._lmmr1_fix = True  # type: ignore[attr-defined]
    tensordict_utils.maybe_fix_3d_position_ids = maybe_fix_3d_position_ids


class _CountingUUID:
    """Stands in for the ``uuid`` module in verl's trainer: ``uuid4()`` counts (fixed width, so sorts)."""

    def __init__(self) -> None:
        import itertools
        import uuid

        self._uuid = uuid
        self._counter = itertools.count(1)

    def uuid4(self) -> object:
        return self._uuid.UUID(int=next(self._counter))

    def __getattr__(self, name: str) -> object:
        return getattr(self._uuid, name)


def batch_key_order(key: str) -> tuple[str, int, int]:
    """``{uid}_{session_id}_{index}`` (verl's TransferQueue trajectory key) -> a sort key."""
    uid, session, index = key.rsplit("_", 2)
    return uid, int(session), int(index)


def install_deterministic_batches() -> None:
    """The ``deterministic=true`` batch order (see the module docstring); a no-op in other runs.

    Not part of :func:`apply`: importing verl's trainer while verl loads its plug-in modules would resolve
    the device platform before lmmr1's CPU platform is registered. verl's TaskRunner imports lmmr1's
    dataset class (:mod:`lmmr1.verl.dataset`) before its first batch, and that module calls this.
    """
    if os.environ.get("VERL_FULL_DETERMINISM") != "1":
        return
    try:
        from verl.trainer.ppo.v1 import replay_buffer, trainer_base
    except ImportError:  # pragma: no cover
        return
    original = replay_buffer.ReplayBuffer._materialize_batch
    if getattr(original, "_lmmr1_fix", False):
        return
    check("deterministic_batch_order")
    trainer_base.uuid = _CountingUUID()

    def _materialize_batch(self: Any, *args: Any, **kwargs: Any) -> Any:
        meta = original(self, *args, **kwargs)
        order = sorted(range(len(meta.keys)), key=lambda j: batch_key_order(meta.keys[j]))
        meta.keys = [meta.keys[j] for j in order]
        meta.tags = [meta.tags[j] for j in order]
        return meta

    _materialize_batch._lmmr1_fix = True  # type: ignore[attr-defined]
    replay_buffer.ReplayBuffer._materialize_batch = _materialize_batch


def install_sft_collator_fix() -> None:
    """verl's SFT collator (``SFTTensorCollator``, no-padding mode) takes the keys of a batch from all its rows
    but their kind from the first row: a batch whose first row is text-only (no ``multi_modal_inputs``) next
    to picture rows fails with ``KeyError: 'multi_modal_inputs'``. Rows missing a key get it as None, which
    is what the collator already stores for them when a picture row comes first (and what verl's model code
    reads as "no images in this row"). Installed by lmmr1's SFT stage runner before verl builds its loader.
    """
    try:
        from verl.utils.dataset import dataset_utils
    except ImportError:  # pragma: no cover
        return
    collator = dataset_utils.SFTTensorCollator
    original = collator.collate_variable_batch
    if getattr(original, "_lmmr1_fix", False):
        return
    check("sft_mixed_batch_collation")

    def collate_variable_batch(self: Any, batch: list[dict[str, Any]]) -> Any:
        keys = set().union(*(row.keys() for row in batch)) if batch else set()
        if any(key not in row for row in batch for key in keys):
            batch = [{**{key: None for key in keys}, **row} for row in batch]
        return original(self, batch)

    collate_variable_batch._lmmr1_fix = True  # type: ignore[attr-defined]
    collator.collate_variable_batch = collate_variable_batch


def install_sft_loader_workers(num_workers: int) -> None:
    """verl 0.9.1's SFT trainer builds its train and validation loaders with ``num_workers=8`` written in the
    code, ignoring ``data.num_workers`` (which lmmr1 sets, 0 on CPU, and a user may set through ``verl:``).
    The loader class the trainer module uses is replaced by one taking ``num_workers`` from the config, so
    the setting takes effect. Installed by lmmr1's SFT stage runner, in the process that builds the trainer.
    """
    try:
        from verl.trainer import sft_trainer_ray
    except ImportError:  # pragma: no cover
        return
    check("sft_dataloader_workers")
    base = getattr(sft_trainer_ray.StatefulDataLoader, "_lmmr1_base", sft_trainer_ray.StatefulDataLoader)
    workers = int(num_workers)

    class ConfiguredWorkersLoader(base):  # type: ignore[misc, valid-type]
        _lmmr1_base = base

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["num_workers"] = workers
            if workers == 0:  # torch refuses worker-only options without workers
                kwargs.pop("prefetch_factor", None)
                kwargs["persistent_workers"] = False
            super().__init__(*args, **kwargs)

    sft_trainer_ray.StatefulDataLoader = ConfiguredWorkersLoader


def _flash_attn_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("flash_attn") is not None


def _install_valuehead_attention_fix() -> None:
    """verl 0.9.1's ``load_valuehead_model`` (the critic of GAE stages) hard-codes flash-attention 2.

    Where flash-attn is not installed (CPU runs), the critic is loaded with the attention the run asks for
    (``critic.model.override_config.attn_implementation``, i.e. the model config's ``_attn_implementation``),
    ``sdpa`` when that is flash-attention too. With flash-attn installed nothing changes (GPU clusters).
    """
    try:
        from verl.utils import model as verl_model
    except ImportError:  # pragma: no cover
        return
    original = verl_model.load_valuehead_model
    if getattr(original, "_lmmr1_fix", False) or _flash_attn_available():
        return
    check("valuehead_attention")
    import transformers

    class _AttentionOverride:
        """Stands in for a transformers auto class while verl's loader runs; rewrites flash-attention 2."""

        def __init__(self, auto: Any, attn: str) -> None:
            self._auto, self._attn = auto, attn

        def __getattr__(self, name: str) -> Any:
            return getattr(self._auto, name)

        def from_pretrained(self, *args: Any, **kwargs: Any) -> Any:
            if kwargs.get("attn_implementation") == "flash_attention_2":
                kwargs["attn_implementation"] = self._attn
            return self._auto.from_pretrained(*args, **kwargs)

    def load_valuehead_model(local_path: Any, torch_dtype: Any, model_config: Any, trust_remote_code: Any) -> Any:
        wanted = getattr(model_config, "_attn_implementation", None)
        attn = wanted if wanted and wanted != "flash_attention_2" else "sdpa"
        # verl imports these two from transformers inside the function, and holds the vision one at module level
        targets = [
            (transformers, "AutoModelForTokenClassification"),
            (transformers, "AutoModelForCausalLM"),
            (verl_model, "AutoModelForVision2Seq"),
        ]
        saved = [(module, name, getattr(module, name)) for module, name in targets]
        for module, name, auto in saved:
            setattr(module, name, _AttentionOverride(auto, attn))
        try:
            return original(local_path, torch_dtype, model_config, trust_remote_code)
        finally:
            for module, name, auto in saved:
                setattr(module, name, auto)

    load_valuehead_model._lmmr1_fix = True  # type: ignore[attr-defined]
    verl_model.load_valuehead_model = load_valuehead_model


def apply() -> None:
    """Install the fixes (idempotent; no-op where not needed)."""
    try:
        from transformers.modeling_outputs import BaseModelOutputWithPooling
    except ImportError:  # pragma: no cover - transformers is a verl dependency
        return
    if not hasattr(BaseModelOutputWithPooling, "mean"):
        check("vision_output_mean")
        BaseModelOutputWithPooling.mean = _pooled_mean  # type: ignore[attr-defined]
    _install_position_ids_fix()
    _install_valuehead_attention_fix()


apply()
