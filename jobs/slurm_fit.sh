#!/bin/bash
# SLURM batch script for a natgrad fit that survives time limits and preemption.
# Submit with:  sbatch jobs/slurm_fit.sh            (JOB=path/to/job.ini sbatch ... for another job)
# The same script serves the first run and every resubmission: `--restart auto`
# continues from the newest checkpoint under the job's checkpoint.path, or
# starts afresh if there is none. The job file must set checkpoint.path.
#SBATCH --job-name=natgrad
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=16
#SBATCH --time=04:00:00
#SBATCH --signal=B:USR1@300
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=natgrad-%x-%j.log
# --signal=B:USR1@300: SLURM sends SIGUSR1 to this script 5 minutes before the
# time limit. The script passes it to mpirun, which forwards it to every rank;
# natgrad finishes its step, writes a checkpoint and exits with status 75, and
# the script requeues the job, which restarts from that checkpoint.

NATGRAD=${NATGRAD:-natgrad}
JOB=${JOB:-job.ini}
MPIRUN=${MPIRUN:-mpirun}

# MPIRUN may hold options ("srun", "mpirun -np 64"): it is split into words on purpose.
$MPIRUN "$NATGRAD" fit --config "$JOB" --restart auto &
pid=$!
trap 'kill -USR1 "$pid" 2>/dev/null' USR1 TERM
status=0
wait "$pid" || status=$?
# A trapped signal interrupts `wait`; wait again until mpirun has really ended.
while kill -0 "$pid" 2>/dev/null; do
  status=0
  wait "$pid" || status=$?
done
if [ "$status" -eq 75 ]; then
  echo "natgrad stopped early with a checkpoint; requeueing job $SLURM_JOB_ID"
  scontrol requeue "$SLURM_JOB_ID"
  exit 0
fi
exit "$status"
