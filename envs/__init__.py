"""Gymnasium environments for LMM-R1 agent tasks (installed as ``lmmr1.envs``).

``import lmmr1.envs`` registers:

* ``lmmr1/Sokoban-v0`` - Sokoban with generated (reverse-play) or XSB levels, image and/or XSB observations;
* ``lmmr1/Football-v0`` - a light 2D football game with Google Research Football's action set.

Registration is idempotent (``register_envs()`` may be called again).
Only gymnasium, numpy and Pillow are needed; environment modules are imported lazily by ``gym.make``.
"""

from __future__ import annotations

import gymnasium as gym

#: id -> (entry point, default kwargs, max_episode_steps)
ENV_SPECS: dict[str, tuple[str, dict, int | None]] = {
    "lmmr1/Sokoban-v0": ("lmmr1.envs.sokoban:SokobanEnv", {}, None),  # the env truncates at max_steps itself
    "lmmr1/Football-v0": ("lmmr1.envs.football:FootballEnv", {}, None),
}


def register_envs() -> list[str]:
    """Register lmmr1's environments with gymnasium (no-op for ids already registered); returns the ids."""
    for env_id, (entry_point, kwargs, max_steps) in ENV_SPECS.items():
        if env_id in gym.registry:
            continue
        gym.register(id=env_id, entry_point=entry_point, kwargs=dict(kwargs), max_episode_steps=max_steps)
    return list(ENV_SPECS)


def list_envs() -> list[str]:
    return sorted(ENV_SPECS)


register_envs()

__all__ = ["ENV_SPECS", "list_envs", "register_envs"]
