# Convert the KOS corpus shipped in the repository with --split-every 10, fit
# one epoch under mpirun -np 2, and check the model file and the perplexity; then the same
# without held-out data.
source "$(dirname "$0")/common.sh"
KOS="$NATGRAD_REPO/jobs/data/kos"
cd "$WORK"
"$NATGRAD" convert uci "$KOS/docword.kos.txt.gz" "$KOS/vocab.kos.txt" --out kos.h5 \
  --split-every 10 --heldout-out kos_test.h5
cat > job.ini <<'INI'
[model]
topics = 20
[data]
train = kos.h5
heldout = kos_test.h5
[solver]
epochs = 1
[eval]
every_steps = 5
INI
timeout 300 "$MPIEXEC" -np 2 "$NATGRAD" fit --config job.ini --output.model kos_model.h5 | tee fit.log
grep -q "^done: 13 steps" fit.log || fail "no summary line for 13 steps"
[ "$(grep -c "^step" fit.log)" = 4 ] || fail "expected progress lines at steps 0, 5, 10 and 13"
# The time outside training, by part: with the training, the whole (each printed to 0.1 s).
"$NATGRAD_PYTHON" - fit.log <<'PY' || fail "the time outside training: $(grep -E '^(done|outside)' fit.log)"
import re, sys
log = open(sys.argv[1]).read()
total, training = map(float, re.search(r"^done: .*?, ([0-9.]+) s \(([0-9.]+) s training\)", log, re.M).groups())
parts = re.search(r"^outside training \(rank 0\): reading the data ([0-9.]+) s, building the model ([0-9.]+) s, "
                  r"evaluations and checkpoints ([0-9.]+) s, writing the model ([0-9.]+) s$", log, re.M).groups()
outside = sum(map(float, parts))
sys.exit(0 if abs(training + outside - total) <= 0.11 else 1)
PY
"$NATGRAD_PYTHON" "$HERE/check_model.py" kos_model.h5 kos.h5 kos_test.h5
# Without held-out data (and data.heldout = none, the key's default written out) the lines say so, not "nan".
timeout 300 "$MPIEXEC" -np 2 "$NATGRAD" fit --config job.ini --data.heldout none --output.model plain.h5 > plain.log
grep -q "^done: 13 steps, .*; no held-out data; " plain.log || fail "the summary of a fit without held-out data"
[ "$(grep -c "^step .*  no held-out data$" plain.log)" = 4 ] || fail "progress lines without held-out data"
! grep -qi "nan" plain.log || fail "a fit without held-out data printed nan"
# The topics tool reads the same file.
"$NATGRAD_PYTHON" "$NATGRAD_REPO/tools/natgrad_topics.py" kos_model.h5 --top 10 > topics.txt
[ "$(grep -c '^topic' topics.txt)" = 20 ] || fail "natgrad_topics.py did not print 20 topics"
echo "e2e_fit: ok"
