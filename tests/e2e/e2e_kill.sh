# A job killed with SIGKILL at random instants (some of them while a
# checkpoint is being written) and resubmitted each time with --restart auto
# ends with exactly the λ of an uninterrupted run, for a model type (argument:
# lda, on the Cora corpus, at least 20 kills, 3 of them during a write; gmm, on
# the digits data, or hpf, on the dependencies in the first 20,000 lines of the
# Debian packages', at least 8 kills, 2 of them during a write). In the
# sanitizer build: at least 5 kills (lda) or 3 (gmm, hpf), wherever they land,
# in a run of a quarter of the steps.
source "$(dirname "$0")/common.sh"
MODEL=${1:-lda}
DATA="${NATGRAD_SHARED_DATA:-}"
cd "$WORK"
STEPS=250
if [ "$MODEL" = gmm ]; then
  [ -f "$DATA/digits/digits.csv.gz" ] || skip "shared data not found at $DATA"
  "$NATGRAD" convert csv "$DATA/digits/digits.csv.gz" --label-column last --out train.h5 >/dev/null
  JOB=(--model.type gmm --model.components 20 --solver.batch_size 32)
  MIN_KILLS=8 MIN_DURING_WRITE=2 STEPS=200
elif [ "$MODEL" = hpf ]; then
  [ -f "$DATA/debdeps/triples.debdeps.tsv.gz" ] || skip "shared data not found at $DATA"
  { zcat "$DATA/debdeps/triples.debdeps.tsv.gz" || true; } | head -n 20000 > debdeps.tsv  # (zcat: SIGPIPE)
  "$NATGRAD" convert triples debdeps.tsv --out train.h5 >/dev/null
  JOB=(--model.type hpf --model.factors 20 --solver.batch_size 64)
  MIN_KILLS=8 MIN_DURING_WRITE=2 STEPS=200
else
  [ -f "$DATA/cora/docword.cora.txt.gz" ] || skip "shared corpora not found at $DATA"
  "$NATGRAD" convert uci "$DATA/cora/docword.cora.txt.gz" "$DATA/cora/vocab.cora.txt" --out train.h5 >/dev/null
  # K = 200 makes each checkpoint (4.7 MB, synced to disk) a large share of a step.
  JOB=(--model.topics 200 --solver.batch_size 32)
  MIN_KILLS=20 MIN_DURING_WRITE=3
fi
if [ -n "${NATGRAD_SANITIZED:-}" ]; then
  MIN_DURING_WRITE=0 STEPS=$((STEPS / 4))
  [ "$MODEL" = lda ] && MIN_KILLS=5 || MIN_KILLS=3
fi
JOB+=(--data.train train.h5 --solver.max_steps "$STEPS" --solver.seed 9 --eval.every_steps 0)
KILLED=(--checkpoint.path ck --checkpoint.keep 3 --restart auto --output.model killed.h5)
# Checkpoints change nothing in the run: the uninterrupted one writes none.
timeout 600 "$MPIEXEC" -np 2 "$NATGRAD" fit "${JOB[@]}" --output.model straight.h5 >/dev/null
newest_step() { { ls ck 2>/dev/null || true; } | sed -n 's/^ckpt-0*\([0-9][0-9]*\)\.h5$/\1/p' | sort -n | tail -1; }

RANDOM=2024
kills=0
during_write=0
while [ "$kills" -lt "$MIN_KILLS" ] || [ "$during_write" -lt "$MIN_DURING_WRITE" ]; do
  [ "$kills" -lt 150 ] || fail "only $during_write of $kills kills landed during a checkpoint write"
  "$MPIEXEC" -np 2 "$NATGRAD" fit "${JOB[@]}" "${KILLED[@]}" --checkpoint.every_steps 1 > run.log 2>&1 &
  pid=$!
  # Kill at a random instant soon after the run has made progress (a new
  # checkpoint), whatever the machine's or the sanitizers' speed: about 50
  # kills would be needed to finish the 250 steps of lda.
  before=$(newest_step)
  while kill -0 "$pid" 2>/dev/null && [ "$(newest_step)" = "$before" ]; do sleep 0.01; done
  sleep "0.0$((RANDOM % 10))"
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" || fail "a run between kills failed: $(cat run.log)"
    break  # finished before the kill came
  fi
  # mpirun and every rank at once, like a lost node (each rank has a process group of its own).
  kill -KILL "$pid" $(pgrep -P "$pid") 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  while pgrep -f "$NATGRAD fit .*--checkpoint.path ck " >/dev/null; do sleep 0.05; done
  kills=$((kills + 1))
  if compgen -G "ck/ckpt-*.tmp" >/dev/null; then during_write=$((during_write + 1)); fi
done
[ "$kills" -ge "$MIN_KILLS" ] || fail "the run finished after only $kills kills"
echo "$MODEL: killed $kills times, $during_write of them during a checkpoint write"
echo "newest checkpoint when the last kill came: $(ls ck | grep -v tmp | tail -1)"
# The last resubmission finishes the run (checkpoints every 50 steps from here: they change nothing).
timeout 600 "$MPIEXEC" -np 2 "$NATGRAD" fit "${JOB[@]}" "${KILLED[@]}" --checkpoint.every_steps 50 > last.log
grep -q "^done: $STEPS steps" last.log || fail "the last resubmission did not finish: $(cat last.log)"
"$NATGRAD_PYTHON" - <<'PY'
import sys, h5py, numpy as np
def lam(path):  # λ's tensors as /layout names them
    f = h5py.File(path, "r")
    return np.concatenate([f["model"][n][:].ravel() for n in f["layout/names"].asstr()[:]])
a, b = lam("straight.h5"), lam("killed.h5")
print("lambda after kills equals the uninterrupted run bit for bit:", np.array_equal(a, b))
sys.exit(0 if np.array_equal(a, b) else 1)
PY
echo "e2e_kill $MODEL: ok"
