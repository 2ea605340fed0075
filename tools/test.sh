#!/usr/bin/env bash
# Builds natgrad and runs the whole test suite: unit, MPI at 1/2/4 ranks and
# end to end in the release build (build/), then all of them again in a clang
# build with AddressSanitizer and UndefinedBehaviorSanitizer (build-san/),
# which also runs each libFuzzer target for a few seconds.
set -euo pipefail
export NATGRAD_EXTRA_PACKAGES="clang libclang-rt-dev libomp-dev"
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT/build"
ctest --output-on-failure -j"$(nproc)"
echo
echo "== sanitizer build (ASan + UBSan, fuzz targets) in build-san/"
# Line tables are all the sanitizers' reports need (file and line of each frame); full debug information
# would only make the build slower.
cmake -S "$ROOT" -B "$ROOT/build-san" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -gline-tables-only -DNDEBUG" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -gline-tables-only -DNDEBUG" -DNATGRAD_SANITIZE=ON -DNATGRAD_FUZZ=ON \
  -DNATGRAD_PYTHON="$NATGRAD_PYTHON" >/dev/null
cmake --build "$ROOT/build-san" -j"$(nproc)"
cd "$ROOT/build-san"
ctest --output-on-failure -j"$(nproc)"
