# A model or checkpoint altered after it was written (flipped bits, a page of
# zeros, a lost write: an older page where a newer one should be) is refused
# by a restart, `evaluate`, `infer` and the Python tools, naming the file and
# the dataset; `--restart auto` skips a damaged newest checkpoint with a
# warning and continues from the newest good one, bit for bit; M and its block
# sums in a checkpoint are cross-checked. (A model file holds λ as the family's
# tensors, a checkpoint as M of λ = B + a·M: each is damaged where λ is.)
source "$(dirname "$0")/common.sh"
KOS="$NATGRAD_REPO/jobs/data/kos"
cd "$WORK"
"$NATGRAD" convert uci "$KOS/docword.kos.txt.gz" "$KOS/vocab.kos.txt" --out kos.h5 --split-every 10 \
  --heldout-out kos_test.h5 >/dev/null
JOB=(--model.topics 10 --data.train kos.h5 --data.heldout kos_test.h5 --solver.batch_size 128 --solver.seed 4
  --eval.every_steps 0)
fit() { timeout 120 "$MPIEXEC" -np 2 "$NATGRAD" fit "${JOB[@]}" "$@"; }
refit() { timeout 120 "${ANY_RANKS[@]}" "$NATGRAD" fit "${JOB[@]}" "$@"; }  # a refused restart (common.sh)
fit --solver.max_steps 8 --output.model straight.h5 >/dev/null
fit --solver.max_steps 6 --checkpoint.path ck --checkpoint.every_steps 3 --checkpoint.keep 5 --output.model m6.h5 >/dev/null
[ -f ck/ckpt-000000003.h5 ] && [ -f ck/ckpt-000000006.h5 ] || fail "no checkpoints at steps 3 and 6"

# Damaged copies of the step-6 checkpoint, each in one dataset's stored bytes.
"$NATGRAD_PYTHON" - <<'PY'
import shutil, h5py
def where(path, name, chunk=0):
    with h5py.File(path, "r") as f:
        d = f[name]
        return d.id.get_chunk_info(chunk).byte_offset if d.chunks else d.id.get_offset()
def damage(name, dataset, change, source="ck/ckpt-000000006.h5"):
    shutil.copy(source, name)
    at = where(name, dataset)
    with open(name, "r+b") as f:
        change(f, at)
def flip(f, at):            # one flipped bit, in the 10th value
    f.seek(at + 75); b = f.read(1); f.seek(at + 75); f.write(bytes([b[0] ^ 0x04]))
def zeros(f, at):           # a page of zeros
    f.seek(at); f.write(bytes(4096))
def lost(f, at):            # a lost write: the bytes of the same place in the older checkpoint
    with open("ck/ckpt-000000003.h5", "rb") as old:
        old.seek(at); page = old.read(4096)
    f.seek(at); f.write(page)
damage("flip_lambda.h5", "model/lambda", flip, "m6.h5")  # the model file's λ
damage("zeros_offset.h5", "solver/lambda_offset", zeros)
damage("lost_offset.h5", "solver/lambda_offset", lost)
damage("flip_alpha.h5", "model/alpha", flip)
# A string of the vocabulary changed in place (its bytes live in the file's heap).
shutil.copy("ck/ckpt-000000006.h5", "vocab_word.h5")
data = open("vocab_word.h5", "rb").read()
word = b"aarp"  # a word of KOS's vocabulary
at = data.find(word + b"\0")
assert at > 0
with open("vocab_word.h5", "r+b") as f:
    f.seek(at); f.write(b"zarp")
# M rewritten consistently (valid checksums) but no longer summed by its block sums.
shutil.copy("ck/ckpt-000000006.h5", "inconsistent.h5")
with h5py.File("inconsistent.h5", "r+") as f:
    m = f["solver/lambda_offset"][:]
    m[0] += 1.5 * abs(m).max()
    f["solver/lambda_offset"][...] = m
PY

