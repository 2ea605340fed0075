#!/usr/bin/env bash
# Bad inputs through the real binary under mpirun -np 2: each ends the whole
# job with a non-zero status well within 30 seconds, and rank 0 prints one
# message naming the file, line, key or value at fault.
#
# Run by ctest with NATGRAD (the binary), MPIEXEC, NATGRAD_REPO and
# NATGRAD_SHARED_DATA in the environment. Exits 77 (skip) without the KOS corpus.
set -uo pipefail

: "${NATGRAD:?path of the natgrad binary}"
MPIEXEC=${MPIEXEC:-mpiexec}
NATGRAD_REPO=${NATGRAD_REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
NATGRAD_SHARED_DATA=${NATGRAD_SHARED_DATA:-$NATGRAD_REPO/../shared/data}

# OpenMPI refuses to run as root without the first two; the tests run more
# ranks than a small machine has cores; shared memory avoids network set-up.
export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1}
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
export OMPI_MCA_rmaps_base_oversubscribe=${OMPI_MCA_rmaps_base_oversubscribe:-1}
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}
export OMPI_MCA_btl=${OMPI_MCA_btl:-self,vader}

KOS=""
for dir in "$NATGRAD_REPO/jobs/data/kos" "$NATGRAD_SHARED_DATA/kos"; do
  if [ -f "$dir/docword.kos.txt.gz" ] && [ -f "$dir/vocab.kos.txt" ]; then
    KOS=$dir
    break
  fi
done
if [ -z "$KOS" ]; then
  echo "SKIP: no KOS corpus in $NATGRAD_REPO/jobs/data/kos or $NATGRAD_SHARED_DATA/kos"
  exit 77
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1

# The inputs: a good corpus, a one-document corpus, and bad files.
if ! timeout 120 "$NATGRAD" convert uci "$KOS/docword.kos.txt.gz" "$KOS/vocab.kos.txt" --out kos.h5 \
  > convert.log 2>&1; then
  echo "FAIL: cannot convert $KOS: $(cat convert.log)"
  exit 1
fi
printf '1\n3\n2\n1 1 2\n1 3 1\n' > one.txt
printf 'a\nb\nc\n' > abc.txt
if ! timeout 60 "$NATGRAD" convert uci one.txt abc.txt --out one.h5 > convert.log 2>&1; then
  echo "FAIL: cannot convert one.txt: $(cat convert.log)"
  exit 1
fi
printf '2\n3\n2\n1 1 2\n2 0 1\n' > zero_id.txt
echo "hello" > text.h5
printf '[model]\ntopics = 5\ntopicz = 7\n[data]\ntrain = kos.h5\n' > typo.ini
printf '[model]\ntopics = 5\n[data]\ntrain = kos.h5\n[solver]\nmax_steps = 2\nbatch_size = 16\n' > good.ini

failures=0
fail() {
  echo "FAIL: $1: $2"
  failures=$((failures + 1))
}

# expect_error NAME 'PART1;;PART2...' ARGS...: runs natgrad ARGS on 2 ranks and
# checks that it fails (not by the timeout), that stderr holds every PART, and
# that the error is printed once.
expect_error() {
  local name=$1 parts=$2
  shift 2
  local status=0 start ms count part
  start=$(date +%s%N)
  timeout 30 "$MPIEXEC" -np 2 "$NATGRAD" "$@" > out.log 2> err.log || status=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  count=$(grep -c "natgrad: error" err.log)
  if [ "$status" = 0 ]; then
    fail "$name" "exit status 0 (expected an error)"
    return
  fi
  if [ "$status" = 124 ]; then
    fail "$name" "still running after 30 s (killed by timeout)"
    return
  fi
  while [ -n "$parts" ]; do
    part=${parts%%;;*}
    if [ "$part" = "$parts" ]; then parts=""; else parts=${parts#*;;}; fi
    if ! grep -qF -- "$part" err.log; then
      fail "$name" "stderr lacks '$part': $(grep 'natgrad: error' err.log || head -c 400 err.log)"
      return
    fi
  done
  if [ "$count" != 1 ]; then
    fail "$name" "the error was printed $count times"
    return
  fi
  echo "ok: $name (status $status, $ms ms): $(grep -m1 'natgrad: error' err.log)"
}

# The good job runs, so the failures below are caused by what each case changes.
if timeout 120 "$MPIEXEC" -np 2 "$NATGRAD" fit --config good.ini --output.model good.h5 > out.log 2> err.log \
  && [ -f good.h5 ]; then
  echo "ok: the good job runs"
else
  fail "the good job runs" "$(tail -n 5 err.log)"
fi

expect_error "missing training file" "nowhere.h5: no such file" \
  fit --config good.ini --data.train nowhere.h5
expect_error "text file as data.train" "text.h5: not an HDF5 file" \
  fit --config good.ini --data.train text.h5
expect_error "model.topics 0" "model.topics = 0;;expected an integer >= 1" \
  fit --config good.ini --model.topics 0
expect_error "solver.kappa 1.5" "solver.kappa = 1.5;;(0.5, 1]" \
  fit --config good.ini --solver.kappa 1.5
expect_error "unknown key in the job file" "typo.ini;;model.topicz" \
  fit --config typo.ini
expect_error "missing job file" "nowhere.ini" \
  fit --config nowhere.ini
expect_error "value of the wrong type" "'abc';;model.topics" \
  fit --config good.ini --model.topics abc
expect_error "output.model in a missing folder" "output.model = no/such/dir/m.h5;;does not exist" \
  fit --config good.ini --output.model no/such/dir/m.h5
[ ! -e no ] || fail "output.model in a missing folder" "the folder was created"

# A folder this user cannot write to: chmod works unless we are root, who
# writes anywhere permissions say no; /proc refuses files even to root.
mkdir readonly && chmod 500 readonly
if ! touch readonly/probe 2> /dev/null; then
  expect_error "output.model in a read-only folder" "output.model = readonly/m.h5;;not writable" \
    fit --config good.ini --output.model readonly/m.h5
elif [ -d /proc/self ] && ! touch /proc/natgrad_probe 2> /dev/null; then
  expect_error "output.model in a read-only folder" "output.model = /proc/m.h5;;not writable" \
    fit --config good.ini --output.model /proc/m.h5
else
  echo "skip: output.model in a read-only folder: no unwritable folder found for user $(id -un)"
fi
chmod 700 readonly

expect_error "more ranks than documents" "one.h5: 1 documents for 2 ranks" \
  fit --model.topics 2 --data.train one.h5 --output.model one_model.h5
[ ! -e one_model.h5 ] || fail "more ranks than documents" "a model file was written"
expect_error "word id 0 in a UCI file" "zero_id.txt line 5;;wordID 0" \
  convert uci zero_id.txt abc.txt --out zero.h5
[ ! -e zero.h5 ] || fail "word id 0 in a UCI file" "the failed conversion left zero.h5"
expect_error "unknown command" "unknown command 'fitt'" \
  fitt --config good.ini

# A good job whose held-out file is missing fails at once, not after training.
start=$(date +%s)
expect_error "missing held-out file" "gone.h5: no such file" \
  fit --config good.ini --data.heldout gone.h5 --solver.max_steps 100000 --output.model late.h5
[ $(( $(date +%s) - start )) -le 20 ] || fail "missing held-out file" "took more than 20 s to fail"
[ ! -e late.h5 ] || fail "missing held-out file" "a model file was written"

if [ "$failures" != 0 ]; then
  echo "e2e_errors: $failures case(s) failed"
  exit 1
fi
echo "e2e_errors: all cases ok"
