# Hierarchical Poisson factorization end to end on the Debian dependencies
# (packages as users, the packages they depend on as items):
#  - convert triples (gzip, a header line, string ids) with a fifth of each
#    package's items held out, and the converter's errors on broken records;
#  - fit at 1, 2 and 4 ranks: the same λ and /history (held-out Poisson
#    log-likelihood, precision, recall and NDCG at 20) to a relative 1e-9;
#  - evaluate under mpirun -np 2 gives the fit's last held-out figures;
#  - infer: every package's E[θ] and top 10 items, none of them one it has;
#  - new users converted with the model's items (convert triples --items-from) are inferred as the
#    packages whose items they have;
#  - the tools: summary, factors, recommend, compare, export, plot.
source "$(dirname "$0")/common.sh"
DEB="${NATGRAD_SHARED_DATA:-}/debdeps/triples.debdeps.tsv.gz"
[ -f "$DEB" ] || skip "shared data not found at $DEB"
cd "$WORK"
TOOLS=("$NATGRAD_PYTHON" "$NATGRAD_REPO/tools/natgrad_tools.py")

# Broken records: an error naming the file, line and column, and no output file.
expect_error() {  # expect_error CONTENT MESSAGE
  printf "$1" > bad.tsv
  if "$NATGRAD" convert triples bad.tsv --out bad.h5 > err.log 2>&1; then fail "accepted $(cat bad.tsv)"; fi
  grep -qF "$2" err.log || fail "expected '$2', got: $(cat err.log)"
  [ ! -e bad.h5 ] || fail "a partial bad.h5 was left"
}
expect_error 'a\tb\t1\nc\td\n' "bad.tsv line 2: 2 fields; line 1 has 3"
expect_error 'a\tb\t1\nc\td\t-2\n' "bad.tsv line 2, column 3: count '-2' is out of range; expected 1 to 2147483647"
expect_error 'a\tb\t1\nc\td\t1.5\n' "bad.tsv line 2, column 3: count '1.5' is not an integer"
expect_error 'a\tb\t1\nc\td\t\n' "bad.tsv line 2, column 3: empty count"
expect_error 'a\tb\t1\nc\td\t99999999999\n' "bad.tsv line 2, column 3: count '99999999999' is out of range"
expect_error 'a\tb\t1\n\xff\td\t2\n' "bad.tsv line 2, column 1: user id"

# All 340,684 records (the sanitizer build: the first 40,000, an eighth of the packages).
if [ -n "${NATGRAD_SANITIZED:-}" ]; then
  { zcat "$DEB" || true; } | head -n 40000 | gzip > part.tsv.gz  # (zcat: SIGPIPE)
  DEB=part.tsv.gz USERS=6320 ITEMS=10241
else
  USERS=58045 ITEMS=50694
fi
"$NATGRAD" convert triples "$DEB" --out train.h5 --holdout-fraction 0.2 --seed 1 --heldout-out test.h5 > convert.log
grep -q "wrote train.h5: $USERS documents, $ITEMS words" convert.log || fail "convert: $(cat convert.log)"

JOB=(--model.type hpf --model.factors 10 --data.train train.h5 --data.heldout test.h5 --solver.batch_size 512
  --solver.seed 3 --solver.max_steps 20 --eval.every_steps 10)
for np in 1 2 4; do
  timeout 300 "$MPIEXEC" -np "$np" "$NATGRAD" fit "${JOB[@]}" --output.model "np$np.h5" > "np$np.log"
done
"$NATGRAD_PYTHON" - <<'PY'
import sys
import h5py
import numpy as np

def lam(f):
    return np.concatenate([f["model"][n.decode()][:].ravel() for n in f["layout/names"][:]])

ref = h5py.File("np1.h5", "r")
h1 = ref["history"][:]
columns = ["heldout_loglik", "precision_at_20", "recall_at_20", "ndcg_at_20"]
assert list(h1.dtype.names[4:]) == columns, h1.dtype.names
assert h1["precision_at_20"][-1] > 0.2, h1["precision_at_20"]
for np_ in (2, 4):
    other = h5py.File(f"np{np_}.h5", "r")
    rel = np.abs(lam(other) - lam(ref)).max() / np.abs(lam(ref)).max()
    h = other["history"][:]
    hrel = max(np.abs(h[c] - h1[c]).max() / np.abs(h1[c]).max() for c in columns)
    print(f"np1 vs np{np_}: max relative difference of lambda {rel:.2e}, of the history {hrel:.2e}")
    if not (rel < 1e-9 and hrel < 1e-9 and list(h["step"]) == list(h1["step"])):
        sys.exit("FAIL: rank counts disagree")
PY

timeout 300 "$MPIEXEC" -np 2 "$NATGRAD" evaluate --model np2.h5 --data test.h5 > eval.log
"$NATGRAD_PYTHON" - <<'PY'
import re, sys
import h5py
line = open("eval.log").read()
got = [float(x) for x in re.findall(r"(?:likelihood|@20) (-?[0-9.]+)", line)]
h = h5py.File("np2.h5", "r")["history"][-1]
want = [h[c] for c in ("heldout_loglik", "precision_at_20", "recall_at_20", "ndcg_at_20")]
print("evaluate:", got, "fit's last row:", want)
if len(got) != 4 or any(abs(g - w) > 1e-6 * max(1.0, abs(w)) for g, w in zip(got, want)):
    sys.exit("FAIL: evaluate differs from the fit's last held-out figures: " + line)
