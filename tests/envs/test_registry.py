"""Every registered lmmr1 environment passes gymnasium's checker (tests generated from the registry)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import lmmr1.envs
from lmmr1.envs import register_envs

ENV_IDS = sorted(env_id for env_id in gym.registry if env_id.startswith("lmmr1/"))

# extra constructor settings worth checking too, per id (the defaults are always checked)
VARIANTS = {
    "lmmr1/Sokoban-v0": [
        {"obs_mode": "text", "render_mode": "ansi"},
        {"obs_mode": "both", "dim_room": (9, 8), "num_boxes": 3},
    ],
    "lmmr1/Football-v0": [{"scenario": "11_vs_11", "render_mode": "rgb_array"}, {"scenario": "5_vs_5"}],
}
CASES = [(env_id, {}) for env_id in ENV_IDS] + [(env_id, kw) for env_id in ENV_IDS for kw in VARIANTS.get(env_id, [])]


def test_import_registers_both_ids_idempotently():
    assert {"lmmr1/Sokoban-v0", "lmmr1/Football-v0"} <= set(ENV_IDS)
    assert set(register_envs()) == set(lmmr1.envs.ENV_SPECS)  # a second call is a no-op
    assert set(register_envs()) == set(lmmr1.envs.ENV_SPECS)


@pytest.mark.parametrize("env_id,kwargs", CASES, ids=[f"{i}-{sorted(k.items())}" for i, k in CASES])
def test_check_env(env_id, kwargs):
    env = gym.make(env_id, **kwargs)
    with _no_warnings():
        check_env(env.unwrapped)
    env.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_has_gymnasium_style_docstring(env_id):
    cls = gym.spec(env_id).entry_point
    module, _, name = cls.partition(":")
    env_cls = getattr(__import__(module, fromlist=[name]), name)
    for section in ("## Description", "## Action Space", "## Observation Space", "## Rewards", "## Episode End"):
        assert section in env_cls.__doc__, f"{env_cls.__name__} docstring lacks {section}"


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_same_seed_same_rollout(env_id):
    def rollout(seed):
        env = gym.make(env_id)
        env.action_space.seed(seed)
        obs, _ = env.reset(seed=seed)
        frames = [_flat(obs)]
        for _ in range(30):
            obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            frames.append(_flat(obs) + [reward])
            if terminated or truncated:
                break
        return frames

    assert rollout(5) == rollout(5)


def _flat(obs):
    if isinstance(obs, dict):
        return [np.asarray(obs[k]).tobytes() for k in sorted(obs)]
    return [np.asarray(obs).tobytes()]


class _no_warnings:
    """Fail on warnings from the checker (it reports API problems as warnings)."""

    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings(record=True)
        self._log = self._ctx.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        self._ctx.__exit__(*exc)
        problems = [
            str(w.message) for w in self._log if "gymnasium" in (w.filename or "") or "env" in str(w.message).lower()
        ]
        assert not problems, problems
        return False
