# natgrad synth lda draws a corpus with its true topics; a fit under mpirun
# recovers them. The fitted topics E[β_k] are matched one to one with the true
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
echo "e2e_synth: ok"