refused() {  # NAME EXPECTED COMMAND...: the command fails with one message holding EXPECTED
  local name=$1 expected=$2 status=0
  shift 2
  "$@" > out.log 2> err.log || status=$?
  if [ "$status" = 0 ]; then
    echo "FAIL: $name: accepted"; failures=$((failures + 1))
  elif sanitizer_report err.log > /dev/null; then
    echo "FAIL: $name: a sanitizer's report: $(sanitizer_report err.log)"; failures=$((failures + 1))
  elif ! grep -qF -- "$expected" err.log; then
    echo "FAIL: $name: message lacks '$expected': $(tail -2 err.log)"; failures=$((failures + 1))
  else
    echo "ok: $name: $(grep -m1 -E 'error|natgrad_tools' err.log)"
  fi
}
TOOLS="$NATGRAD_REPO/tools/natgrad_tools.py"
for f in flip_lambda:model/lambda lost_offset:solver/lambda_offset; do
  d=${f#*:} f=${f%%:*}
  refused "$f, evaluate" "$f.h5: cannot read dataset '/$d': it fails its checksum" \
    timeout 60 "${ANY_RANKS[@]}" "$NATGRAD" evaluate --model $f.h5 --data kos_test.h5
  refused "$f, infer" "$f.h5: cannot read dataset '/$d': it fails its checksum" \
    timeout 60 "${ANY_RANKS[@]}" "$NATGRAD" infer --model $f.h5 --data kos_test.h5 --out theta_$f.h5
  refused "$f, restart" "$f.h5: cannot read dataset '/$d': it fails its checksum" \
    refit --solver.max_steps 8 --restart $f.h5 --output.model r.h5
  refused "$f, tools" "Fletcher32" "$NATGRAD_PYTHON" "$TOOLS" topics $f.h5
done
refused "page of zeros in M, restart" "zeros_offset.h5: cannot read dataset '/solver/lambda_offset': it fails its checksum" \
  refit --solver.max_steps 8 --restart zeros_offset.h5 --output.model r.h5
refused "flipped bit in alpha, evaluate" "flip_alpha.h5: cannot read dataset '/model/alpha'" \
  timeout 60 "${ANY_RANKS[@]}" "$NATGRAD" evaluate --model flip_alpha.h5 --data kos_test.h5
refused "a word of the vocabulary, evaluate" "vocab_word.h5: dataset '/vocab' fails its checksum" \
  timeout 60 "${ANY_RANKS[@]}" "$NATGRAD" evaluate --model vocab_word.h5 --data kos_test.h5
refused "a word of the vocabulary, tools" "vocab_word.h5: /vocab fails its checksum" \
  "$NATGRAD_PYTHON" "$TOOLS" topics vocab_word.h5
refused "M against its block sums, restart" \
  "inconsistent.h5: '/solver/lambda_offset_block_sum' disagrees with '/solver/lambda_offset' (a damaged file?)" \
  refit --solver.max_steps 8 --restart inconsistent.h5 --output.model r.h5
[ ! -e theta_flip_lambda.h5 ] || { echo "FAIL: infer wrote a theta file from a damaged model"; failures=$((failures + 1)); }

# --restart auto over a damaged newest checkpoint: a warning, then the newest good one, bit for bit.
cp lost_offset.h5 ck/ckpt-000000007.h5
fit --solver.max_steps 8 --checkpoint.path ck --checkpoint.every_steps 3 --checkpoint.keep 5 --restart auto \
  --output.model resumed.h5 > auto.log 2> auto.err || { echo "FAIL: restart auto: $(cat auto.err)"; failures=$((failures + 1)); }
grep -q "warning: skipping checkpoint ck/ckpt-000000007.h5: cannot read dataset '/solver/lambda_offset'" auto.err \
  && grep -q "restarting from ck/ckpt-000000006.h5" auto.log \
  && echo "ok: restart auto skips the damaged checkpoint: $(grep warning auto.err)" \
  || { echo "FAIL: restart auto did not skip the damaged checkpoint: $(cat auto.log auto.err)"; failures=$((failures + 1)); }
"$NATGRAD_PYTHON" -c "
import sys, h5py, numpy as np
a, b = (h5py.File(p, 'r')['model/lambda'][:] for p in ('straight.h5', 'resumed.h5'))
sys.exit(0 if np.array_equal(a, b) else 1)" \
  && echo "ok: resumed over the damaged checkpoint bit for bit" \
  || { echo "FAIL: the run resumed over the damaged checkpoint differs"; failures=$((failures + 1)); }
[ "$failures" = 0 ] || exit 1
echo "e2e_damaged_files: ok"
