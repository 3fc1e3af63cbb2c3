"""An HF-``generate`` rollout for verl, so GRPO/PPO runs where vLLM cannot (no GPU).

verl 0.9 generates through *rollout replicas*: one server actor per replica answers token-in/token-out
``generate`` calls from the agent loop, and a *server adapter* living in each trainer worker pushes the
trainer's weights to that server after every step. vLLM, SGLang and TensorRT-LLM are the built-in
pairs; this module adds a fourth, ``hf``, through the same two registries
(``RolloutReplicaRegistry.register`` and the rollout-class table in ``verl.workers.rollout.base``):

* :class:`HFGenerateServer` (Ray actor) holds a copy of the policy and runs ``model.generate``. Requests
  that arrive together are batched (left-padded); log-probs of the sampled tokens are computed from the
  raw logits at the sampling temperature, which is what verl's trainer recomputes, so the
  rollout/trainer log-prob mismatch metric stays near zero when weight sync works.
* A request whose sampling parameters carry a ``seed`` (lmmr1's ``deterministic=true``, see
  :mod:`lmmr1.verl.determinism`) is generated on its own with that seed, so it samples the same tokens
  whatever else is in flight, as vLLM's per-request seed does.
* :class:`HFServerAdapter` (inside each trainer worker) receives ``update_weights`` from verl's
  checkpoint engine and ships the full tensors to the server; the step number travels with them and
  comes back in ``TokenOutput.extra_fields["global_steps"]``, which verl's trainer requires.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, Optional

import ray
import torch
from verl.workers.config import HFModelConfig, RolloutConfig
from verl.workers.rollout import base as rollout_base
from verl.workers.rollout.base import BaseRollout
from verl.workers.rollout.replica import RolloutReplica, RolloutReplicaRegistry, TokenOutput

logger = logging.getLogger(__name__)

ROLLOUT_NAME = "hf"
MAX_BATCH = 64


def server_actor_name(replica_rank: int, node_rank: int = 0) -> str:
    return f"{ROLLOUT_NAME}_server_{replica_rank}_{node_rank}"


def _load_model(path: str) -> tuple[torch.nn.Module, Any, Any]:
    """Load (model, tokenizer, processor-or-None) from a local HF directory, in float32 on CPU."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    hf_config = AutoConfig.from_pretrained(path)
    processor = None
    if getattr(hf_config, "vision_config", None) is not None:
        from transformers import AutoModelForImageTextToText, AutoProcessor

        model = AutoModelForImageTextToText.from_pretrained(path, dtype=torch.float32)
        processor = AutoProcessor.from_pretrained(path)
    else:
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model.eval()
    return model, tokenizer, processor


def _model_path(model_config: Any) -> str:
    """Works for verl's HFModelConfig dataclass and for the DictConfig the replica receives."""
    getter = (
        model_config.get
        if hasattr(model_config, "get")
        else lambda key, default=None: getattr(model_config, key, default)
    )
    path = getter("local_path", None) or getter("path", None)
    if not path:
        raise ValueError("the hf rollout needs actor_rollout_ref.model.path")
    from verl.utils.fs import copy_to_local

    return copy_to_local(str(path))


@dataclass
class _Request:
    prompt_ids: list[int]
    sampling: dict[str, Any]
    images: Optional[list[Any]]
    future: asyncio.Future = field(repr=False)

    def batch_key(self) -> tuple:
        s = self.sampling
        return (
            float(s.get("temperature", 1.0)),
            float(s.get("top_p", 1.0)),
            int(s.get("top_k", -1) or -1),
            int(s["max_new_tokens"]),
            bool(self.images),
        )