PY

timeout 300 "$MPIEXEC" -np 2 "$NATGRAD" infer --model np2.h5 --data train.h5 --out theta.h5 --top 10 > infer.log
"$NATGRAD_PYTHON" - <<'PY'
import sys
import h5py
import numpy as np
t, c = h5py.File("theta.h5", "r"), h5py.File("train.h5", "r")
rec, names, vocab = t["recommended"][:], t["recommended_names"][:], c["vocab"][:]
indptr, indices = c["indptr"][:], c["indices"][:]
users = len(indptr) - 1
assert t["theta"].shape == (users, 10) and rec.shape == (users, 10), (t["theta"].shape, rec.shape)
assert (t["user_names"][:] == c["doc_names"][:]).all()
assert (names == vocab[rec]).all()
assert np.isfinite(t["theta"][:]).all() and (t["theta"][:] > 0).all()
scores = t["recommended_scores"][:]
# Ranked by single-precision scores, reported in double: best first to rounding.
assert (np.diff(scores, axis=1) <= 1e-5 * scores[:, :-1]).all(), "recommendations not best first"
for u in range(0, users, 97):
    have = set(indices[indptr[u]:indptr[u + 1]])
    if have & set(rec[u]):
        sys.exit(f"FAIL: user {u} is recommended items it has: {sorted(have & set(rec[u]))}")
print(f"infer: {users} users, top 10 each, none of them an item the user has")
PY

# New users (every 50th package's training items under a new name, and an item the model does not know),
# converted with the model's items: infer gives each the θ and the recommendations of the package it copies.
"$NATGRAD_PYTHON" - <<'PY'
import h5py
c = h5py.File("train.h5", "r")
indptr, indices, counts = c["indptr"][:], c["indices"][:], c["counts"][:]
names, vocab = c["doc_names"].asstr()[:], c["vocab"].asstr()[:]
with open("new_users.tsv", "w") as out:
    for u in range(0, len(indptr) - 1, 50):
        for j in range(indptr[u], indptr[u + 1]):
            out.write(f"new-{names[u]}\t{vocab[indices[j]]}\t{counts[j]}\n")
        out.write(f"new-{names[u]}\tno-such-item\t1\n")
PY
"$NATGRAD" convert triples new_users.tsv --items-from np2.h5 --out new_users.h5 > new_convert.log
NEW=$(grep -c "no-such-item" new_users.tsv)
grep -q "^skipped $NEW records of items that np2.h5 does not have" new_convert.log || fail "convert --items-from: $(cat new_convert.log)"
timeout 300 "$MPIEXEC" -np 2 "$NATGRAD" infer --model np2.h5 --data new_users.h5 --out new_theta.h5 --top 10 > new_infer.log
"$NATGRAD_PYTHON" - <<'PY'
import sys
import h5py
import numpy as np
old, new = h5py.File("theta.h5", "r"), h5py.File("new_theta.h5", "r")
row = {n: i for i, n in enumerate(old["user_names"].asstr()[:])}
new_names = new["user_names"].asstr()[:]
of = np.array([row[n[len("new-"):]] for n in new_names])
rel = np.abs(new["theta"][:] - old["theta"][:][of]).max() / np.abs(old["theta"][:]).max()
same = (new["recommended"][:] == old["recommended"][:][of]).all()
print(f"new users: {len(new_names)}, max relative difference of theta from the packages they copy {rel:.1e}, "
      f"the same recommendations: {same}")
if not (rel < 1e-12 and same):
    sys.exit("FAIL: a new user with a package's items is not inferred as that package")
PY

"${TOOLS[@]}" summary np2.h5 | grep -q "^model: *hpf, K = 10 factors, $ITEMS items, $USERS users" || fail "summary"
"${TOOLS[@]}" factors np2.h5 --top 5 > factors.txt
[ "$(grep -c '^factor' factors.txt)" = 10 ] || fail "factors: $(cat factors.txt)"
"${TOOLS[@]}" recommend theta.h5 --user 0ad --top 3 > rec.txt
grep -q "^user 0ad: " rec.txt || fail "recommend: $(cat rec.txt)"
if "${TOOLS[@]}" recommend theta.h5 --user no-such-package > rec.txt 2>&1; then fail "recommend of an unknown user"; fi
grep -q "has no user 'no-such-package'" rec.txt || fail "recommend of an unknown user: $(cat rec.txt)"
"${TOOLS[@]}" compare np1.h5 np2.h5 > compare.txt
grep -q "mean distance 0.000000" compare.txt || fail "compare np1 np2: $(tail -1 compare.txt)"
"${TOOLS[@]}" export np2.h5 --out ex --theta theta.h5 > export.log
[ -s ex_item_factors.npz ] && [ -s ex_user_factors.npz ] || fail "export: $(cat export.log)"
"${TOOLS[@]}" plot np1.h5 np2.h5 --out plot.png > /dev/null
[ -s plot.png ] || fail "plot"
echo "e2e_hpf: ok ($(cat eval.log))"
