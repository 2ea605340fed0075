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
# -np 2, or in the sanitizer build as a lone process, the same reading and checks without the second
# that starting and ending an MPI job takes there (0.2 s as a lone process). Use: "${ANY_RANKS[@]}" "$NATGRAD" ...
if [ -n "${NATGRAD_SANITIZED:-}" ]; then ANY_RANKS=(); else ANY_RANKS=("$MPIEXEC" -np 2); fi
# expect_error NAME RANKS EXPECTED-SUBSTRING ARGS...: natgrad ARGS on RANKS ranks (a number, or any: as
# ANY_RANKS says) ends the whole job with a non-zero status within 30 seconds, and its one message holds
# EXPECTED-SUBSTRING; otherwise one more of the script's `failures`.
failures=0
# sanitizer_report FILE: prints the first line of a sanitizer's report in FILE (an error path of the sanitizer
# build that leaked or broke a rule; its status 86 may hide behind another rank's 1), and succeeds if there is one.
sanitizer_report() { grep -m1 "ERROR: [A-Za-z]*Sanitizer\|runtime error:" "$1"; }
expect_error() {
  local name=$1 np=$2 expected=$3
  shift 3
  local start status=0 launch=("${ANY_RANKS[@]}")
  if [ "$np" != any ]; then launch=("$MPIEXEC" -np "$np"); fi
  start=$(date +%s%N)
  timeout 30 "${launch[@]}" "$NATGRAD" "$@" > out.log 2> err.log || status=$?
  local ms=$(( ($(date +%s%N) - start) / 1000000 ))
  local errors
  errors=$(grep -c "natgrad: error" err.log || true)
  if [ "$status" = 0 ] || [ "$status" = 124 ]; then
    echo "FAIL: $name: exit status $status after $ms ms"; failures=$((failures + 1))
  elif [ "$status" = 86 ] || sanitizer_report err.log > /dev/null; then
    echo "FAIL: $name: a sanitizer's report: $(sanitizer_report err.log)"; failures=$((failures + 1))
  elif ! grep -qF -- "$expected" err.log; then
    echo "FAIL: $name: message lacks '$expected': $(grep 'natgrad: error' err.log)"; failures=$((failures + 1))
  elif [ "$errors" != 1 ]; then
    echo "FAIL: $name: the error was printed $errors times"; failures=$((failures + 1))
  else
    echo "ok: $name (np $np, $ms ms): $(grep 'natgrad: error' err.log)"
  fi
}
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
