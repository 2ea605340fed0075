# One job per checkpoint folder, and files of other runs left alone:
#  - a second job on a folder that a live job uses stops at once, naming the
#    folder and the holder (host, pid, SLURM_JOB_ID); once the first is killed
#    (SIGKILL), its resubmission is not blocked and continues;
#  - checkpoints of another run in the folder (another seed) are never deleted
#    by pruning nor replaced, and never keep --restart auto from the job's own
#    newest checkpoint: both runs end with the λ of their uninterrupted runs.
source "$(dirname "$0")/common.sh"
KOS="$NATGRAD_REPO/jobs/data/kos"
cd "$WORK"
"$NATGRAD" convert uci "$KOS/docword.kos.txt.gz" "$KOS/vocab.kos.txt" --out kos.h5 >/dev/null
JOB=(--model.topics 10 --data.train kos.h5 --solver.batch_size 64 --eval.every_steps 0)
fit() { timeout 120 "$MPIEXEC" -np 2 "$NATGRAD" fit "${JOB[@]}" "$@"; }

# A long job, as if SLURM ran it, on folder ck.
SLURM_JOB_ID=4242 "$MPIEXEC" -np 2 "$NATGRAD" fit "${JOB[@]}" --solver.seed 1 --solver.max_steps 100000 \
  --checkpoint.path ck --checkpoint.every_steps 20 --output.model long.h5 > long.log 2>&1 &
long=$!
# Whether ck holds a checkpoint: the folder's names, not `ls ck/ckpt-*.h5`, which fails when pruning
# deletes a file between the glob and ls's look at it.
has_checkpoint() { ls ck 2>/dev/null | grep -q '^ckpt-.*\.h5$'; }
for _ in $(seq 600); do has_checkpoint && break; sleep 0.1; done
has_checkpoint || fail "the first job wrote no checkpoint: $(cat long.log)"
start=$(date +%s)
status=0
fit --solver.seed 1 --solver.max_steps 100000 --checkpoint.path ck --output.model second.h5 > second.log 2> second.err \
  || status=$?
elapsed=$(($(date +%s) - start))
[ "$status" = 1 ] || fail "a second job on a folder in use: exit status $status"
grep -qE "natgrad: error: checkpoint.path = ck: the folder is in use by another job \(host [^,]+, pid [0-9]+, SLURM_JOB_ID 4242\)" second.err \
  || fail "the second job's message: $(cat second.err)"
[ "$elapsed" -lt 30 ] || fail "the second job took $elapsed s to stop"
echo "ok: a second job stops at once: $(grep error second.err)"
# The first job killed like a lost node; its resubmission takes the folder and continues.
kill -KILL "$long" $(pgrep -P "$long") 2>/dev/null || true
wait "$long" 2>/dev/null || true
while pgrep -f "$NATGRAD fit .*--output.model long.h5" >/dev/null; do sleep 0.05; done
fit --solver.seed 1 --solver.max_steps 200 --checkpoint.path ck --checkpoint.every_steps 20 --restart auto \
  --output.model long.h5 > resumed.log 2> resumed.err || fail "the resubmission after a kill: $(cat resumed.err)"
grep -q "restarting from ck/ckpt-" resumed.log || fail "the resubmission did not continue: $(cat resumed.log)"
echo "ok: after a SIGKILL the resubmission takes the folder and $(grep restarting resumed.log)"

# Two runs, seeds 2 and 3, sharing folder ck2 (one at a time), keep = 1.
fit --solver.seed 2 --solver.max_steps 8 --output.model straight2.h5 >/dev/null
fit --solver.seed 3 --solver.max_steps 9 --output.model straight3.h5 >/dev/null
fit --solver.seed 2 --solver.max_steps 4 --checkpoint.path ck2 --checkpoint.every_steps 4 --checkpoint.keep 1 \
  --output.model part2.h5 >/dev/null
fit --solver.seed 3 --solver.max_steps 9 --checkpoint.path ck2 --checkpoint.every_steps 3 --checkpoint.keep 1 \
  --restart auto --output.model run3.h5 > run3.log 2> run3.err || fail "the seed-3 run: $(cat run3.err)"
grep -q "no checkpoint of this run in ck2: starting afresh" run3.log || fail "seed 3 did not start afresh: $(cat run3.log)"
grep -q "warning: skipping checkpoint ck2/ckpt-000000004.h5: does not fit this job: solver.seed is 2 in the checkpoint and 3 in the job" run3.err \
  || fail "seed 3 did not say why it skipped seed 2's checkpoint: $(cat run3.err)"
[ -f ck2/ckpt-000000004.h5 ] || fail "pruning deleted another run's checkpoint"
[ -f ck2/ckpt-000000009.h5 ] && [ ! -f ck2/ckpt-000000006.h5 ] || fail "pruning of the run's own checkpoints: $(ls ck2)"
echo "ok: another run's checkpoint is skipped and kept: $(ls ck2 | tr '\n' ' ')"
fit --solver.seed 2 --solver.max_steps 8 --checkpoint.path ck2 --checkpoint.every_steps 4 --checkpoint.keep 1 \
  --restart auto --output.model run2.h5 > run2.log 2> run2.err || fail "the seed-2 run resumed: $(cat run2.err)"
grep -q "restarting from ck2/ckpt-000000004.h5" run2.log || fail "seed 2 did not find its own checkpoint: $(cat run2.log run2.err)"
[ -f ck2/ckpt-000000009.h5 ] || fail "pruning deleted the seed-3 run's checkpoint"
"$NATGRAD_PYTHON" - <<'PY' || fail "a run sharing the folder does not end with its uninterrupted λ"
import sys, h5py, numpy as np
same = all(np.array_equal(h5py.File(a, "r")["model/lambda"][:], h5py.File(b, "r")["model/lambda"][:])
           for a, b in (("straight2.h5", "run2.h5"), ("straight3.h5", "run3.h5")))
sys.exit(0 if same else 1)
PY
echo "ok: both runs end with their uninterrupted λ"
# A checkpoint of another run at the step this job would write is not replaced: the job stops saying so.
status=0
fit --solver.seed 5 --solver.max_steps 9 --checkpoint.path ck2 --checkpoint.every_steps 9 --output.model run5.h5 \
  > run5.log 2> run5.err || status=$?
[ "$status" = 1 ] && grep -q "ck2/ckpt-000000009.h5 belongs to another run" run5.err || fail "a colliding checkpoint: $status $(cat run5.err)"
"$NATGRAD_PYTHON" -c "import h5py, sys; sys.exit(0 if h5py.File('ck2/ckpt-000000009.h5', 'r')['config'].attrs['solver.seed'] == '3' else 1)" \
  || fail "another run's checkpoint was replaced"
echo "ok: $(grep error run5.err)"
echo "e2e_checkpoint_folder: ok"