class HFGenerateServer:
    """Token-in/token-out generation with Hugging Face ``generate`` (one per rollout replica)."""

    def __init__(self, config: RolloutConfig, model_config: HFModelConfig, replica_rank: int = 0) -> None:
        self.config = config
        self.model_config = model_config
        self.replica_rank = replica_rank
        path = _model_path(model_config)
        threads = int(os.environ.get("LMMR1_ROLLOUT_THREADS", "0") or 0)
        if threads > 0:
            torch.set_num_threads(threads)
        self.model, self.tokenizer, self.processor = _load_model(path)
        self.pad_id = self.tokenizer.pad_token_id
        if self.pad_id is None:
            self.pad_id = self.tokenizer.eos_token_id
        self.eos_ids = self._eos_ids()
        self.suppressed_ids = self._vision_placeholder_ids()
        self.global_steps: Optional[int] = None
        self.weights_version = 0
        self._lock = threading.Lock()
        self._queue: list[_Request] = []
        self._wakeup: Optional[asyncio.Event] = None
        self._loop_task: Optional[asyncio.Task] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._paused = False

    def _eos_ids(self) -> list[int]:
        ids: set[int] = set()
        gen = getattr(self.model, "generation_config", None)
        eos = getattr(gen, "eos_token_id", None) if gen is not None else None
        for value in eos if isinstance(eos, (list, tuple)) else [eos]:
            if value is not None:
                ids.add(int(value))
        if self.tokenizer.eos_token_id is not None:
            ids.add(int(self.tokenizer.eos_token_id))
        im_end = self.tokenizer.convert_tokens_to_ids("<|im_end|>")
        if isinstance(im_end, int) and im_end >= 0 and im_end != self.tokenizer.unk_token_id:
            ids.add(im_end)
        return sorted(ids)

    def _vision_placeholder_ids(self) -> list[int]:
        """Image/video placeholder tokens must never be *generated*: verl would count them as visual
        inputs when computing M-RoPE positions and fail. Real models do not emit them; random test
        models do, so the HF rollout suppresses them (log-probs are still reported unmodified)."""
        ids = []
        for token in ("<|image_pad|>", "<|video_pad|>", "<|vision_start|>", "<|vision_end|>"):
            tid = self.tokenizer.convert_tokens_to_ids(token)
            if isinstance(tid, int) and tid >= 0 and tid != self.tokenizer.unk_token_id:
                ids.append(tid)
        return ids

    # ------------------------------------------------------------------ generation
    async def generate(
        self,
        request_id: str,
        prompt_ids: list[int],
        sampling_params: dict[str, Any],
        image_data: Optional[list[Any]] = None,
        video_data: Optional[list[Any]] = None,
        **kwargs: Any,
    ) -> TokenOutput:
        if video_data:
            raise NotImplementedError("the hf rollout does not support video inputs; use vllm on a GPU cluster")
        budget = int(self.config.prompt_length + self.config.response_length - len(prompt_ids))
        max_new = int(
            sampling_params.get("max_tokens") or sampling_params.get("max_new_tokens") or self.config.response_length
        )
        max_new = max(1, min(max_new, int(self.config.response_length), max(budget, 1)))
        sampling = dict(sampling_params)
        sampling["max_new_tokens"] = max_new
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # first call, or a new event loop (tests): rebuild the serving task
            self._loop, self._wakeup = loop, asyncio.Event()
            self._loop_task = None
        if self._loop_task is None or self._loop_task.done():
            self._loop_task = loop.create_task(self._serve())
        future: asyncio.Future = loop.create_future()
        self._queue.append(_Request(list(map(int, prompt_ids)), sampling, image_data or None, future))
        assert self._wakeup is not None
        self._wakeup.set()
        token_ids, log_probs = await future
        return TokenOutput(
            token_ids=token_ids,
            log_probs=log_probs if sampling_params.get("logprobs", True) else None,
            stop_reason="completed",
            num_preempted=0,
            extra_fields={"global_steps": self.global_steps, "weights_version": self.weights_version},
        )

    async def _serve(self) -> None:
        """Drain the queue: group requests that can share one ``generate`` call, run it in a thread."""
        assert self._wakeup is not None
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            await asyncio.sleep(0.01)  # let concurrent requests of the same step arrive
            while self._queue:
                first = self._queue[0]
                key = first.batch_key()
                if first.images or first.sampling.get("seed") is not None:
                    batch = [first]  # a seeded request is generated alone: its numbers never depend on a batch
                else:
                    batch = [r for r in self._queue if r.batch_key() == key][:MAX_BATCH]
                for request in batch:
                    self._queue.remove(request)
                try:
                    results = await asyncio.to_thread(self._generate_batch, batch)
                except Exception as exc:  # surface the error to every waiting caller
                    for request in batch:
                        if not request.future.done():
                            request.future.set_exception(exc)
                    continue
                for request, result in zip(batch, results):
                    if not request.future.done():
                        request.future.set_result(result)

    @torch.no_grad()
    def _generate_batch(self, batch: list[_Request]) -> list[tuple[list[int], list[float]]]:
        sampling = batch[0].sampling
        temperature = float(sampling.get("temperature", 1.0))
        top_p = float(sampling.get("top_p", 1.0))
        top_k = int(sampling.get("top_k", -1) or -1)
        do_sample = temperature > 0
        longest = max(len(r.prompt_ids) for r in batch)
        input_ids = torch.full((len(batch), longest), self.pad_id, dtype=torch.long)
        attention = torch.zeros((len(batch), longest), dtype=torch.long)
        for row, request in enumerate(batch):
            n = len(request.prompt_ids)
            input_ids[row, longest - n :] = torch.tensor(request.prompt_ids, dtype=torch.long)
            attention[row, longest - n :] = 1
        extra: dict[str, Any] = {}
        if batch[0].images:
            if self.processor is None:
                raise ValueError("image inputs reached a text-only rollout model; set model.path to a VL model")
            vision = self.processor.image_processor(images=batch[0].images, return_tensors="pt")
            extra = {k: v for k, v in vision.items() if k in ("pixel_values", "image_grid_thw")}
        gen_kwargs: dict[str, Any] = dict(
            max_new_tokens=int(sampling["max_new_tokens"]),
            do_sample=do_sample,
            eos_token_id=self.eos_ids,
            pad_token_id=self.pad_id,
            return_dict_in_generate=True,
            output_logits=True,
        )
        if self.suppressed_ids:
            gen_kwargs["suppress_tokens"] = self.suppressed_ids
        if do_sample:
            gen_kwargs.update(temperature=temperature, top_p=top_p, top_k=top_k if top_k > 0 else 0)
        seed = sampling.get("seed")
        with self._lock:
            if seed is not None and do_sample:
                torch.manual_seed(int(seed))
            out = self.model.generate(input_ids=input_ids, attention_mask=attention, **gen_kwargs, **extra)
        sequences = out.sequences[:, longest:]
        logits = torch.stack(out.logits, dim=1).float()  # [batch, new, vocab], raw (unwarped)
        if do_sample and temperature != 1.0:
            logits = logits / temperature
        logprobs = torch.log_softmax(logits, dim=-1).gather(-1, sequences.unsqueeze(-1)).squeeze(-1)
        results: list[tuple[list[int], list[float]]] = []
        eos = set(self.eos_ids)
        for row in range(len(batch)):
            ids = sequences[row].tolist()
            cut = len(ids)
            for i, tok in enumerate(ids):
                if tok in eos:
                    cut = i + 1  # keep the stop token, as vLLM does
                    break
            results.append((ids[:cut], logprobs[row, :cut].tolist()))
        return results

    # ------------------------------------------------------------------ weights
    def update_weights(self, named_tensors: dict[str, torch.Tensor], global_steps: Optional[int] = None) -> int:
        """Load the trainer's weights; fails loudly if names do not match (a silent mismatch = no learning)."""
        own = self.model.state_dict()
        unknown = [name for name in named_tensors if name not in own]
        if unknown:
            raise KeyError(
                f"weight sync: {len(unknown)} trainer tensors have no match in the rollout model "
                f"(first: {unknown[:3]}); trainer and rollout must load the same architecture"
            )
        with self._lock, torch.no_grad():
            for name, tensor in named_tensors.items():
                own[name].copy_(tensor.to(own[name].dtype))
        if global_steps is not None:
            self.global_steps = int(global_steps)
        self.weights_version += 1
        return len(named_tensors)

    def set_global_steps(self, global_steps: int) -> None:
        self.global_steps = int(global_steps)

    # ------------------------------------------------------------------ lifecycle (memory is not managed on CPU)
    async def wake_up(self, tags: Optional[list[str]] = None) -> None:
        return None

    async def sleep(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def clear_kv_cache(self) -> None:
        return None

    async def release_kv_cache(self) -> None:
        return None

    async def resume_kv_cache(self) -> None:
        return None

    async def wait_for_requests_to_drain(self) -> None:
        while self._queue:
            await asyncio.sleep(0.05)

    async def abort_all_requests(self, reject_request: bool = False) -> dict[str, Any]:
        return {"aborted": 0}

    async def resume_generation(self) -> None:
        return None

    async def start_profile(self, **kwargs: Any) -> None:
        return None

    async def stop_profile(self) -> None:
        return None

    def ping(self) -> str:
        return "ok"


class HFReplica(RolloutReplica):
    """One HF generation server per replica, placed on the node of the replica's first trainer worker."""

    def rollout_worker_use_gpu(self) -> bool:
        return False

    def _get_server_name_prefix(self) -> str:
        return f"{ROLLOUT_NAME}_"

    async def launch_servers(self) -> None:
        node_id = None
        if self.workers:
            node_id = await self.workers[0].__ray_call__.remote(lambda _self: ray.get_runtime_context().get_node_id())
        options: dict[str, Any] = dict(
            name=server_actor_name(self.replica_rank),
            max_concurrency=self.max_concurrency,
            num_cpus=0,
        )
        if node_id is not None:
            options["scheduling_strategy"] = ray.util.scheduling_strategies.NodeAffinitySchedulingStrategy(
                node_id=node_id, soft=False
            )
        server = (
            ray.remote(HFGenerateServer)
            .options(**options)
            .remote(config=self.config, model_config=self.model_config, replica_rank=self.replica_rank)
        )
        await server.ping.remote()
        self.servers = [server]
        self._server_handle = server
        self._server_address = server_actor_name(self.replica_rank)


class HFServerAdapter(BaseRollout):
    """Lives in each trainer worker; forwards weight updates to the replica's :class:`HFGenerateServer`."""

    def __init__(
        self,
        config: RolloutConfig,
        model_config: HFModelConfig,
        device_mesh: Any,
        replica_rank: int = -1,
    ) -> None:
        super().__init__(config, model_config, device_mesh)
        rank = int(os.environ.get("RANK", "0"))
        world = (
            self.config.tensor_model_parallel_size
            * self.config.data_parallel_size
            * self.config.pipeline_model_parallel_size
        )
        self.replica_rank = rank // world if replica_rank == -1 else replica_rank
        self.rollout_rank = rank % world
        self.is_leader_rank = self.rollout_rank == 0
        self._server: Any = None

    def _server_handle(self) -> Any:
        if self._server is None:
            self._server = ray.get_actor(server_actor_name(self.replica_rank))
        return self._server

    async def resume(self, tags: list[str]) -> None:
        return None

    async def release(self) -> None:
        return None

    @torch.no_grad()
    async def update_weights(
        self,
        weights: Generator[tuple[str, torch.Tensor], None, None],
        global_steps: Optional[int] = None,
        wire_format: str = "named_tensors",
        **kwargs: Any,
    ) -> None:
        if wire_format != "named_tensors":
            raise ValueError(f"the hf rollout accepts wire_format='named_tensors' only, got {wire_format!r}")
        collected: dict[str, torch.Tensor] = {}
        # Every rank must drain the generator (it may all-gather shards); only the leader sends.
        for name, tensor in _iterate(weights):
            if hasattr(tensor, "full_tensor"):
                tensor = tensor.full_tensor()
            if self.is_leader_rank:
                collected[name] = tensor.detach().to("cpu", copy=True)
        if self.is_leader_rank:
            await self._server_handle().update_weights.remote(collected, global_steps)

    def generate_sequences(self, prompts: Any) -> Any:
        raise NotImplementedError("the hf rollout serves the async agent loop only")


def _iterate(weights: Any) -> Generator[tuple[str, torch.Tensor], None, None]:
    if hasattr(weights, "__aiter__"):
        raise TypeError("async weight generators are not supported by the hf rollout")
    yield from weights


def register() -> None:
    """Make ``actor_rollout_ref.rollout.name=hf`` resolvable in this process (idempotent)."""
    rollout_base._ROLLOUT_REGISTRY[(ROLLOUT_NAME, "async")] = f"{__name__}.HFServerAdapter"
    RolloutReplicaRegistry.register(ROLLOUT_NAME, lambda: HFReplica)
