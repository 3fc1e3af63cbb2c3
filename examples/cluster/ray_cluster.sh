#!/usr/bin/env bash
# Run an lmmr1 curriculum on a multi-node GPU Ray cluster (8 GPUs per node).
#
#   head node:    ./ray_cluster.sh head
#   other nodes:  ./ray_cluster.sh worker HEAD_IP
#   then, on the head node:
#                 ./ray_cluster.sh run +recipe=mgt_percereason scale.nnodes=2 data.root=/shared/lmmr1-data
#
# Every node needs the same checkout with ./scripts/setup.sh run and the GPU extra installed
# (.venv/bin/pip install -e '.[gpu]'), and the data and model reachable at the same paths.
set -euo pipefail
cd "$(dirname "$0")/../.."
RAY=.venv/bin/ray
case "${1:-}" in
  head)
    $RAY start --head --port=6379 --num-gpus="${GPUS_PER_NODE:-8}" --disable-usage-stats ;;
  worker)
    $RAY start --address="${2:?head IP}:6379" --num-gpus="${GPUS_PER_NODE:-8}" --disable-usage-stats ;;
  run)
    shift
    # ray.address=auto joins the cluster started above; scale=paper is chosen automatically when the
    # cluster has GPUs (pass it explicitly to be sure). Re-running the same line resumes.
    .venv/bin/python -m lmmr1.main ray.address=auto scale=paper output_dir="${OUTPUT_DIR:-runs/cluster}" "$@" ;;
  *)
    sed -n '2,12p' "$0"; exit 2 ;;
esac
