# The batch scripts of jobs/ outside a scheduler, with stand-ins for its commands on PATH:
#  - slurm_fit.sh: SIGUSR1 to the batch script (as `--signal=B:USR1` sends it)
#    stops natgrad with a checkpoint and requeues the job (`scontrol requeue`);
#    the requeued script then finishes the run;
#  - pbs_fit.sh: the script stops natgrad itself before the walltime and
#    submits itself again (`qsub`); the resubmission finishes the run.
source "$(dirname "$0")/common.sh"
KOS="$NATGRAD_REPO/jobs/data/kos"
cd "$WORK"
# 20 epochs (about 5 s of training at 2 ranks after the faster local step;
# 3 epochs took under 1 s), so that both stops below land well inside the run;
# 4 in the sanitizer build, where each takes ten times longer.
EPOCHS=20
[ -z "${NATGRAD_SANITIZED:-}" ] || EPOCHS=4
"$NATGRAD" convert uci "$KOS/docword.kos.txt.gz" "$KOS/vocab.kos.txt" --out kos.h5 >/dev/null
cat > job.ini <<INI
[model]
topics = 50
[data]
train = kos.h5
[solver]
batch_size = 64
epochs = $EPOCHS
[eval]
every_steps = 0
[checkpoint]
path = checkpoints
INI
mkdir bin
printf '#!/bin/sh\necho "$@" >> "%s/requeued"\n' "$WORK" > bin/scontrol
printf '#!/bin/sh\necho "$@" >> "%s/submitted"\n' "$WORK" > bin/qsub
chmod +x bin/scontrol bin/qsub
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
echo "slurm_fit.sh: ok ($(grep '^stopped' first.log))"

rm -rf checkpoints
WALLTIME=3 STOP_BEFORE=1 SCRIPT="$NATGRAD_REPO/jobs/pbs_fit.sh" bash "$NATGRAD_REPO/jobs/pbs_fit.sh" > pbs1.log 2>&1 \
  || fail "the PBS script failed: $(tail -5 pbs1.log)"
grep -q "^stopped at step" pbs1.log || fail "natgrad was not stopped before the walltime: $(tail -5 pbs1.log)"
grep -q "JOB=job.ini" submitted && grep -q "jobs/pbs_fit.sh" submitted || fail "the PBS job did not resubmit itself"
rm submitted
bash "$NATGRAD_REPO/jobs/pbs_fit.sh" > pbs2.log 2>&1 || fail "the resubmitted PBS run failed: $(tail -5 pbs2.log)"
grep -q "^restarting from checkpoints/ckpt-" pbs2.log && grep -q "^done: " pbs2.log || fail "the PBS rerun did not finish"
[ ! -e submitted ] || fail "a finished PBS run resubmitted itself"
echo "pbs_fit.sh: ok ($(grep '^stopped' pbs1.log))"
echo "e2e_batch_scripts: ok"
