"""The driver's side of a Ray cluster: join it (token authentication included), check that a stage's
placement fits before verl asks for it, and say what Ray is waiting for while it waits.

Why this exists: Ray 2.60 turns token authentication on for a ``ray start --head`` cluster whenever a token
is on the head machine, but a driver given an explicit address connects in token mode only when
``RAY_AUTH_MODE=token`` is set; without it the driver retries for 30 s and fails with a traceback. And verl
asks for its placement groups (one per node, ``gpus_per_node`` bundles of ``{GPU: 1, CPU: 3}``) with
``ray.get(pg.ready())``, which waits forever, without a word, when no node can hold them.

Written for and checked against Ray 2.60 (``RAY_AUTH_MODE``, ``RAY_AUTH_TOKEN``, ``RAY_AUTH_TOKEN_PATH``,
``~/.ray/auth_token``) and verl 0.9.1 (``ResourcePoolManager.max_colocate_count``, STRICT_PACK per node).
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from lmmr1.errors import UserError

RAY_VERSIONS = ("2.60.",)  # the token-auth behaviour below was read from these releases
AUTH_MODE_ENV = "RAY_AUTH_MODE"
TOKEN_ENV = "RAY_AUTH_TOKEN"
TOKEN_PATH_ENV = "RAY_AUTH_TOKEN_PATH"
DEFAULT_TOKEN_PATH = Path("~/.ray/auth_token")
TOKEN_HELP = (
    "Ray clusters started with `ray start --head` use token authentication when the head has a token "
    "(~/.ray/auth_token). Give this machine the same token: copy the head's ~/.ray/auth_token here, or set "
    "RAY_AUTH_TOKEN=<the output of `ray get-auth-token` on the head> (or RAY_AUTH_TOKEN_PATH=FILE); lmmr1 then "
    "connects in token mode. See examples/cluster/ray_cluster.sh."
)


class ClusterError(UserError, RuntimeError):
    """The cluster cannot run the stage as configured; the message says what is short and what sizes it."""


def token_source() -> Optional[str]:
    """Where a Ray auth token for this process comes from (env var, token file), or None."""
    if os.environ.get(TOKEN_ENV, "").strip():
        return f"${TOKEN_ENV}"
    path_env = os.environ.get(TOKEN_PATH_ENV, "").strip()
    if path_env:
        path = Path(path_env).expanduser()
        return f"{path} (${TOKEN_PATH_ENV})" if path.is_file() else None
    default = DEFAULT_TOKEN_PATH.expanduser()
    return str(default) if default.is_file() and default.read_text(errors="replace").strip() else None


def prepare_token_auth() -> Optional[str]:
    """Connect in token mode when a token is available and ``RAY_AUTH_MODE`` is unset; returns the token's source.

    An explicit ``RAY_AUTH_MODE`` (``disabled`` or ``token``) is the user's choice and is left alone. Token mode
    towards a cluster without authentication is harmless (the token is simply not checked).
    """
    if os.environ.get(AUTH_MODE_ENV):
        return None
    source = token_source()
    if source is None:
        return None
    os.environ[AUTH_MODE_ENV] = "token"  # inherited by anything this process starts
    _refresh_ray_config()
    return source


def _refresh_ray_config() -> None:
    """Ray caches its config (auth mode included) when it is first read; re-read it from the environment."""
    import ray

    if not ray.__version__.startswith(RAY_VERSIONS):
        # a newer Ray: the environment variable alone is the documented switch; nothing private is touched
        return
    from ray._raylet import Config  # Ray 2.60: what ray._private.authentication's _enable_token_auth does

    Config.initialize("")


def connect(address: str, **init_kwargs: Any) -> None:
    """``ray.init(address=...)`` that joins token-auth clusters and fails with one line that says how to fix it."""
    import ray

    prepare_token_auth()
    try:
        ray.init(address=address, **init_kwargs)
    except Exception as exc:  # Ray wraps the cause in ConnectionError / RuntimeError
        text = _cause_text(exc)
        if "AuthenticationError" in text or "InvalidAuthToken" in text or "Unauthenticated" in text:
            mode = os.environ.get(AUTH_MODE_ENV, "unset")
            raise ClusterError(
                f"ray.address={address}: the cluster refused this driver's authentication (RAY_AUTH_MODE={mode}, "
                f"token: {token_source() or 'none found'}). {TOKEN_HELP}"
            ) from None
        if isinstance(exc, (ConnectionError, RuntimeError, ValueError)):
            raise ClusterError(
                f"ray.address={address}: cannot join a Ray cluster there ({_first_line(exc)}). Start one with "
                "`ray start --head` (examples/cluster/ray_cluster.sh head), check host and port, or drop "
                "ray.address to run on a Ray of this machine's own."
            ) from None
        raise


def _cause_text(exc: BaseException) -> str:
    parts = []
    seen = 0
    while exc is not None and seen < 6:
        parts.append(f"{type(exc).__name__}: {exc}")
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
        seen += 1
    return "\n".join(parts)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


# ------------------------------------------------------------------------------------------ placement
@dataclass(frozen=True)
class PlacementDemand:
    """What verl's trainer pool asks of the cluster: ``nnodes`` placement groups of ``gpus_per_node`` bundles,
    each group packed on one node (STRICT_PACK); a node large enough may hold several groups."""

    nnodes: int
    gpus_per_node: int
    cpus_per_gpu: int  # 3 for verl's PPO trainer pool, 10 for its SFT trainer (see verl_cpus_per_gpu)
    resource: str = "GPU"

    def per_node(self) -> dict[str, float]:
        return {self.resource: self.gpus_per_node, "CPU": self.gpus_per_node * self.cpus_per_gpu}


@dataclass(frozen=True)
class NodeOffer:
    node_id: str
    address: str
    available: dict[str, float]

    def capacity(self, need: dict[str, float]) -> int:
        """How many groups of ``need`` this node can hold at once."""
        counts = [int((self.available.get(k, 0.0) + 1e-9) // v) for k, v in need.items() if v > 0]
        return min(counts) if counts else 0

    def describe(self, keys: tuple[str, ...]) -> str:
        have = ", ".join(f"{_num(self.available.get(k, 0.0))} {k}" for k in keys)
        return f"{self.address} ({self.node_id[:8]}): {have}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def verl_cpus_per_gpu(sft: bool = False) -> int:
    """CPUs verl reserves beside each GPU worker: its PPO trainer's ``ResourcePoolManager.max_colocate_count``
    (3 in verl 0.9.1), or for the SFT trainer, which builds a ``RayResourcePool`` directly, that class's
    default (10 in verl 0.9.1). Read from verl itself, so a new verl's figures are checked, not assumed."""
    import inspect

    from verl.single_controller.ray.base import RayResourcePool, ResourcePoolManager

    if sft:
        return int(inspect.signature(RayResourcePool.__init__).parameters["max_colocate_count"].default)
    return int(ResourcePoolManager.__dataclass_fields__["max_colocate_count"].default)


