"""Anchor states: what makes two turns of different episodes "the same situation" (GiGPO's step groups).

An environment takes part by defining ``anchor_key() -> str | None`` on its (unwrapped) env: a string that is
equal for two states exactly when a policy should be credited against the same baseline there. lmmr1's
``Sokoban-v0`` returns the board (exact state), ``Football-v0`` a grid cell key (documented on its method).
An environment without the method, or a key of ``None``, puts every turn in a group of its own, so GiGPO gives
it the episode-level advantage only. The agent loops record the key before each model turn
(``extra_fields["turn_anchors"]``) when the loop's ``anchor`` setting is on.
"""

from __future__ import annotations

from typing import Any, Optional, Protocol, runtime_checkable


@runtime_checkable
class AnchorKeyed(Protocol):
    """An environment that names its current state for GiGPO."""

    def anchor_key(self) -> Optional[str]: ...


def anchor_key(env: Any) -> Optional[str]:
    """The env's anchor key, or None when it has none (unwrapping gymnasium wrappers first)."""
    base = getattr(env, "unwrapped", env)
    if isinstance(base, AnchorKeyed):
        key = base.anchor_key()
        return None if key is None else str(key)
    return None
