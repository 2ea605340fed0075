# A checkpoint that does not fit the job, or is unreadable or truncated, is
# refused with a message naming the file and the field that differs, promptly
# and on every rank (in the sanitizer build as a lone process: common.sh's ANY_RANKS); --restart auto
# skips a damaged newest checkpoint.
source "$(dirname "$0")/common.sh"
CORA="${NATGRAD_SHARED_DATA:-}/cora"
KOS="$NATGRAD_REPO/jobs/data/kos"
[ -f "$CORA/docword.cora.txt.gz" ] || skip "shared corpora not found at $CORA"
cd "$WORK"
"$NATGRAD" convert uci "$CORA/docword.cora.txt.gz" "$CORA/vocab.cora.txt" --out cora.h5 >/dev/null
"$NATGRAD" convert uci "$KOS/docword.kos.txt.gz" "$KOS/vocab.kos.txt" --out kos.h5 >/dev/null
# The same sizes (D, V, tokens) as cora.h5, different content: one token moved between documents.
cp cora.h5 cora_moved.h5
"$NATGRAD_PYTHON" - <<'PY'
import h5py
with h5py.File("cora_moved.h5", "r+") as f:
    c = f["counts"][:]
    i = next(j for j in range(1, len(c)) if c[j] > 1 and f["indptr"][1] <= j)
    c[0] += 1
    c[i] -= 1
    f["counts"][:] = c
PY
JOB=(--model.topics 10 --data.train cora.h5 --solver.batch_size 100 --solver.seed 2)
timeout 60 "$MPIEXEC" -np 2 "$NATGRAD" fit "${JOB[@]}" --solver.max_steps 6 --checkpoint.path ck --output.model m.h5 >/dev/null
CK=ck/ckpt-000000006.h5
head -c 20000 "$CK" > truncated.h5
echo "not hdf5" > text.h5

expect_error "other K" any "$CK: does not fit this job: model.topics is 10 in the checkpoint and 20 in the job" \
  fit "${JOB[@]/10/20}" --solver.max_steps 12 --restart "$CK"
expect_error "other alpha" any "model.alpha is 0.1 in the checkpoint and 0.5 in the job" \
  fit "${JOB[@]}" --model.alpha 0.5 --solver.max_steps 12 --restart "$CK"
expect_error "other seed" any "solver.seed is 2 in the checkpoint and 3 in the job" \
  fit --model.topics 10 --data.train cora.h5 --solver.batch_size 100 --solver.seed 3 --solver.max_steps 12 --restart "$CK"
expect_error "other V" any "$CK: does not fit this job: the vocabulary size V is 2961 in the checkpoint and 6906" \
  fit --model.topics 10 --data.train kos.h5 --solver.batch_size 100 --solver.seed 2 --solver.max_steps 12 --restart "$CK"
expect_error "other corpus content" any "$CK: does not fit this job: the checksum of the training corpus is" \
  fit --model.topics 10 --data.train cora_moved.h5 --solver.batch_size 100 --solver.seed 2 --solver.max_steps 12 --restart "$CK"
expect_error "truncated" any "truncated.h5: cannot open as HDF5 (damaged or truncated file?)" fit "${JOB[@]}" --solver.max_steps 12 --restart truncated.h5
expect_error "not HDF5" any "text.h5: not an HDF5 file" fit "${JOB[@]}" --solver.max_steps 12 --restart text.h5
expect_error "a corpus, not a checkpoint" any "kos.h5: not a natgrad model or checkpoint" fit "${JOB[@]}" --solver.max_steps 12 --restart kos.h5
expect_error "missing" any "nowhere.h5: no such file" fit "${JOB[@]}" --solver.max_steps 12 --restart nowhere.h5

# --restart auto: a damaged newest checkpoint is skipped, the one before it used.
cp truncated.h5 ck/ckpt-000000099.h5
timeout 60 "$MPIEXEC" -np 2 "$NATGRAD" fit "${JOB[@]}" --solver.max_steps 12 --checkpoint.path ck --restart auto \
  --output.model m2.h5 > auto.log 2> auto.err || { echo "FAIL: restart auto over a damaged checkpoint"; failures=$((failures + 1)); }
grep -q "warning: skipping checkpoint ck/ckpt-000000099.h5" auto.err && grep -q "restarting from $CK" auto.log \
  && echo "ok: restart auto skips a damaged checkpoint" \
  || { echo "FAIL: restart auto did not skip the damaged checkpoint"; failures=$((failures + 1)); }
[ "$failures" = 0 ] || exit 1
echo "e2e_bad_checkpoint: ok"
