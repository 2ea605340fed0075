# natgrad synth lda draws a corpus with its true topics (and α, symmetric or
# not); a fit under mpirun recovers them, and the learned α the true one. The fitted topics E[β_k] are matched one to one with the true
# ones (Hungarian algorithm on the Hellinger distance). Bound: with about 29,000
# tokens per topic over V = 200 words, the sampling error of a topic alone is a
# Hellinger distance of about sqrt(V / 8n) ≈ 0.03; ten epochs of SVI leave a
# few times that (0.07-0.16 seen), and unrelated topics are 0.6 or more apart,
# so a mean of 0.2, and matched pairs three times closer than unmatched ones,
# separate recovery from failure.
source "$(dirname "$0")/common.sh"
cd "$WORK"
"$NATGRAD" synth lda --topics 5 --vocab 200 --docs 2000 --doc-length 80 --alpha 0.2 --eta 0.05 --seed 3 \
  --out syn.h5 --split-every 10 --heldout-out syn_test.h5 > synth.log
grep -q "wrote syn.h5: 1800 documents, 200 words" synth.log || fail "synth summary: $(cat synth.log)"
# The same options give the same corpus.
"$NATGRAD" synth lda --topics 5 --vocab 200 --docs 2000 --doc-length 80 --alpha 0.2 --eta 0.05 --seed 3 --out again.h5 >/dev/null
timeout 120 "$MPIEXEC" -np 2 "$NATGRAD" fit --model.topics 5 --data.train syn.h5 --data.heldout syn_test.h5 \
  --solver.epochs 10 --eval.every_steps 0 --output.model fit.h5 >/dev/null
"$NATGRAD_PYTHON" - <<'PY'
import sys
import h5py
import numpy as np
from scipy.optimize import linear_sum_assignment

syn, again = h5py.File("syn.h5", "r"), h5py.File("again.h5", "r")
truth = syn["truth/topics"][:]
assert truth.shape == (5, 200) and np.allclose(truth.sum(axis=1), 1), "truth/topics shape and rows"
# again.h5 is the whole corpus; syn.h5 its 9 in 10 training documents: compare the document of source index 0.
assert np.array_equal(again["indices"][: again["indptr"][1]], syn["indices"][: syn["indptr"][1]]), "deterministic"
lam = h5py.File("fit.h5", "r")["model/lambda"][:]
beta = lam / lam.sum(axis=1, keepdims=True)
hellinger = np.sqrt(0.5 * ((np.sqrt(beta)[:, None, :] - np.sqrt(truth)[None, :, :]) ** 2).sum(axis=2))
rows, cols = linear_sum_assignment(hellinger)
matched = hellinger[rows, cols].mean()
matched_mask = np.zeros_like(hellinger, dtype=bool)
matched_mask[rows, cols] = True
unmatched = hellinger[~matched_mask].mean()
print(f"matched topics: mean Hellinger distance {matched:.3f}; unmatched pairs {unmatched:.3f}")
sys.exit(0 if matched < 0.2 and matched < unmatched / 3 else 1)
PY

# A known asymmetric α (synth lda --alpha as K numbers) is learned back (model.alpha = auto): batch VB
# (the whole corpus a step, ρ = 1) of 3,000 documents of 150 tokens, topics of η = 0.01 over 500 words
# (a Hellinger distance of 0.07 or less from the truth: recovered); each topic's learned α within 15 %
# of the truth's. Seen: 0.0521, 0.0936, 0.2021, 0.3994, 0.7916 for 0.05, 0.1, 0.2, 0.4, 0.8. (Variational
# inference of θ biases α down a little; other seeds can leave two topics mixed, a local optimum.)
"$NATGRAD" synth lda --topics 5 --vocab 500 --docs 3000 --doc-length 150 --alpha 0.05,0.1,0.2,0.4,0.8 --eta 0.01 \
  --seed 2 --out asym.h5 > asym.log
timeout 300 "$MPIEXEC" -np 2 "$NATGRAD" fit --model.topics 5 --model.alpha auto --data.train asym.h5 \
  --solver.batch_size 3000 --solver.schedule constant --solver.rho 1 --solver.max_steps 60 --eval.every_steps 0 \
  --output.model asym_fit.h5 >/dev/null
