# natgrad infer and evaluate with the real binary: topic proportions of the
# held-out KOS documents under a fitted model, the same at 1 and 3 ranks, rows
# summing to 1, and the file records which model produced them; the held-out
# perplexity of the model file equals the fit's own last evaluation; --threads 3
# changes neither.
source "$(dirname "$0")/common.sh"
KOS="$NATGRAD_REPO/jobs/data/kos"
cd "$WORK"
"$NATGRAD" convert uci "$KOS/docword.kos.txt.gz" "$KOS/vocab.kos.txt" --out kos.h5 \
  --split-every 10 --heldout-out kos_test.h5 >/dev/null
timeout 120 "$MPIEXEC" -np 2 "$NATGRAD" fit --model.topics 12 --data.train kos.h5 --data.heldout kos_test.h5 \
  --solver.max_steps 8 --output.model model.h5 > fit.log
fitted=$(grep -o 'held-out perplexity [0-9.]*' fit.log | awk '{print $3}')
for np in 1 3; do
  timeout 120 "$MPIEXEC" -np "$np" "$NATGRAD" evaluate --model model.h5 --data kos_test.h5 > evaluate.log
  evaluated=$(grep -o 'held-out perplexity [0-9.]*' evaluate.log | awk '{print $3}')
  "$NATGRAD_PYTHON" -c "import sys; sys.exit(abs($evaluated / $fitted - 1) > 1e-5)" \
    || fail "evaluate at $np ranks gives $evaluated, the fit said $fitted"
done
timeout 120 "$MPIEXEC" --bind-to none -np 1 "$NATGRAD" evaluate --model model.h5 --data kos_test.h5 --threads 3 \
  > evaluate_threads.log
[ "$(grep -o 'held-out perplexity [0-9.]*' evaluate_threads.log)" = "$(grep -o 'held-out perplexity [0-9.]*' evaluate.log)" ] \
  || fail "evaluate with --threads 3 differs: $(cat evaluate_threads.log)"
timeout 120 "$MPIEXEC" -np 1 "$NATGRAD" infer --model model.h5 --data kos_test.h5 --out theta1.h5
timeout 120 "$MPIEXEC" -np 3 "$NATGRAD" infer --model model.h5 --data kos_test.h5 --out theta3.h5 > infer.log
timeout 120 "$MPIEXEC" --bind-to none -np 1 "$NATGRAD" infer --model model.h5 --data kos_test.h5 --out theta1t.h5 \
  --threads 3 >/dev/null
grep -q "wrote theta3.h5: topic proportions of 343 documents under model.h5 (step 8)" infer.log || fail "summary line"
"$NATGRAD_PYTHON" - <<'PY'
import sys, h5py, numpy as np
one, three, corpus = h5py.File("theta1.h5", "r"), h5py.File("theta3.h5", "r"), h5py.File("kos_test.h5", "r")
threads = h5py.File("theta1t.h5", "r")
t1, t3 = one["theta"][:], three["theta"][:]
checks = {
    "format": three.attrs["format"] == "natgrad.theta" and three.attrs["schema_version"] == 1,
    "records the model": three.attrs["model"] == "model.h5" and three.attrs["model_step"] == 8,
    "shape D x K": t3.shape == (343, 12) and three["gamma"].shape == (343, 12),
    "rows sum to 1": np.allclose(t3.sum(axis=1), 1.0, atol=1e-12),
    "1 and 3 ranks agree": np.abs(t1 - t3).max() < 1e-12,
    "1 and 3 threads agree exactly": np.array_equal(threads["gamma"][:], one["gamma"][:]),
    "doc ids and lengths": np.array_equal(three["doc_ids"][:], corpus["doc_ids"][:])
        and np.array_equal(three["doc_lengths"][:], np.add.reduceat(corpus["counts"][:], corpus["indptr"][:-1])),
    "documents differ": t3.std(axis=0).max() > 0.05,
}
for name, ok in checks.items():
    print(("ok: " if ok else "FAIL: ") + name)
sys.exit(0 if all(checks.values()) else 1)
PY
echo "e2e_infer: ok"