def demand_of(verl_cfg: Any) -> PlacementDemand:
    from lmmr1.verl.bridge import is_sft_config

    return PlacementDemand(
        nnodes=int(verl_cfg.trainer.nnodes),
        gpus_per_node=int(verl_cfg.trainer.n_gpus_per_node),
        cpus_per_gpu=verl_cpus_per_gpu(sft=is_sft_config(verl_cfg)),
    )


def node_offers() -> list[NodeOffer]:
    """Every alive node with what it has free now (Ray's own per-node accounting)."""
    import ray

    free = ray._private.state.available_resources_per_node()  # Ray 2.x; verl's own check reads the same
    offers = []
    for node in ray.nodes():
        if not node.get("Alive"):
            continue
        node_id = node["NodeID"]
        offers.append(NodeOffer(node_id, str(node.get("NodeManagerAddress", "?")), dict(free.get(node_id, {}))))
    return offers


def placement_shortfall(demand: PlacementDemand, offers: list[NodeOffer]) -> Optional[str]:
    """None when ``demand`` fits the offers (one group per node), else a line naming what is short."""
    need = demand.per_node()
    room = sum(o.capacity(need) for o in offers)
    if room >= demand.nnodes:
        return None
    keys = (demand.resource, "CPU")
    listing = "; ".join(o.describe(keys) for o in offers) or "no alive nodes"
    return (
        f"the stage needs {demand.nnodes} worker group(s) of {_num(need[demand.resource])} {demand.resource} and "
        f"{_num(need['CPU'])} CPU, each group on one node (scale.nnodes={demand.nnodes}, "
        f"scale.gpus_per_node={demand.gpus_per_node} workers per group, verl reserves {demand.cpus_per_gpu} CPUs "
        f"beside each), but the {len(offers)} node(s) can hold {room}. "
        f"Free now: {listing}. Lower scale.nnodes / scale.gpus_per_node, start the nodes with more "
        "--num-cpus / --num-gpus, or add ray.wait_for_resources=true on an autoscaling cluster."
    )


def check_placement(verl_cfg: Any, stage: str, wait: bool) -> None:
    """Fail before verl creates its worker groups when the cluster cannot place them (or say we wait)."""
    problem = placement_shortfall(demand_of(verl_cfg), node_offers())
    if problem is None:
        return
    if not wait:
        raise ClusterError(f"stage {stage}: {problem}")
    print(f"[lmmr1] stage {stage}: waiting for resources (ray.wait_for_resources=true): {problem}", file=sys.stderr)


class PendingPlacementWatch:
    """While a stage runs: once a minute, name the placement groups Ray has not placed yet and what they need.

    verl waits on ``pg.ready()`` without a timeout; this keeps a legitimate wait (an autoscaler adding nodes,
    another job finishing) visible instead of a silent "0/20 steps".
    """

    def __init__(self, stage: str, every_s: float = 60.0) -> None:
        self.stage = stage
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lmmr1-placement-watch", daemon=True)
        self.reported: list[str] = []

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                line = self.pending_line()
            except Exception:  # the session is going away; nothing to report
                return
            if line:
                self.reported.append(line)
                print(f"\n[lmmr1] stage {self.stage}: {line}", file=sys.stderr, flush=True)

    @staticmethod
    def pending_line() -> Optional[str]:
        from ray.util import placement_group_table

        pending = [pg for pg in placement_group_table().values() if pg.get("state") == "PENDING"]
        if not pending:
            return None
        parts = []
        for pg in pending[:4]:
            bundles = list((pg.get("bundles") or {}).values())
            shape = ", ".join(
                sorted({"{" + ", ".join(f"{k}: {_num(v)}" for k, v in sorted(b.items())) + "}" for b in bundles})
            )
            parts.append(f"{pg.get('name') or pg.get('placement_group_id', '?')[:8]} ({len(bundles)} x {shape})")
        offers = "; ".join(o.describe(("GPU", "CPU")) for o in node_offers())
        return f"waiting for Ray to place {', '.join(parts)}; free now: {offers}"
