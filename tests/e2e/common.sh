# Shared set-up of the end-to-end tests: run by ctest with NATGRAD, MPIEXEC,
# NATGRAD_PYTHON, NATGRAD_SHARED_DATA and NATGRAD_REPO in the environment, and
# NATGRAD_SANITIZED=1 in the sanitizer build, where a script that repeats work
# (kills, steps) does less of it: that build looks for memory errors and
# undefined behaviour on the same paths; the release build checks the full size.
set -euo pipefail
: "${NATGRAD:?path of the natgrad binary}" "${MPIEXEC:=mpiexec}" "${NATGRAD_PYTHON:=python3}"
if [ "$(id -u)" = 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1} OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
fi
export OMPI_MCA_rmaps_base_oversubscribe=${OMPI_MCA_rmaps_base_oversubscribe:-1}
# When a rank exits non-zero, mpirun ends the others at once instead of waiting a second
# before SIGKILL: the tests run many jobs that fail on purpose (a job that leaves a rank
# waiting would be ended the same way either way: by mpirun, or by the scripts' timeouts).
export OMPI_MCA_odls_base_sigkill_timeout=${OMPI_MCA_odls_base_sigkill_timeout:-0}
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# How to start a check that does not depend on the rank count (a refusal of bad input): under mpirun
# -np 2, or in the sanitizer build as a lone process, the same reading and checks without the seconds
# that LeakSanitizer's check at exit takes in every rank of an MPI job. Use: "${ANY_RANKS[@]}" "$NATGRAD" ...
if [ -n "${NATGRAD_SANITIZED:-}" ]; then ANY_RANKS=(); else ANY_RANKS=("$MPIEXEC" -np 2); fi
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
