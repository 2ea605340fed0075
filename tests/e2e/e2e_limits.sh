# Sizes and memory: job values that would overflow what they are multiplied
# into are refused naming the key and the limit; a λ that would not fit in the
# memory a rank can have stops the job before it is allocated, naming the
# sizes and the limit (the node's available memory, or one rank's
# address-space limit); an out-of-memory error on one rank elsewhere is
# printed once, naming the rank and what it was doing.
source "$(dirname "$0")/common.sh"
KOS="$NATGRAD_REPO/jobs/data/kos"
cd "$WORK"
"$NATGRAD" convert uci "$KOS/docword.kos.txt.gz" "$KOS/vocab.kos.txt" --out kos.h5 >/dev/null
expect() {  # NAME EXPECTED-REGEX COMMAND...: exit status 1, one message matching
  local name=$1 expected=$2 status=0
  shift 2
  timeout 120 "$@" > out.log 2> err.log || status=$?
  if [ "$status" != 1 ]; then
    echo "FAIL: $name: exit status $status: $(tail -3 err.log)"; failures=$((failures + 1))
  elif sanitizer_report err.log > /dev/null; then
    echo "FAIL: $name: a sanitizer's report: $(sanitizer_report err.log)"; failures=$((failures + 1))
  elif ! grep -qE -- "$expected" err.log; then
    echo "FAIL: $name: message lacks /$expected/: $(grep -m2 error err.log)"; failures=$((failures + 1))
  elif [ "$(grep -c 'natgrad: error' err.log)" != 1 ]; then
    echo "FAIL: $name: $(grep -c 'natgrad: error' err.log) messages"; failures=$((failures + 1))
  else
    echo "ok: $name: $(grep -m1 'natgrad: error' err.log)"
  fi
}
FIT=("$MPIEXEC" -np 2 "$NATGRAD" fit --data.train kos.h5 --output.model m.h5)
expect "K × V overflows" "model.topics = 1000000000000: expected at most 2\^50 / V = 163032132470" \
  "${FIT[@]}" --model.topics 1000000000000
expect "epochs × steps overflow" "solver.epochs = 4000000000000000000: expected at most 2\^63 / 14" \
  "${FIT[@]}" --model.topics 3 --solver.epochs 4000000000000000000
# more than the node's memory: K = 10⁶ topics of 6906 words
expect "λ beyond the node's memory" "λ and its copies need [0-9.]+ GB on this rank \(lda, K = 1000000, .*: 6906000000 values of λ\); this rank can have [0-9.]+ GB \(the node's available memory" \
  "${FIT[@]}" --model.topics 1000000

# One rank with an address-space limit: measure what a rank uses first.
"$MPIEXEC" -np 2 "$NATGRAD" fit --data.train kos.h5 --model.topics 2 --solver.max_steps 1000000 --solver.batch_size 1 \
  --eval.every_steps 0 --output.model idle.h5 > /dev/null 2>&1 &
idle=$!
peak=""
for _ in $(seq 300); do
  for p in $(pgrep -f "$NATGRAD fit --data.train kos.h5 --model.topics 2 --solver.max_steps 1000000"); do
    [ "$(cat /proc/$p/comm 2>/dev/null)" = natgrad ] && peak=$(awk '/VmPeak/ {print $2}' /proc/$p/status)
  done
  [ -n "$peak" ] && break
  sleep 0.1
done
sleep 1
for p in $(pgrep -f "$NATGRAD fit --data.train kos.h5 --model.topics 2 --solver.max_steps 1000000"); do
  [ "$(cat /proc/$p/comm 2>/dev/null)" = natgrad ] && peak=$(awk '/VmPeak/ {print $2}' /proc/$p/status)
done
kill -KILL "$idle" $(pgrep -P "$idle") 2>/dev/null || true
wait "$idle" 2>/dev/null || true
[ -n "$peak" ] || fail "could not measure a rank's memory"
limit=$((peak + 60000))  # kB: 60 MB more than a small fit's rank takes
LIMITED=(bash -c 'if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then ulimit -v '"$limit"'; fi; exec "$@"' rank)
expect "λ beyond one rank's address-space limit" "rank 1: λ and its copies need [0-9.]+ GB on this rank .*; this rank can have [0-9.]+ GB \(its address-space limit, RLIMIT_AS\)" \
  "$MPIEXEC" -np 2 "${LIMITED[@]}" "$NATGRAD" fit --data.train kos.h5 --model.topics 2000 --output.model m.h5
# A model of 165 MB of λ (and its solver copy), read by a rank with 60 MB to spare: out of memory while reading
# it. Not in the sanitizer build: AddressSanitizer's operator new reports a failed allocation and aborts, it
# never throws std::bad_alloc (the release build tests it).
if [ -n "${NATGRAD_SANITIZED:-}" ]; then
  echo "skipped in the sanitizer build: out of memory on one rank"
else
  timeout 300 "$MPIEXEC" -np 2 "$NATGRAD" fit --data.train kos.h5 --model.topics 3000 --solver.max_steps 1 \
    --eval.every_steps 0 --output.model big.h5 > /dev/null
  expect "out of memory on one rank" "rank 1: while reading the model file big.h5: out of memory \(std::bad_alloc\)" \
    "$MPIEXEC" -np 2 "${LIMITED[@]}" "$NATGRAD" evaluate --model big.h5 --data kos.h5
fi
[ "$failures" = 0 ] || exit 1
echo "e2e_limits: ok"
