#!/usr/bin/env bash
# Cost of a checkpoint: K = 100 on the Debian-descriptions corpus (the largest
# shared corpus), the same steps without checkpoints and with one after every
# step; prints seconds per checkpoint, file size, and the share of run time at
# the default interval (checkpoint.every_seconds = 600).
# usage: bash tools/bench/checkpoint_cost.sh [RANKS] [STEPS]   (after tools/setup.sh has built natgrad)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
NP=${1:-2}
STEPS=${2:-40}
DATA="$ROOT/../shared/data/debdesc"
NATGRAD=${NATGRAD:-$ROOT/build/natgrad}
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
"$NATGRAD" convert uci "$DATA/docword.debdesc.txt.gz" "$DATA/vocab.debdesc.txt" --out debdesc.h5 >/dev/null
JOB=(--model.topics 100 --data.train debdesc.h5 --solver.max_steps "$STEPS" --eval.every_steps 0)
seconds() { grep -o '([0-9.]* s training)' "$1" | tr -dc '0-9.'; }
mpirun -np "$NP" "$NATGRAD" fit "${JOB[@]}" --output.model none.h5 > none.log
mpirun -np "$NP" "$NATGRAD" fit "${JOB[@]}" --checkpoint.path ck --checkpoint.every_steps 1 --output.model every.h5 > every.log
wall() { grep -o 'epochs, [0-9.]* s' "$1" | tr -dc '0-9.' | sed 's/^\.//'; }
"${NATGRAD_PYTHON:-python3}" - "$(wall none.log)" "$(wall every.log)" "$STEPS" "$(stat -c %s ck/$(ls ck | tail -1))" "$NP" <<'PY'
import sys
none, every, steps, size, np_ = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
per = (every - none) / steps
print(f"debdesc, K = 100, {np_} ranks, {steps} steps: {none:.2f} s without checkpoints, {every:.2f} s with one per step")
print(f"one checkpoint: {per:.3f} s, {size / 1e6:.1f} MB; at checkpoint.every_seconds = 600: {100 * per / 600:.4f} % of run time")
PY
