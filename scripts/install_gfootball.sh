#!/usr/bin/env bash
# Install Google Research Football (gfootball) into lmmr1's .venv on a Debian/Ubuntu machine, for
# `lmmr1/Football-v0` with engine="gfootball".
#
#   ./scripts/install_gfootball.sh            # system packages (apt, needs root or sudo), then the build
#
# What it does, and why:
# * GRF's C++ engine needs SDL2, Boost, OpenGL (Mesa) and CMake: installed from the distribution (xvfb too,
#   for GRF's own 3D render, which needs a display; lmmr1 draws its 2D frame from GRF's positions without one);
# * gfootball has no wheel for current Pythons: pip builds it from source (about 5 minutes on 2 cores);
# * its build script runs `python3 -c "import psutil"` to choose its parallelism: pip's isolated build
#   environment hides .venv's packages from that python3, so the build runs with --no-build-isolation and
#   .venv/bin first on PATH, its build and run dependencies installed first under lmmr1's pins;
# * gfootball imports `six` without declaring it: installed alongside;
# * gfootball still speaks the old `gym` API (gym 0.26.2 is installed for its imports); lmmr1 drives GRF's
#   core class, not its gym wrapper (whose 4-value step() gym 0.26's wrappers reject).
#
# Not run by CI (~5-minute build). Checked here on Debian 12 / Python 3.11 with gfootball 2.10.2, the version
# lmmr1's adapter (envs/football/gfootball_engine.py) checks for; then
#   .venv/bin/python -m pytest tests/envs/test_football_gfootball.py
# compares lmmr1/Football-v0 (engine="gfootball") with GRF's own environment step by step.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  echo "install_gfootball: run ./scripts/setup.sh first (no .venv here)" >&2
  exit 1
fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
  git cmake build-essential libgl1-mesa-dev libsdl2-dev libsdl2-image-dev libsdl2-ttf-dev \
  libsdl2-gfx-dev libboost-all-dev libdirectfb-dev mesa-utils xvfb
# GRF's build script asks `python3 -c "import psutil"` for its parallelism: pip's isolated build
# environment hides .venv's packages from that python3, so the build runs without isolation, with its
# build and run dependencies installed first under lmmr1's pins (numpy stays at lmmr1's version).
PIP=(.venv/bin/python -m pip install -c requirements/constraints.txt)
"${PIP[@]}" six psutil wheel setuptools absl-py scipy "gym==0.26.2" pygame
PATH="$PWD/.venv/bin:$PATH" "${PIP[@]}" --no-build-isolation "gfootball==2.10.2"
.venv/bin/python -c "import gfootball; print('gfootball', gfootball.__file__)"
