"""Rule-based rewards for LMM-R1 style training (installed as ``lmmr1.rewards``).

A reward is a plain function with verl's custom-reward signature::

    fn(data_source, solution_str, ground_truth, extra_info=None, **kwargs) -> float | dict

(a dict carries ``score`` plus named components such as ``acc`` and ``format``). Built-ins and plug-ins
are found through the ``lmmr1.rewards`` entry-point group; this package depends on nothing in lmmr1 but
the registry module, and never on torch, Ray or verl.

Built-ins: ``format``, ``math``, ``lmm_r1``, ``regex``, ``choice``, ``iou`` (one module each). A reward
declares what the scorer (``scoring.Scorer``, used by ``lmmr1 score`` and the verl adapter) may rely on
with ``@reward_contract(components=("acc", ...), fast_path=...)`` (``contract``): the numeric components
every result carries (logged as metrics; without them the scorer probes once) and a cheap, bounded fast
path (without one every call runs in the time-limited worker pool). The declaration is checked when the
module is imported; the older form, ``fn.components`` / ``fn.fast_path`` attributes, is still read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lmmr1.registry import Registry, resolve_callable

RewardFn = Callable[..., "float | dict[str, Any]"]

REWARDS: Registry[RewardFn] = Registry("reward", "lmmr1.rewards")


def get_reward(name: str) -> RewardFn:
    """Return the reward registered as ``name`` (or a ``module:function`` path)."""
    return resolve_callable(name, REWARDS)


def list_rewards() -> list[str]:
    return REWARDS.names()


def register_reward(name: str, fn: RewardFn | None = None):
    """Register a reward in this process (decorator or call); plug-ins use the entry point instead."""
    return REWARDS.register(name, fn)


__all__ = ["REWARDS", "RewardFn", "get_reward", "list_rewards", "register_reward"]
