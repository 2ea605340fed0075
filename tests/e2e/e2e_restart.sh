# Resume equivalence with the real binary on real data, for a model type
# (argument: lda, on the Cora corpus, gmm, on the digits data, or hpf, on the
# dependencies in the first 40,000 lines of the Debian packages' (an eighth of
# them), a fifth of each package's held out):
#  - 2N steps, and N steps restarted for N more, give the same λ bit for bit at
#    the same rank count;
#  - a run restarted across rank counts (4 -> 2 -> 1) agrees to a relative 1e-9,
#    and so does one restarted from a model file (without the solver's form of λ);
#  - SIGUSR1 (as a scheduler sends before a time limit) stops the job after a
#    checkpoint with status 75, and the restarted job ends with the same λ.
# A second argument, learned, runs the same with the family's learnable priors
# learned (lda: model.alpha = model.eta = auto; gmm: model.weight_concentration =
# auto) and solver.schedule = adaptive: the checkpoints keep the priors, λ's
# moving base and the adaptive step's averages (in the sanitizer build: the
# first check only, the rest being the same paths as without them).
source "$(dirname "$0")/common.sh"
MODEL=${1:-lda}
VARIANT=${2:-}
DATA="${NATGRAD_SHARED_DATA:-}"
cd "$WORK"
if [ "$MODEL" = gmm ]; then
  [ -f "$DATA/digits/digits.csv.gz" ] || skip "shared data not found at $DATA"
  "$NATGRAD" convert csv "$DATA/digits/digits.csv.gz" --label-column last --out train.h5 \
    --split-every 10 --heldout-out test.h5 >/dev/null
  JOB=(--model.type gmm --model.components 10 --data.train train.h5 --data.heldout test.h5
    --solver.batch_size 64 --solver.seed 5 --eval.every_steps 10)
  PREEMPT_STEPS=2000
elif [ "$MODEL" = hpf ]; then
  [ -f "$DATA/debdeps/triples.debdeps.tsv.gz" ] || skip "shared data not found at $DATA"
  LINES=40000  # (the sanitizer build: 20,000)
  [ -z "${NATGRAD_SANITIZED:-}" ] || LINES=20000
  { zcat "$DATA/debdeps/triples.debdeps.tsv.gz" || true; } | head -n "$LINES" > debdeps.tsv  # (zcat: SIGPIPE)
  "$NATGRAD" convert triples debdeps.tsv --out train.h5 \
    --holdout-fraction 0.2 --seed 1 --heldout-out test.h5 >/dev/null
  JOB=(--model.type hpf --model.factors 10 --data.train train.h5 --data.heldout test.h5
    --solver.batch_size 256 --solver.seed 5 --eval.every_steps 30)
  PREEMPT_STEPS=3000
else
  [ -f "$DATA/cora/docword.cora.txt.gz" ] || skip "shared corpora not found at $DATA"
  "$NATGRAD" convert uci "$DATA/cora/docword.cora.txt.gz" "$DATA/cora/vocab.cora.txt" --out train.h5 \
    --split-every 10 --heldout-out test.h5 >/dev/null
  JOB=(--model.topics 20 --data.train train.h5 --data.heldout test.h5 --solver.batch_size 64
    --solver.seed 5 --eval.every_steps 10)
  PREEMPT_STEPS=1500
fi
if [ "$VARIANT" = learned ]; then
  JOB+=(--solver.schedule adaptive)
  if [ "$MODEL" = gmm ]; then JOB+=(--model.weight_concentration auto); else JOB+=(--model.alpha auto --model.eta auto); fi
fi
# N steps, then N more; the sanitizer build runs fewer, its steps being slower and its paths the same
# (N a multiple of the learned variants' eval.every_steps, 10: their restarted /history has the same rows).
N=30
[ -z "${NATGRAD_SANITIZED:-}" ] || N=10
fit() { local np=$1; shift; timeout 300 "$MPIEXEC" -np "$np" "$NATGRAD" fit "${JOB[@]}" "$@"; }
same() {  # same A.h5 B.h5 TOLERANCE: λ equal (0: bit for bit) and at the same step
  "$NATGRAD_PYTHON" - "$@" <<'PY'
import sys, h5py, numpy as np
a, b, tol = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r"), float(sys.argv[3])
# λ's tensors as /layout names them (lda: /model/lambda; gmm: the mixture's pseudo-count coordinates).
names = [n.decode() if isinstance(n, bytes) else n for n in a["layout/names"][:]]
la = np.concatenate([a["model"][n][:].ravel() for n in names])
lb = np.concatenate([b["model"][n][:].ravel() for n in names])
rel = np.abs(la - lb).max() / np.abs(la).max()
ok = (np.array_equal(la, lb) if tol == 0 else rel < tol) and a["solver"].attrs["step"] == b["solver"].attrs["step"]
print(f"{sys.argv[1]} vs {sys.argv[2]}: max relative difference {rel:.2e}, steps",
      a["solver"].attrs["step"], b["solver"].attrs["step"], "ok" if ok else "DIFFER")
sys.exit(0 if ok else 1)
PY
}

