"""``lmmr1 data inspect``: what a prepared file holds and whether it fits the model's prompt budget.

Prompt length is counted the way the model sees it: the chat template rendered with the model's
processor, plus each image's tokens at the configured ``max_pixels`` (Qwen2-VL resizing: sides rounded to
multiples of patch x merge, area kept within ``[min_pixels, max_pixels]``; one token per merged patch).
verl's RLHFDataset silently drops rows longer than ``data.max_prompt_length`` (or, with the filter off,
truncates them and cuts through image tokens: "image features and image tokens do not match"); this
command counts them first and says which knob fixes it.
"""

from __future__ import annotations

import io
import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pyarrow.parquet as pq

from lmmr1.data.errors import DataError
from lmmr1.data.schema import IMAGE_PLACEHOLDER


def smart_resize(height: int, width: int, factor: int, min_pixels: int, max_pixels: int) -> tuple[int, int]:
    """Qwen2-VL's resize rule: both sides multiples of ``factor``, area within [min_pixels, max_pixels],
    aspect ratio kept as closely as possible."""
    if max(height, width) / max(1, min(height, width)) > 200:
        raise ValueError(f"aspect ratio of a {width}x{height} image exceeds 200, which Qwen2-VL refuses")
    h = max(factor, round(height / factor) * factor)
    w = max(factor, round(width / factor) * factor)
    if h * w > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        h = max(factor, math.floor(height / beta / factor) * factor)
        w = max(factor, math.floor(width / beta / factor) * factor)
    elif h * w < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h = math.ceil(height * beta / factor) * factor
        w = math.ceil(width * beta / factor) * factor
    return h, w


