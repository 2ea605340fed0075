#!/usr/bin/env bash
# Steps per second of an LDA fit as the vocabulary grows at a fixed minibatch:
# for V = 10^4, 10^5, 10^6, draws a corpus with `natgrad synth lda` (K = 100,
# 20 minibatches of 256 documents of ~100 tokens), runs STEPS steps on RANKS
# ranks with K = 100 and prints the training time per step (evaluation, start
# and file writing excluded: the model file's /solver train_seconds), and the
# distinct words in 256 documents (the columns of λ a step touches; the
# documents are drawn independently, so any 256 of them will do). Then the
# same for the documents drawn at V = 10^4 with their word ids spread over a
# vocabulary of V words: the same work for every V but the size of λ.
# usage: bash tools/bench/vocab_scaling.sh [RANKS] [STEPS] [FIT OPTIONS...]   (after tools/setup.sh has built
#        natgrad; NATGRAD=path/to/natgrad to time another build; e.g. --solver.schedule adaptive: options
#        added to each fit)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
NP=${1:-2}
STEPS=${2:-20}
shift $(($# < 2 ? $# : 2))
OPTIONS=("$@")
NATGRAD="${NATGRAD:-$ROOT/build/natgrad}"
PYTHON="${NATGRAD_PYTHON:-python3}"
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
# Training seconds per step of STEPS steps on corpus.h5, and the distinct words of its minibatches.
measure() {
  mpirun -np "$NP" "$NATGRAD" fit --model.topics 100 --data.train corpus.h5 --solver.batch_size 256 \
    --solver.max_steps "$STEPS" --eval.every_steps 0 --output.model model.h5 ${OPTIONS[@]+"${OPTIONS[@]}"} >fit.log
  "$PYTHON" - "$1" "$STEPS" <<'PY'
import sys, h5py, numpy as np
v, steps = sys.argv[1], int(sys.argv[2])
with h5py.File("model.h5", "r") as f:
    seconds = float(f["/solver"].attrs["train_seconds"])
with h5py.File("corpus.h5", "r") as f:
    indptr, indices = f["indptr"][:], f["indices"][:]
words = np.mean([np.unique(indices[indptr[256 * i]:indptr[256 * (i + 1)]]).size for i in range(20)])
print(f"{v:>9}  {seconds / steps:10.4f}  {steps / seconds:9.2f}  {words:11.0f}")
PY
  rm -f model.h5
}

echo "K = 100, batch 256 documents of ~100 tokens, $NP ranks, $STEPS steps; $NATGRAD ${OPTIONS[*]:-}"
echo "Documents drawn at each V (their topics spread over more words as V grows):"
printf '%9s  %10s  %9s  %11s\n' V "s/step" "steps/s" "words/step"
for V in 10000 100000 1000000; do
  "$NATGRAD" synth lda --topics 100 --vocab "$V" --docs $((20 * 256)) --doc-length 100 --seed 1 \
    --out corpus.h5 >/dev/null
  [ "$V" = 10000 ] && cp corpus.h5 base.h5
  measure "$V"
done

echo "The documents drawn at V = 10^4, their word ids spread over V words (an increasing map into [0, V)):"
printf '%9s  %10s  %9s  %11s\n' V "s/step" "steps/s" "words/step"
for V in 10000 100000 1000000; do
  "$PYTHON" - "$V" <<'PY'
import sys, h5py, numpy as np
v = int(sys.argv[1])
with h5py.File("base.h5", "r") as src, h5py.File("corpus.h5", "w") as dst:
    old_v = int(src.attrs["vocab_size"])
    new_id = np.sort(np.random.default_rng(0).choice(v, size=old_v, replace=False))
    for name in ("indptr", "counts", "doc_ids"):
        src.copy(name, dst)
    dst["indices"] = new_id[src["indices"][:]].astype(np.int32)
    dst.create_dataset("vocab", data=[f"w{i}" for i in range(v)], dtype=h5py.string_dtype("utf-8"))
    for key, value in src.attrs.items():
        dst.attrs[key] = value
    dst.attrs["vocab_size"] = np.int64(v)
PY
  measure "$V"
done
