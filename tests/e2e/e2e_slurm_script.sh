# jobs/slurm_fit.sh outside SLURM: with a stand-in `scontrol` on PATH, SIGUSR1
# to the batch script (as `--signal=B:USR1` sends it) must stop natgrad with a
# checkpoint and requeue the job; the requeued script then finishes the run.
source "$(dirname "$0")/common.sh"
KOS="$NATGRAD_REPO/jobs/data/kos"
cd "$WORK"
"$NATGRAD" convert uci "$KOS/docword.kos.txt.gz" "$KOS/vocab.kos.txt" --out kos.h5 >/dev/null
cat > job.ini <<'INI'
[model]
topics = 50
[data]
train = kos.h5
[solver]
batch_size = 64
epochs = 3
[eval]
every_steps = 0
[checkpoint]
path = checkpoints
INI
mkdir bin
printf '#!/bin/sh\necho "$@" >> "%s/requeued"\n' "$WORK" > bin/scontrol
chmod +x bin/scontrol
export PATH="$WORK/bin:$PATH" SLURM_JOB_ID=4242 NATGRAD JOB=job.ini MPIRUN="$MPIEXEC -np 2"
bash "$NATGRAD_REPO/jobs/slurm_fit.sh" > first.log 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "^step" first.log 2>/dev/null && break; sleep 0.1; done
sleep 0.5
kill -USR1 "$pid"
wait "$pid" || fail "the batch script failed: $(tail -5 first.log)"
grep -q "^stopped at step" first.log || fail "natgrad did not stop on the forwarded signal: $(tail -5 first.log)"
grep -qx "requeue 4242" requeued || fail "the job was not requeued"
ls checkpoints | grep -q '^ckpt-' || fail "no checkpoint"
rm requeued
bash "$NATGRAD_REPO/jobs/slurm_fit.sh" > second.log 2>&1 || fail "the requeued run failed: $(tail -5 second.log)"
grep -q "^restarting from checkpoints/ckpt-" second.log || fail "the requeued run did not restart"
grep -q "^done: " second.log || fail "the requeued run did not finish"
[ ! -e requeued ] || fail "a finished run was requeued"
echo "e2e_slurm_script: ok ($(grep '^stopped' first.log))"