"$NATGRAD_PYTHON" - <<'PY'
import sys
import h5py
import numpy as np
from scipy.optimize import linear_sum_assignment

syn, fit = h5py.File("asym.h5", "r"), h5py.File("asym_fit.h5", "r")
truth, true_alpha = syn["truth/topics"][:], syn["truth/alpha"][:]
assert list(true_alpha) == [0.05, 0.1, 0.2, 0.4, 0.8], true_alpha
lam = fit["model/lambda"][:]
beta = lam / lam.sum(axis=1, keepdims=True)
hellinger = np.sqrt(0.5 * ((np.sqrt(beta)[:, None, :] - np.sqrt(truth)[None, :, :]) ** 2).sum(axis=2))
rows, cols = linear_sum_assignment(hellinger)
learned = fit["model/alpha"][:][rows]
print("topics' Hellinger distances", np.round(hellinger[rows, cols], 3), "; learned alpha", np.round(learned, 4),
      "against", true_alpha[cols])
ok = (hellinger[rows, cols] < 0.1).all() and (np.abs(learned / true_alpha[cols] - 1) < 0.15).all()
h = fit["history"][:]
ok = ok and "alpha_mean" in h.dtype.names and abs(h["alpha_mean"][-1] - fit["model/alpha"][:].mean()) < 1e-12
sys.exit(0 if ok else "FAIL: the learned alpha does not recover the truth")
PY

# natgrad synth gmm under mpirun (rank 0 writes), with a split: dense data with
# its labels and the true mixture in /truth of both files.
timeout 120 "$MPIEXEC" -np 2 "$NATGRAD" synth gmm --components 4 --dim 3 --points 5000 --covariance full --seed 9 \
  --out gmm.h5 --split-every 5 --heldout-out gmm_test.h5 > gmm.log
grep -q "wrote gmm.h5: 4000 rows, 3 columns" gmm.log || fail "synth gmm summary: $(cat gmm.log)"
grep -q "wrote gmm_test.h5: 1000 rows, 3 columns" gmm.log || fail "synth gmm summary: $(cat gmm.log)"
"$NATGRAD" synth gmm --components 3 --dim 2 --points 100 --covariance diag --out gmm_diag.h5 >/dev/null
"$NATGRAD_PYTHON" - <<'PY'
import h5py
import numpy as np

for name, n, k, d, kind, seed in [("gmm.h5", 4000, 4, 3, "full", 9), ("gmm_test.h5", 1000, 4, 3, "full", 9),
                                  ("gmm_diag.h5", 100, 3, 2, "diag", 1)]:
    f = h5py.File(name, "r")
    a = f.attrs
    assert a["format"] == "natgrad.dense" and a["schema_version"] == 1, (name, dict(a))
    assert a["num_rows"] == n and a["num_cols"] == d, (name, dict(a))
    assert f["data"].shape == (n, d) and np.isfinite(f["data"][:]).all(), name
    labels = f["labels"][:]
    assert labels.shape == (n,) and set(np.unique(labels)) <= set(range(k)), name
    t = f["truth"]
    assert t["weights"].shape == (k,) and abs(t["weights"][:].sum() - 1) < 1e-12, name
    assert t["means"].shape == (k, d) and t["covariances"].shape == (k, d, d), name
    assert t.attrs["components"] == k and t.attrs["covariance"] == kind and t.attrs["seed"] == seed, dict(t.attrs)
    cov = t["covariances"][:]
    assert np.allclose(cov, cov.transpose(0, 2, 1)), name
    eig = np.linalg.eigvalsh(cov)
    assert eig.min() >= 0.5 - 1e-9 and eig.max() <= 2 + 1e-9, (name, eig)
    if kind == "diag":
        assert np.count_nonzero(cov - np.einsum("kii->ki", cov)[:, :, None] * np.eye(d)) == 0, name
# The split: row i of the whole goes to the test file when i % 5 == 4.
train, test = h5py.File("gmm.h5", "r"), h5py.File("gmm_test.h5", "r")
assert (test["row_ids"][:] % 5 == 4).all() and (train["row_ids"][:] % 5 != 4).all()
assert np.array_equal(train["truth/means"][:], test["truth/means"][:])
print("synth gmm: files ok")
PY
echo "e2e_synth: ok"
