#!/usr/bin/env bash
# Run an lmmr1 curriculum on a multi-node GPU Ray cluster (8 GPUs per node).
#
#   head node:    ./ray_cluster.sh head
#   other nodes:  RAY_AUTH_TOKEN=<token printed by the head> ./ray_cluster.sh worker HEAD_IP
#   then, on the head node:
#                 ./ray_cluster.sh run +recipe=mgt_percereason scale.nnodes=2 data.root=/shared/lmmr1-data
#
# Token authentication (Ray 2.60): the head starts in token mode with the token in ~/.ray/auth_token
# (generated once if missing, or the one RAY_AUTH_TOKEN / RAY_AUTH_TOKEN_PATH names) and prints it.
# Every other node and every driver needs the same token: set RAY_AUTH_TOKEN=... there, or copy the head's
# ~/.ray/auth_token to the same place (a shared home directory already has it). lmmr1's driver
# (`ray.address=...`) switches to token mode by itself when it finds a token.
#
# Environment: GPUS_PER_NODE (8), CPUS_PER_NODE (Ray's count of cores), RAY_PORT (6379).
# Anything after the mode (head) or the head's address (worker) is passed on to `ray start`.
# Every node needs the same checkout with ./scripts/setup.sh run and the GPU extra installed
# (.venv/bin/pip install -e '.[gpu]'), and the data and model reachable at the same paths.
set -euo pipefail
cd "$(dirname "$0")/../.."
RAY=.venv/bin/ray
PORT="${RAY_PORT:-6379}"
resources=(--num-gpus="${GPUS_PER_NODE:-8}")
[ -n "${CPUS_PER_NODE:-}" ] && resources+=(--num-cpus="$CPUS_PER_NODE")

have_token() {  # RAY_AUTH_TOKEN, the file RAY_AUTH_TOKEN_PATH names, or ~/.ray/auth_token
  [ -n "${RAY_AUTH_TOKEN:-}" ] || [ -s "${RAY_AUTH_TOKEN_PATH:-$HOME/.ray/auth_token}" ]
}

case "${1:-}" in
  head)
    shift
    export RAY_AUTH_MODE="${RAY_AUTH_MODE:-token}"
    if [ "$RAY_AUTH_MODE" = token ] && ! have_token; then
      $RAY get-auth-token --generate >/dev/null  # writes ~/.ray/auth_token
    fi
    $RAY start --head --port="$PORT" "${resources[@]}" --disable-usage-stats "$@"
    if [ "$RAY_AUTH_MODE" = token ]; then
      echo "[lmmr1] token authentication is on. On every other node run:" >&2
      echo "  RAY_AUTH_TOKEN=$($RAY get-auth-token 2>/dev/null) $0 worker <this node's IP>" >&2
      echo "[lmmr1] (or copy this node's ~/.ray/auth_token to each node)" >&2
    fi ;;
  worker)
    head="${2:?usage: $0 worker HEAD_IP [ray start options]}"
    shift 2
    export RAY_AUTH_MODE="${RAY_AUTH_MODE:-token}"
    if [ "$RAY_AUTH_MODE" = token ] && ! have_token; then
      echo "[lmmr1] error: no Ray auth token on this node. Run 'ray get-auth-token' on the head and start" >&2
      echo "  this node with RAY_AUTH_TOKEN=<that token> $0 worker $head (or copy its ~/.ray/auth_token here)." >&2
      echo "  A head started with RAY_AUTH_MODE=disabled needs RAY_AUTH_MODE=disabled here too." >&2
      exit 2
    fi
    $RAY start --address="$head:$PORT" "${resources[@]}" --disable-usage-stats "$@" ;;
  run)
    shift
    # ray.address=auto joins the cluster started above; scale=paper is chosen automatically when the
    # cluster has 8 GPUs or more (pass it explicitly to be sure). Re-running the same line resumes.
    .venv/bin/python -m lmmr1.main ray.address=auto scale=paper output_dir="${OUTPUT_DIR:-runs/cluster}" "$@" ;;
  *)
    sed -n '2,18p' "$0"; exit 2 ;;
esac
