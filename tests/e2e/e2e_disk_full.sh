# A checkpoint or model that cannot be written for want of space: the message
# names the file and the cause, every process exits with status 1 and nothing
# crashes, the previous checkpoint stays readable and no temporary file is
# left; once space is freed, --restart auto resumes bit for bit. On a small
# tmpfs, mounted for the test (root only; the test skips otherwise).
source "$(dirname "$0")/common.sh"
KOS="$NATGRAD_REPO/jobs/data/kos"
cd "$WORK"
[ "$(id -u)" = 0 ] || skip "not root: cannot mount the small tmpfs this test fills"
mkdir disk
mount -t tmpfs -o size=32m tmpfs disk 2>mount.err || skip "cannot mount a tmpfs here: $(cat mount.err)"
trap 'umount "$WORK/disk" 2>/dev/null; rm -rf "$WORK"' EXIT
"$NATGRAD" convert uci "$KOS/docword.kos.txt.gz" "$KOS/vocab.kos.txt" --out kos.h5 >/dev/null
JOB=(--model.topics 20 --data.train kos.h5 --solver.batch_size 128 --solver.seed 6 --eval.every_steps 0
  --solver.max_steps 6 --checkpoint.every_steps 2 --checkpoint.keep 2)
fit() { timeout 120 "$MPIEXEC" -np 2 "$NATGRAD" fit "${JOB[@]}" "$@"; }
fit --output.model straight.h5 --checkpoint.path ck_straight >/dev/null
size=$(stat -c %s ck_straight/ckpt-000000006.h5)
# Free space for one checkpoint and a half: the first fits, the second (while the first exists) does not.
filler_kb=$(( (32 * 1024 * 1024 - size * 3 / 2) / 1024 ))
dd if=/dev/zero of=disk/filler bs=1024 count="$filler_kb" status=none 2>/dev/null || true
status=0
fit --checkpoint.path disk/ck --output.model disk/model.h5 > full.log 2> full.err || status=$?
[ "$status" = 1 ] || fail "a full disk: exit status $status (expected 1): $(cat full.err)"
grep -qE "natgrad: error: disk/ck/ckpt-000000004.h5: cannot write( dataset '[^']*')?: No space left on device" full.err \
  || fail "the message does not name the file and the cause: $(cat full.err)"
[ "$(grep -c 'natgrad: error' full.err)" = 1 ] || fail "the error was printed $(grep -c 'natgrad: error' full.err) times"
! grep -qiE "segmentation fault|core dumped|exited on signal|MPI_ABORT" full.err || fail "a process crashed: $(cat full.err)"
ls disk/ck | grep -q '\.tmp$' && fail "a temporary file was left: $(ls disk/ck)"
timeout 60 "$MPIEXEC" -np 2 "$NATGRAD" evaluate --model disk/ck/ckpt-000000002.h5 --data kos.h5 >/dev/null \
  || fail "the previous checkpoint is not readable"
echo "ok: $(grep error full.err); the previous checkpoint stays readable, no temporary file is left"
# Space freed: the job continues where it stopped.
rm disk/filler
fit --checkpoint.path disk/ck --output.model disk/model.h5 --restart auto > resumed.log 2> resumed.err \
  || fail "the resubmission: $(cat resumed.err)"
grep -q "restarting from disk/ck/ckpt-000000002.h5" resumed.log || fail "did not resume from step 2: $(cat resumed.log)"
"$NATGRAD_PYTHON" -c "
import sys, h5py, numpy as np
sys.exit(0 if np.array_equal(h5py.File('straight.h5', 'r')['model/lambda'][:], h5py.File('disk/model.h5', 'r')['model/lambda'][:]) else 1)" \
  || fail "the resumed run differs from the uninterrupted one"
echo "ok: after space is freed, --restart auto resumes bit for bit"
# The model file itself on a full disk.
rm -rf disk/ck disk/model.h5
dd if=/dev/zero of=disk/filler bs=1024 count=$(( 32 * 1024 - size / 2048 )) status=none 2>/dev/null || true
status=0
fit --output.model disk/model.h5 > model.log 2> model.err || status=$?
[ "$status" = 1 ] && grep -qE "natgrad: error: disk/model.h5: cannot write( dataset '[^']*')?: No space left on device" model.err \
  || fail "the model file on a full disk: status $status, $(cat model.err)"
[ ! -e disk/model.h5 ] && ! ls disk | grep -q '\.tmp$' || fail "a partial model file was left: $(ls disk)"
echo "ok: $(grep error model.err)"
echo "e2e_disk_full: ok"
