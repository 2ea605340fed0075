# The real binary on a real corpus at 1, 2 and 4 ranks (oversubscribed): the
# same seed gives the same λ to a relative 1e-9 and the same history.
source "$(dirname "$0")/common.sh"
CORA="${NATGRAD_SHARED_DATA:-}/cora"
[ -f "$CORA/docword.cora.txt.gz" ] || skip "shared corpora not found at $CORA"
cd "$WORK"
"$NATGRAD" convert uci "$CORA/docword.cora.txt.gz" "$CORA/vocab.cora.txt" --out cora.h5 \
  --split-every 10 --heldout-out cora_test.h5
for np in 1 2 4; do
  timeout 300 "$MPIEXEC" -np "$np" "$NATGRAD" fit --model.topics 10 --data.train cora.h5 \
    --data.heldout cora_test.h5 --solver.batch_size 100 --solver.max_steps 8 --solver.seed 3 \
    --eval.every_steps 4 --output.model "np$np.h5" > "np$np.log"
done
"$NATGRAD_PYTHON" - <<'PY'
import sys
import h5py
import numpy as np

ref = h5py.File("np1.h5", "r")
lam1 = ref["model/lambda"][:]
for np_ in (2, 4):
    other = h5py.File(f"np{np_}.h5", "r")
    lam = other["model/lambda"][:]
    rel = np.abs(lam - lam1).max() / np.abs(lam1).max()
    h1, h = ref["history"][:], other["history"][:]
    hrel = np.abs(h["perplexity"] - h1["perplexity"]).max() / h1["perplexity"].max()
    print(f"np1 vs np{np_}: max relative difference of lambda {rel:.2e}, of perplexity {hrel:.2e}")
    if not (rel < 1e-9 and hrel < 1e-9 and list(h["step"]) == list(h1["step"])):
        sys.exit("FAIL: rank counts disagree")
PY
echo "e2e_rank_counts: ok"