fit 2 --solver.max_steps $((2 * N)) --output.model straight.h5 >/dev/null
fit 2 --solver.max_steps $N --checkpoint.path ck_a --output.model half.h5 >/dev/null
[ -f ck_a/ckpt-$(printf %09d $N).h5 ] || fail "no checkpoint at step $N"
fit 2 --solver.max_steps $((2 * N)) --checkpoint.path ck_a --restart auto --output.model resumed.h5 > resumed.log
grep -q "restarting from ck_a/ckpt-$(printf %09d $N).h5" resumed.log || fail "did not restart from step $N"
same straight.h5 resumed.h5 0 || fail "2N steps and N + N steps differ at 2 ranks"
if [ "$VARIANT" = learned ]; then
  "$NATGRAD_PYTHON" - <<'PY' || fail "the learned priors or the adaptive step sizes differ after the restart"
import sys, h5py, numpy as np
a, b = h5py.File("straight.h5", "r"), h5py.File("resumed.h5", "r")
names = [n for n in ("alpha", "eta", "prior") if n in a["model"]]
same = all(np.array_equal(a["model"][n][:] if a["model"][n].shape else a["model"][n][()],
                          b["model"][n][:] if b["model"][n].shape else b["model"][n][()])
           for n in names if isinstance(a["model"][n], h5py.Dataset))
same = same and np.array_equal(a["history"][:]["rho"][1:], b["history"][:]["rho"][1:])
print("learned priors and the (adaptive) step sizes of /history the same:", same)
sys.exit(0 if same else 1)
PY
  if [ -n "${NATGRAD_SANITIZED:-}" ]; then echo "e2e_restart $MODEL $VARIANT: ok (sanitizer build: the first check)"; exit 0; fi
fi
# A restart from an explicit path, at 1 rank, bit for bit against 1 rank straight through.
fit 1 --solver.max_steps $((2 * N)) --output.model straight1.h5 >/dev/null
fit 1 --solver.max_steps $((2 * N)) --restart ck_a/ckpt-$(printf %09d $N).h5 --output.model resumed1.h5 >/dev/null
"$NATGRAD_PYTHON" -c "import sys,h5py,numpy as np; sys.exit(0 if h5py.File('resumed1.h5')['solver'].attrs['step']==$((2 * N)) else 1)"
same straight1.h5 resumed1.h5 1e-9 || fail "restart at 1 rank from a 2-rank checkpoint"
# A model file (λ's tensors alone, without the solver's form: as the files from before it) continues from
# a = 1, M = λ − η: to rounding. (The learned variant's adaptive step starts its averages afresh there.)
if [ "$VARIANT" != learned ]; then
fit 2 --solver.max_steps $((2 * N)) --restart half.h5 --output.model resumed_old.h5 >/dev/null
same straight.h5 resumed_old.h5 1e-9 || fail "restart from a model file (without the solver's form of λ)"
fi

# 4 -> 2 -> 1 ranks.
fit 4 --solver.max_steps $((2 * N / 3)) --checkpoint.path ck_b --output.model a.h5 >/dev/null
fit 2 --solver.max_steps $((4 * N / 3)) --checkpoint.path ck_b --restart auto --output.model b.h5 >/dev/null
fit 1 --solver.max_steps $((2 * N)) --checkpoint.path ck_b --restart auto --output.model c.h5 >/dev/null
same straight.h5 c.h5 1e-9 || fail "4 -> 2 -> 1 ranks differs from 2 ranks straight through"
ls ck_b | grep -q "ckpt-$(printf %09d $((2 * N))).h5" || fail "no final checkpoint"
[ "$(ls ck_b | wc -l)" = 2 ] || fail "checkpoint.keep = 2 not honoured: $(ls ck_b)"

# Preemption: SIGUSR1 to mpirun, which forwards it to every rank; PREEMPT_STEPS is only an upper
# bound, long enough that the signal lands mid-run. The job resumed to 20 steps past the stop ends with
# the λ of a job run straight to there.
"$MPIEXEC" -np 2 "$NATGRAD" fit "${JOB[@]}" --solver.max_steps "$PREEMPT_STEPS" --checkpoint.path ck_c \
  --output.model pre.h5 > pre.log 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "^step" pre.log 2>/dev/null && break; sleep 0.1; done
sleep 0.3
start=$(date +%s%N)
kill -USR1 "$pid"
status=0
wait "$pid" || status=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$status" = 75 ] || fail "preempted job exited with $status, expected 75: $(tail -3 pre.log)"
[ "$elapsed_ms" -lt 10000 ] || fail "preempted job took $elapsed_ms ms to stop"
stopped=$(sed -n 's/^stopped at step \([0-9]*\) .*/\1/p' pre.log)
[ -n "$stopped" ] || fail "no 'stopped at step' line: $(tail -3 pre.log)"
ls ck_c | grep -q "^ckpt-$(printf %09d "$stopped").h5" || fail "no checkpoint at step $stopped after SIGUSR1: $(ls ck_c)"
END=$((stopped + 20))
fit 2 --solver.max_steps "$END" --checkpoint.path ck_c --restart auto --output.model post.h5 >/dev/null
fit 2 --solver.max_steps "$END" --output.model straight_pre.h5 >/dev/null
same straight_pre.h5 post.h5 0 || fail "preempted and resumed differs from straight through"
echo "preemption: $(grep '^stopped' pre.log); exit status 75 after $elapsed_ms ms"
echo "e2e_restart $MODEL $VARIANT: ok"
