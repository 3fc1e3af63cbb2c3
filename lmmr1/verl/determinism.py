"""Reproducible rollouts: every sampled response gets an identity and a seed of its own.

verl 0.9.1's ``actor_rollout_ref.rollout.full_determinism`` asks for reproducible generation, but its
single-turn loop names every request ``det-{priority}``, and in the v1 trainer all ``rollout.n`` samples
of a prompt share one priority: a per-request seed taken from that name makes the n samples of a group
identical (no GRPO signal at all). lmmr1 names each sample by what verl already fixes for it: the
training step, the dataset row (``index``) and the sample's slot in its group (``session_id``).
With lmmr1's ``deterministic=true`` the HF rollout seeds each request from that name (and, for
multi-turn episodes, the turn's prompt length), and vLLM gets the same number as its per-request
``seed``, so a group's samples differ from each other and equal those of the same run repeated.

This module imports nothing heavy: the agent loops (in verl's workers) and the HF server both use it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any
from uuid import uuid4

# the name lmmr1's reproducible single-turn loop is registered under (lmmr1.verl.agent_loops); the bridge makes
# it the default loop of a deterministic run
SEEDED_SINGLE_TURN = "lmmr1_single_turn"


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()  # numpy / torch scalars from the batch
    if hasattr(value, "data") and not isinstance(value, (str, bytes)):  # tensordict NonTensorData
        inner = value.data
        return inner.item() if hasattr(inner, "item") and getattr(inner, "ndim", 1) == 0 else inner
    return value


def sample_request_id(row: Mapping[str, Any], deterministic: bool) -> str:
    """A request id for one sampled response: random, or ``det-STEP-INDEX-SLOT`` when deterministic.

    ``row`` is what verl hands an agent loop: the dataset row's fields plus ``global_steps``, ``index``
    (the row's index in the dataset) and ``session_id`` (the sample's slot among the prompt's
    ``rollout.n``). A row without an index cannot be named reproducibly, so it is refused rather than
    silently given a random id under ``deterministic=true``.
    """
    if not deterministic:
        return uuid4().hex
    missing = [key for key in ("index", "session_id") if key not in row]
    if missing:
        raise KeyError(
            f"deterministic rollout: the row has no {', '.join(missing)} (verl's agent-loop fields); "
            "run without deterministic=true or use verl's v1 trainer (trainer.use_v1=true)"
        )
    step = _plain(row.get("global_steps", -1))
    index = _plain(row["index"])
    slot = _plain(row["session_id"])
    return f"det-{step}-{index}-{slot}"


def request_seed(request_id: str, prompt_length: int, base_seed: int) -> int:
    """The sampling seed of one generation call (a 63-bit number, stable across processes and runs)."""
    text = f"{base_seed}|{request_id}|{prompt_length}".encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big") >> 1


def is_deterministic(rollout_config: Any) -> bool:
    """verl's ``rollout.full_determinism`` (what lmmr1's ``deterministic=true`` sets)."""
    return bool(getattr(rollout_config, "full_determinism", False))
