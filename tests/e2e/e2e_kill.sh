# A job killed with SIGKILL at random instants (at least 20 times, some of them
# while a checkpoint is being written) and resubmitted each time with
# --restart auto ends with exactly the λ of an uninterrupted run. In the
# sanitizer build: at least 5 kills, wherever they land.
source "$(dirname "$0")/common.sh"
CORA="${NATGRAD_SHARED_DATA:-}/cora"
[ -f "$CORA/docword.cora.txt.gz" ] || skip "shared corpora not found at $CORA"
cd "$WORK"
"$NATGRAD" convert uci "$CORA/docword.cora.txt.gz" "$CORA/vocab.cora.txt" --out cora.h5 >/dev/null
# K = 200 makes each checkpoint (4.7 MB, synced to disk) a large share of a step.
JOB=(--model.topics 200 --data.train cora.h5 --solver.batch_size 32 --solver.max_steps 400 --solver.seed 9
  --eval.every_steps 0 --checkpoint.every_steps 1 --checkpoint.keep 3)
timeout 600 "$MPIEXEC" -np 2 "$NATGRAD" fit "${JOB[@]}" --checkpoint.path ck_straight --output.model straight.h5 >/dev/null
newest_step() { { ls ck 2>/dev/null || true; } | sed -n 's/^ckpt-0*\([0-9][0-9]*\)\.h5$/\1/p' | sort -n | tail -1; }

MIN_KILLS=20
MIN_DURING_WRITE=3
if [ -n "${NATGRAD_SANITIZED:-}" ]; then MIN_KILLS=5 MIN_DURING_WRITE=0; fi
RANDOM=2024
kills=0
during_write=0
while [ "$kills" -lt "$MIN_KILLS" ] || [ "$during_write" -lt "$MIN_DURING_WRITE" ]; do
  [ "$kills" -lt 150 ] || fail "only $during_write of $kills kills landed during a checkpoint write"
  "$MPIEXEC" -np 2 "$NATGRAD" fit "${JOB[@]}" --checkpoint.path ck --restart auto --output.model killed.h5 > run.log 2>&1 &
  pid=$!
  # Kill at a random instant soon after the run has made progress (a new
  # checkpoint), whatever the machine's or the sanitizers' speed: about 80
  # kills would be needed to finish the 400 steps.
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
echo "killed $kills times, $during_write of them during a checkpoint write"
echo "newest checkpoint when the last kill came: $(ls ck | grep -v tmp | tail -1)"
timeout 600 "$MPIEXEC" -np 2 "$NATGRAD" fit "${JOB[@]}" --checkpoint.path ck --restart auto --output.model killed.h5 > last.log
grep -q "^done: 400 steps" last.log || fail "the last resubmission did not finish: $(cat last.log)"
"$NATGRAD_PYTHON" - <<'PY'
import sys, h5py, numpy as np
a, b = h5py.File("straight.h5", "r")["model/lambda"][:], h5py.File("killed.h5", "r")["model/lambda"][:]
print("lambda after kills equals the uninterrupted run bit for bit:", np.array_equal(a, b))
sys.exit(0 if np.array_equal(a, b) else 1)
PY
echo "e2e_kill: ok"
