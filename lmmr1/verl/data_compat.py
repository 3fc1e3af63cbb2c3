"""Make verl's ``RLHFDataset`` read image rows on a machine without torchvision (CPU hosts).

Two problems, both outside lmmr1's code, both silent or confusing:

1. ``qwen_vl_utils`` (which verl's RLHFDataset and agent loops call to load images) imports torchvision
   at module level, yet uses it only for *video*. Without torchvision the import fails inside verl's
   length filter, which catches the exception per row and drops the row: ``filter dataset len: 0``.
   :func:`install_qwen_vl_utils_shim` imports ``qwen_vl_utils`` once with a stand-in ``torchvision``
   visible only during that import (removed from ``sys.modules`` afterwards, so transformers still sees
   that torchvision is absent); any video call then raises a clear error.
2. transformers' Qwen2-VL/Qwen2.5-VL processors require a video processor, whose only implementation
   needs torchvision; ``AutoProcessor.from_pretrained`` fails and verl's ``hf_processor`` turns that into
   ``processor=None`` with a warning (image rows then break later). :func:`install_image_only_video_processor`
   gives those processors an image-only video processor (raises if a video is ever passed).

:func:`apply` does both and is a no-op where torchvision imports (GPU clusters). It must run in *every*
process that builds a processor or loads images: the driver before ``hf_processor``/RLHFDataset, and
each Ray worker (verl's agent-loop workers call ``qwen_vl_utils``). The simplest hook is a module that
verl imports in every process, e.g. lmmr1's CPU platform plugin (loaded through
``VERL_USE_EXTERNAL_MODULES``) calling ``lmmr1.verl.data_compat.apply()`` at import; or add
``lmmr1.verl.data_compat_autoload`` to ``VERL_USE_EXTERNAL_MODULES``.

:class:`lmmr1.verl.dataset.CheckedRLHFDataset` (``data.custom_cls.path=pkg://lmmr1.verl.dataset``,
``data.custom_cls.name=CheckedRLHFDataset``) applies the fix and fails loudly when verl's dataset ends
up with fewer rows than the parquet files hold, instead of training on a silently shrunken set.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

_applied = False


def torchvision_available() -> bool:
    try:
        return importlib.util.find_spec("torchvision") is not None
    except (ImportError, ValueError):
        return False


def _video_unavailable(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("video input needs torchvision, which is not installed here (image data only)")


def install_qwen_vl_utils_shim() -> bool:
    """Import ``qwen_vl_utils`` without torchvision; True if the shim was needed and installed."""
    if "qwen_vl_utils" in sys.modules or torchvision_available():
        return False
    from lmmr1.verl.patches import check

    check("qwen_vl_utils_without_torchvision")
    stub = types.ModuleType("torchvision")
    stub.__version__ = "0.0.0+lmmr1.stub"
    io_mod = types.ModuleType("torchvision.io")
    io_mod.read_video = _video_unavailable
    transforms = types.ModuleType("torchvision.transforms")
    transforms.InterpolationMode = types.SimpleNamespace(BICUBIC="bicubic", BILINEAR="bilinear")
    transforms.functional = types.SimpleNamespace(resize=_video_unavailable)
    stub.io, stub.transforms = io_mod, transforms
    names = {"torchvision": stub, "torchvision.io": io_mod, "torchvision.transforms": transforms}
    saved = {name: sys.modules.get(name) for name in names}
    sys.modules.update(names)
    try:
        importlib.import_module("qwen_vl_utils")
    finally:
        for name, old in saved.items():  # nobody else may believe torchvision is installed
            if old is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = old
    return True


def install_image_only_video_processor() -> bool:
    """Let Qwen2-VL-family processors be built and loaded without torchvision; True if installed."""
    if torchvision_available():
        return False
    import transformers

    vpu = importlib.import_module("transformers.video_processing_utils")
    vpa = importlib.import_module("transformers.models.auto.video_processing_auto")
    if getattr(vpa.AutoVideoProcessor, "_lmmr1_image_only", False):
        return False
    from lmmr1.verl.patches import check

    check("image_only_video_processor")

    class ImageOnlyVideoProcessor(vpu.BaseVideoProcessor):
        """Stands in for Qwen2VLVideoProcessor when torchvision is absent; rejects any video."""

        merge_size = 2
        patch_size = 14
        temporal_patch_size = 2

        def preprocess(self, *args: Any, **kwargs: Any) -> Any:
            _video_unavailable()

        __call__ = preprocess

        def to_dict(self) -> dict[str, Any]:
            # Saved processors name the real class, so a model folder built here loads the real video
            # processor on a machine that has torchvision.
            out = super().to_dict()
            out["video_processor_type"] = "Qwen2VLVideoProcessor"
            return out

    class ImageOnlyAutoVideoProcessor:
        _lmmr1_image_only = True

        @classmethod
        def from_pretrained(cls, *args: Any, **kwargs: Any) -> Any:
            return ImageOnlyVideoProcessor()

        @classmethod
        def register(cls, *args: Any, **kwargs: Any) -> None:
            return None

    # ProcessorMixin checks sub-processors against the top-level name; without torchvision that name is a
    # placeholder object no instance can match, so point it at the real base class. transformers may hold
    # more than one "transformers" module object (processing_utils loads its own and re-registers it in
    # sys.modules), so set it on each.
    pu = importlib.import_module("transformers.processing_utils")
    for module in (transformers, sys.modules.get("transformers"), getattr(pu, "transformers_module", None)):
        if module is not None:
            module.BaseVideoProcessor = vpu.BaseVideoProcessor
    vpa.AutoVideoProcessor = ImageOnlyAutoVideoProcessor
    install_image_only_video_processor.video_processor_class = ImageOnlyVideoProcessor  # type: ignore[attr-defined]
    return True


def image_only_video_processor() -> Any:
    """An instance to pass as ``video_processor=`` when building a Qwen2.5-VL processor by hand."""
    install_image_only_video_processor()
    cls = getattr(install_image_only_video_processor, "video_processor_class", None)
    if cls is None:  # torchvision present: the real one
        from transformers import Qwen2VLVideoProcessor

        return Qwen2VLVideoProcessor()
    return cls()


def apply() -> None:
    """Both fixes, once per process; safe to call many times and a no-op where torchvision exists."""
    global _applied
    if _applied:
        return
    install_qwen_vl_utils_shim()
    install_image_only_video_processor()
    _applied = True
