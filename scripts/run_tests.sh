#!/usr/bin/env bash
# Install everything the tests need and run them: the README's test command and what CI runs.
#   - a virtual environment (.venv, or $MIRLOC_VENV) with requirements-dev.txt: the system's Python packages are
#     left untouched (torch is pinned to the CPU build that lies on the machine);
#   - Debian's chromium for the real-browser tests (apt, only when /usr/bin/chromium is missing);
#   - glam2 (the MEME suite's gapped motif finder, Debian) for the motif tests, when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1
venv="${MIRLOC_VENV:-.venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q -r requirements-dev.txt
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v glam2 >/dev/null 2>&1 || missing+=(glam2)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$PWD/.cache/numba}"
exec "$venv/bin/python" -m pytest "$@"
