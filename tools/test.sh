#!/usr/bin/env bash
# Builds natgrad and runs the whole test suite (unit, MPI at 1/2/4 ranks, end to end).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT/build"
ctest --output-on-failure -j"$(nproc)"
