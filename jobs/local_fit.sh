#!/usr/bin/env bash
# Runs a job of jobs/ on this machine with N ranks: converts the corpus (once;
# one document in ten held out) into build/jobs/NAME/, then fits with
# --restart auto, so running it again after an interruption continues the run.
# usage: bash jobs/local_fit.sh NAME [RANKS] [--section.key value ...]
#   NAME: kos (shipped in jobs/data), ap, nips, cora, debdesc (from ../shared/data),
#         synthetic (drawn by `natgrad synth lda`, see jobs/synthetic.ini),
#         digits (a Gaussian mixture of ../shared/data/digits) or synthetic_gmm
#         (drawn by `natgrad synth gmm`, see jobs/synthetic_gmm.ini)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NAME=${1:?usage: bash jobs/local_fit.sh NAME [RANKS] [--section.key value ...]}
RANKS=${2:-2}
shift $(( $# >= 2 ? 2 : 1 ))
NATGRAD=${NATGRAD:-$ROOT/build/natgrad}
[ -x "$NATGRAD" ] || { echo "build natgrad first: bash tools/setup.sh" >&2; exit 1; }
DATA="$ROOT/jobs/data/$NAME"
[ -d "$DATA" ] || DATA="$ROOT/../shared/data/$NAME"
case "$NAME" in
  synthetic | synthetic_gmm) ;;
  digits) [ -f "$DATA/digits.csv.gz" ] || { echo "no $DATA/digits.csv.gz" >&2; exit 1; } ;;
  *) [ -f "$DATA/docword.$NAME.txt.gz" ] || { echo "no corpus $NAME in jobs/data or ../shared/data" >&2; exit 1; } ;;
esac
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OMPI_MCA_rmaps_base_oversubscribe=1
WORK="$ROOT/build/jobs/$NAME"
mkdir -p "$WORK"
cd "$WORK"
if [ ! -f "$NAME.h5" ]; then
  SPLIT=(--split-every 10 --heldout-out "${NAME}_test.h5")
  case "$NAME" in
    synthetic) "$NATGRAD" synth lda --topics 100 --vocab 100000 --docs 1020000 --doc-length 101 --alpha 0.1 \
      --eta 0.01 --seed 1 --out synthetic.h5 --split-every 100 --heldout-out synthetic_test.h5 ;;
    synthetic_gmm) "$NATGRAD" synth gmm --components 10 --dim 10 --points 1000000 --seed 1 \
      --out synthetic_gmm.h5 "${SPLIT[@]}" ;;
    digits) "$NATGRAD" convert csv "$DATA/digits.csv.gz" --label-column last --out digits.h5 "${SPLIT[@]}" ;;
    *) "$NATGRAD" convert uci "$DATA/docword.$NAME.txt.gz" "$DATA/vocab.$NAME.txt" --out "$NAME.h5" "${SPLIT[@]}" ;;
  esac
fi
mpirun -np "$RANKS" "$NATGRAD" fit --config "$ROOT/jobs/$NAME.ini" --restart auto "$@"
