#!/usr/bin/env bash
# Install Google Research Football (gfootball) into lmmr1's .venv on a Debian/Ubuntu machine, for
# `lmmr1/Football-v0` with engine="gfootball".
#
#   ./scripts/install_gfootball.sh            # system packages (apt, needs root or sudo), then the build
#
# What it does, and why:
# * GRF's C++ engine needs SDL2, Boost, OpenGL (Mesa) and CMake: installed from the distribution;
# * gfootball has no wheel for current Pythons: pip builds it from source (about 11 minutes on 2 cores);
#   its build script calls the system `python3` to find Python, so that python3 must see the same headers:
#   the build is run with .venv/bin first on PATH;
# * gfootball imports `six` without declaring it: installed alongside;
# * gfootball still speaks the old `gym` API; lmmr1 drives GRF's core environment class, not its gym wrapper.
#
# Not run by CI (no display, ~11 minutes). Status: the adapter behind engine="gfootball" is tracked in
# issue 13; until then lmmr1/Football-v0 refuses engine="gfootball" even when this succeeds.
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
PATH="$PWD/.venv/bin:$PATH" .venv/bin/python -m pip install six "gfootball==2.10.2"
.venv/bin/python -c "import gfootball; print('gfootball', gfootball.__file__)"
