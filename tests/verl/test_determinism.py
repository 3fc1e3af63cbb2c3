"""Each rollout sample of a deterministic run has its own name and seed, the same in every run."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from lmmr1.verl.determinism import request_seed, sample_request_id


def test_samples_of_one_prompt_get_different_names_and_seeds():
    rows = [{"global_steps": 3, "index": np.int64(7), "session_id": slot, "uid": f"random-{slot}"} for slot in range(4)]
    names = [sample_request_id(row, True) for row in rows]
    assert names == ["det-3-7-0", "det-3-7-1", "det-3-7-2", "det-3-7-3"]
    seeds = {request_seed(name, 120, 42) for name in names}
    assert len(seeds) == 4
    assert request_seed("det-3-7-0", 120, 42) == request_seed("det-3-7-0", 120, 42)
    assert request_seed("det-3-7-0", 120, 42) != request_seed("det-3-7-0", 120, 43)
    assert request_seed("det-3-7-0", 121, 42) != request_seed("det-3-7-0", 120, 42)  # the next turn
    assert all(0 <= s < 2**63 for s in seeds)


def test_random_names_when_not_deterministic_and_a_clear_error_without_an_index():
    assert sample_request_id({}, False) != sample_request_id({}, False)
    with pytest.raises(KeyError, match="no index, session_id"):
        sample_request_id({"global_steps": 1}, True)


def test_the_seeded_loop_sends_its_own_name_and_seed_to_the_server():
    from lmmr1.verl.agent_loops import _NamedRequests

    calls = []

    class Client:
        other = "kept"

        async def generate(self, request_id, *, prompt_ids, sampling_params, **kwargs):
            calls.append((request_id, sampling_params, kwargs))
            return "out"

    named = _NamedRequests(Client(), "det-1-2-3", 42)
    params = {"temperature": 1.0}
    assert asyncio.run(named.generate("det-0", prompt_ids=[1, 2, 3], sampling_params=params, image_data=None)) == "out"
    assert calls == [
        ("det-1-2-3", {"temperature": 1.0, "seed": request_seed("det-1-2-3", 3, 42)}, {"image_data": None})
    ]
    assert params == {"temperature": 1.0}  # the caller's dict is not changed
    assert named.other == "kept"
