#!/usr/bin/env bash
# Installs what natgrad needs (Debian/Ubuntu packages, only the missing ones)
# and builds it in build/. Idempotent. Sourced by tools/demo.sh and tools/test.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

PACKAGES=(build-essential cmake openmpi-bin libopenmpi-dev libeigen3-dev libhdf5-dev hdf5-tools
  libboost-program-options-dev librandom123-dev zlib1g-dev libgtest-dev
  python3 python3-h5py python3-numpy python3-matplotlib python3-scipy ${NATGRAD_EXTRA_PACKAGES:-})

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "natgrad setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# OpenMPI refuses to run as root without these; more ranks than cores is fine for tests and demos.
if [ "$(id -u)" = 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMPI_MCA_rmaps_base_oversubscribe=1

# The Python that has h5py and numpy: the first python3 on PATH, else Debian's.
NATGRAD_PYTHON=""
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c "import h5py, numpy" 2>/dev/null; then
    NATGRAD_PYTHON="$(command -v "$candidate")"
    break
  fi
done
[ -n "$NATGRAD_PYTHON" ] || { echo "natgrad setup: no Python imports h5py and numpy" >&2; exit 1; }
export NATGRAD_PYTHON

cmake -S "$ROOT" -B "$ROOT/build" -DCMAKE_BUILD_TYPE=Release -DNATGRAD_PYTHON="$NATGRAD_PYTHON" >/dev/null
cmake --build "$ROOT/build" -j"$(nproc)"