@dataclass
class VisionGeometry:
    patch_size: int = 14
    merge_size: int = 2
    min_pixels: int = 56 * 56
    max_pixels: int = 28 * 28 * 1280

    @property
    def factor(self) -> int:
        return self.patch_size * self.merge_size

    def tokens(self, width: int, height: int) -> int:
        h, w = smart_resize(height, width, self.factor, self.min_pixels, self.max_pixels)
        return (h // self.patch_size) * (w // self.patch_size) // (self.merge_size**2)


def geometry_of(processor: Any, max_pixels: int | None, min_pixels: int | None) -> VisionGeometry:
    ip = getattr(processor, "image_processor", None)
    geo = VisionGeometry()
    if ip is not None:
        geo.patch_size = int(getattr(ip, "patch_size", geo.patch_size))
        geo.merge_size = int(getattr(ip, "merge_size", geo.merge_size))
        size = getattr(ip, "size", None) or {}
        get = size.get if hasattr(size, "get") else (lambda k, d=None: getattr(size, k, d))
        geo.max_pixels = int(get("longest_edge", None) or getattr(ip, "max_pixels", None) or geo.max_pixels)
        geo.min_pixels = int(get("shortest_edge", None) or getattr(ip, "min_pixels", None) or geo.min_pixels)
    if max_pixels:
        geo.max_pixels = int(max_pixels)
    if min_pixels:
        geo.min_pixels = int(min_pixels)
    return geo


def load_processor(model: str) -> tuple[Any, Any]:
    """(processor or None, tokenizer) from a local model directory."""
    from lmmr1.verl import data_compat as verl_compat

    verl_compat.apply()
    from transformers import AutoProcessor, AutoTokenizer, PreTrainedTokenizerBase

    processor = None
    try:
        processor = AutoProcessor.from_pretrained(model)
    except Exception:  # noqa: BLE001 - a text-only model has no processor; fall back to the tokenizer
        processor = None
    if isinstance(processor, PreTrainedTokenizerBase):
        return None, processor
    if processor is not None:
        return processor, processor.tokenizer
    try:
        return None, AutoTokenizer.from_pretrained(model)
    except Exception as exc:  # noqa: BLE001
        raise DataError(f"cannot load a tokenizer or processor from {model}: {exc}") from None


def to_content_messages(prompt: list[dict[str, str]]) -> list[dict[str, Any]]:
    """verl's placeholder text -> content lists with image items (what the processor's template sees)."""
    out = []
    for msg in prompt:
        text = msg["content"]
        if IMAGE_PLACEHOLDER not in text:
            out.append({"role": msg["role"], "content": text})
            continue
        items: list[dict[str, Any]] = []
        for i, piece in enumerate(text.split(IMAGE_PLACEHOLDER)):
            if i:
                items.append({"type": "image"})
            if piece:
                items.append({"type": "text", "text": piece})
        out.append({"role": msg["role"], "content": items})
    return out


@dataclass
class InspectReport:
    path: str
    rows: int = 0
    sources: Counter = field(default_factory=Counter)
    agents: Counter = field(default_factory=Counter)
    images_per_row: Counter = field(default_factory=Counter)
    image_sizes: list[tuple[int, int]] = field(default_factory=list)
    bad_images: list[str] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    text_lengths: list[int] = field(default_factory=list)
    image_tokens: list[list[int]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    geometry: VisionGeometry | None = None
    max_prompt_length: int | None = None
    checked: int = 0
    check_mismatches: list[str] = field(default_factory=list)

    def over(self) -> list[int]:
        if self.max_prompt_length is None or not self.lengths:
            return []
        return [i for i, n in enumerate(self.lengths) if n > self.max_prompt_length]

    def suggested_max_pixels(self) -> int | None:
        """The largest max_pixels at which every over-long row fits (None if text alone is too long)."""
        if self.geometry is None or self.max_prompt_length is None:
            return None
        best: float = math.inf
        for i in self.over():
            n_img = len(self.image_tokens[i])
            if n_img == 0:
                return None
            budget = (self.max_prompt_length - self.text_lengths[i]) / n_img
            if budget < 1:
                return None
            best = min(best, budget * self.geometry.factor**2)
        if best is math.inf:
            return None
        unit = self.geometry.factor**2
        value = int(best // unit) * unit
        return value if value >= self.geometry.min_pixels else None

    def to_text(self) -> str:
        lines = [f"# {self.path}", f"rows: {self.rows}"]
        lines.append("sources: " + ", ".join(f"{k} {v}" for k, v in self.sources.most_common()))
        if self.agents:
            lines.append("agent_name: " + ", ".join(f"{k} {v}" for k, v in self.agents.most_common()))
        lines.append("images per row: " + ", ".join(f"{k}: {v} rows" for k, v in sorted(self.images_per_row.items())))
        if self.image_sizes:
            areas = sorted(w * h for w, h in self.image_sizes)
            ws = [w for w, _ in self.image_sizes]
            hs = [h for _, h in self.image_sizes]
            lines.append(
                f"image size (WxH): min {min(ws)}x{min(hs)}, median {int(statistics.median(ws))}x"
                f"{int(statistics.median(hs))}, max {max(ws)}x{max(hs)}; pixels median "
                f"{int(statistics.median(areas))}, max {areas[-1]}"
            )
        if self.bad_images:
            lines.append(f"undecodable images: {len(self.bad_images)} (first: {self.bad_images[0]})")
        if not self.lengths:
            lines.append("prompt tokens: pass --model PATH to count them with the model's processor")
            return "\n".join(lines)
        s = sorted(self.lengths)
        pct = lambda q: s[min(len(s) - 1, int(q * len(s)))]  # noqa: E731
        geo = self.geometry
        lines.append(
            f"prompt tokens (chat template + image tokens at max_pixels={geo.max_pixels}, "
            f"min_pixels={geo.min_pixels}, patch {geo.patch_size}, merge {geo.merge_size}): "
            f"min {s[0]}, median {pct(0.5)}, p95 {pct(0.95)}, p99 {pct(0.99)}, max {s[-1]}"
        )
        all_img = [t for row in self.image_tokens for t in row]
        if all_img:
            lines.append(
                f"image tokens per image: min {min(all_img)}, median {int(statistics.median(all_img))}, max {max(all_img)}"
            )
        if self.checked:
            lines.append(
                f"checked against the processor on {self.checked} image rows: "
                + ("lengths agree" if not self.check_mismatches else "MISMATCH " + "; ".join(self.check_mismatches[:3]))
            )
        if self.max_prompt_length is not None:
            over = self.over()
            lines.append(f"rows over max_prompt_length={self.max_prompt_length}: {len(over)}")
            if over:
                worst = sorted(over, key=lambda i: -self.lengths[i])[:5]
                lines.append(
                    "  longest: " + ", ".join(f"row {i} (id {self.ids[i]}) {self.lengths[i]} tokens" for i in worst)
                )
                need = max(self.lengths[i] for i in over)
                fix = [f"raise data.max_prompt_length to at least {need}"]
                mp = self.suggested_max_pixels()
                if mp is not None:
                    fix.append(
                        f"lower max_pixels to {mp} (processor image size / data.mm_processor_kwargs), "
                        "so every image costs fewer tokens"
                    )
                fix.append(
                    "or leave them out: verl drops them silently (filter_overlong_prompts) or, with the "
                    "filter off, truncates through the image tokens ('image features and image tokens do "
                    "not match')"
                )
                lines.append("fix: " + "; ".join(fix))
        return "\n".join(lines)


def _image_size(data: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return im.size


def inspect_file(
    path: str,
    model: str | None = None,
    *,
    max_pixels: int | None = None,
    min_pixels: int | None = None,
    max_prompt_length: int | None = None,
    check_rows: int = 4,
    show_progress: bool = True,
) -> InspectReport:
    from lmmr1.data.writer import progress

    try:
        pf = pq.ParquetFile(path)
    except (OSError, Exception) as exc:  # noqa: BLE001
        raise DataError(f"{path}: not a readable parquet file ({exc})") from None
    report = InspectReport(path=path, max_prompt_length=max_prompt_length)
    processor = tokenizer = None
    if model:
        processor, tokenizer = load_processor(model)
        report.geometry = geometry_of(processor, max_pixels, min_pixels)
    template_owner = processor if processor is not None else tokenizer
    names = set(pf.schema_arrow.names)
    with progress(pf.metadata.num_rows, "inspect", show_progress) as bar:
        for batch in pf.iter_batches(batch_size=512):
            rows = batch.to_pylist()
            rendered = []
            for row in rows:
                report.rows += 1
                report.sources[row.get("data_source")] += 1
                if "agent_name" in names:
                    report.agents[row.get("agent_name")] += 1
                extra = row.get("extra_info") or {}
                report.ids.append(str(extra.get("id")))
                images = row.get("images") or []
                report.images_per_row[len(images)] += 1
                sizes = []
                for k, img in enumerate(images):
                    try:
                        sizes.append(_image_size(img["bytes"]))
                    except Exception as exc:  # noqa: BLE001
                        report.bad_images.append(f"row {report.rows - 1} image {k}: {exc}")
                report.image_sizes += sizes
                if template_owner is not None and processor is None:  # text-only model: images cost nothing
                    rendered.append(
                        tokenizer.apply_chat_template(row["prompt"], add_generation_prompt=True, tokenize=False)
                    )
                    report.image_tokens.append([])
                elif template_owner is not None:
                    rendered.append(
                        processor.apply_chat_template(
                            to_content_messages(row["prompt"]), add_generation_prompt=True, tokenize=False
                        )
                    )
                    try:
                        report.image_tokens.append([report.geometry.tokens(w, h) for w, h in sizes])
                    except ValueError:  # aspect ratio Qwen2-VL refuses: counts as never fitting
                        report.image_tokens.append([10**9] * len(sizes))
                bar.update(1)
            if template_owner is not None:
                enc = tokenizer(rendered, add_special_tokens=False, return_attention_mask=False)["input_ids"]
                base = len(report.image_tokens) - len(rows)
                for j, ids in enumerate(enc):
                    img = report.image_tokens[base + j]
                    text_len = len(ids) - len(img)  # one <|image_pad|> per image in the rendered text
                    report.text_lengths.append(text_len)
                    report.lengths.append(text_len + sum(img))
                if processor is not None and report.checked < check_rows:
                    _cross_check(report, processor, rows, rendered, base, check_rows, max_pixels, min_pixels)
    return report


def _cross_check(
    report: InspectReport,
    processor: Any,
    rows: list[dict],
    rendered: list[str],
    base: int,
    check_rows: int,
    max_pixels: int | None,
    min_pixels: int | None,
) -> None:
    """Run the real processor on a few image rows and compare its token count with ours."""
    from PIL import Image

    kwargs: dict[str, Any] = {}
    if max_pixels or min_pixels:
        geo = report.geometry
        kwargs["images_kwargs"] = {"size": {"longest_edge": geo.max_pixels, "shortest_edge": geo.min_pixels}}
    for j, row in enumerate(rows):
        if report.checked >= check_rows:
            return
        if not row.get("images"):
            continue
        images = [Image.open(io.BytesIO(img["bytes"])).convert("RGB") for img in row["images"]]
        try:
            out = processor(text=[rendered[j]], images=images, return_tensors=None, **kwargs)
        except Exception as exc:  # noqa: BLE001
            report.check_mismatches.append(f"row {base + j}: the processor failed ({exc})")
            report.checked += 1
            continue
        real = len(out["input_ids"][0])
        if real != report.lengths[base + j]:
            report.check_mismatches.append(f"row {base + j}: processor {real} vs estimate {report.lengths[base + j]}")
        report.checked += 1
