#!/bin/bash
# PBS/Torque batch script for a natgrad fit that survives walltime limits.
# Submit from the folder the job runs in:  qsub -v JOB=job.ini,NATGRAD=/path/to/natgrad jobs/pbs_fit.sh
# PBS sends no warning before the walltime, so the script stops natgrad itself
# STOP_BEFORE seconds ahead: `timeout` sends SIGUSR1 to mpirun, which forwards
# it to every rank; natgrad finishes its step, writes a checkpoint and exits
# with status 75, and the script submits itself again, which restarts from that
# checkpoint (`--restart auto`). The job file must set checkpoint.path.
#PBS -N natgrad
#PBS -l nodes=2:ppn=16
#PBS -l walltime=04:00:00
#PBS -j oe

cd "${PBS_O_WORKDIR:-.}"
NATGRAD=${NATGRAD:-natgrad}
JOB=${JOB:-job.ini}
MPIRUN=${MPIRUN:-mpirun}
WALLTIME=${WALLTIME:-14400}      # seconds; keep equal to the walltime above
STOP_BEFORE=${STOP_BEFORE:-300}
SCRIPT=${SCRIPT:-${PBS_O_WORKDIR:-.}/jobs/pbs_fit.sh}

status=0
# MPIRUN may hold options ("mpirun -np 64"): it is split into words on purpose.
timeout --preserve-status --signal=USR1 --kill-after=240 $((WALLTIME - STOP_BEFORE)) \
  $MPIRUN "$NATGRAD" fit --config "$JOB" --restart auto || status=$?
if [ "$status" -eq 75 ]; then
  echo "natgrad stopped early with a checkpoint; submitting the job again"
  qsub -v "JOB=$JOB,NATGRAD=$NATGRAD,MPIRUN=$MPIRUN,WALLTIME=$WALLTIME,STOP_BEFORE=$STOP_BEFORE,SCRIPT=$SCRIPT" "$SCRIPT"
  exit 0
fi
exit "$status"
