# A model continues on documents with new words (natgrad fit --init-model).
# The shipped Debian descriptions in two halves by package name (0-k, l-z),
# each converted with its own vocabulary: fit on the first half, continue on
# the second, which has words the first lacks. Those words appear in the
# topics; the continued model's vocabulary is the union; the step count goes
# on; and on held-out documents of the second half (the same tokens for both
# models: those of words the first model knows) the continued model's
# held-out perplexity is lower than the first model's. Then --drop-unseen,
# --reset-schedule, and a continued run restarted from its checkpoint ends
# with the λ of an uninterrupted one, bit for bit.
source "$(dirname "$0")/common.sh"
TEXT="$NATGRAD_REPO/jobs/data/debdesc/text"
STOP="$NATGRAD_REPO/jobs/data/stopwords/english.txt"
export PYTHONPATH="$NATGRAD_REPO/tools"
cd "$WORK"
FIRST=() SECOND=()
for d in "$TEXT"/*/; do
  case "$(basename "$d")" in [0-9a-k]) FIRST+=("$d") ;; *) SECOND+=("$d") ;; esac
done
epochs=10
[ -z "${NATGRAD_SANITIZED:-}" ] || epochs=3
RUN=("$MPIEXEC" -np 2 "$NATGRAD")
"$NATGRAD" convert text "${FIRST[@]}" --stop-words "$STOP" --min-df 2 --out first.h5
# The second half's held-out documents: every tenth, empty ones kept so that both vocabularies hold out the same.
"$NATGRAD" convert text "${SECOND[@]}" --stop-words "$STOP" --min-df 2 --keep-empty --out second.h5 \
  --split-every 10 --heldout-out second_test.h5
BASE=(--model.topics 20 --eval.coherence umass)
JOB=("${BASE[@]}" --solver.epochs "$epochs")
timeout 300 "${RUN[@]}" fit "${JOB[@]}" --data.train first.h5 --output.model first_model.h5 > first.log
timeout 300 "${RUN[@]}" fit "${JOB[@]}" --data.train second.h5 --init-model first_model.h5 \
  --output.model continued.h5 | tee continued.log
grep -q "^continuing first_model.h5 (step " continued.log || fail "no line about the model continued"
"$NATGRAD" convert text "${SECOND[@]}" --stop-words "$STOP" --vocab first_model.h5 --keep-empty --out unused.h5 \
  --split-every 10 --heldout-out second_test_first_vocab.h5

"$NATGRAD_PYTHON" - <<'PY'
import h5py, numpy as np, scipy.sparse
import natgrad_tools as nt
first, cont = nt.read_model("first_model.h5"), nt.read_model("continued.h5")
second = [w.decode() for w in h5py.File("second.h5")["vocab"][:]]
known, new = set(first.vocab), [w for w in second if w not in set(first.vocab)]
assert cont.vocab[:len(second)] == second, "the continued model's vocabulary starts with the new corpus's"
assert set(cont.vocab) == known | set(second), "the continued model's vocabulary is the union"
assert new, "the second half has no new words"
tops = [[w for w, _ in words] for _, words in nt.top_words(cont, 10)]
with_new = [k for k, words in enumerate(tops) if set(words) & set(new)]
print(f"{len(new)} new words; {len(with_new)} of 20 topics have some among their top 10, e.g. topic {with_new[0]}: "
      + " ".join(tops[with_new[0]]))
assert len(with_new) >= 5, "the new words do not appear in the topics"
assert cont.solver["first_step"] == first.solver["step"] > 0
assert cont.solver["step"] > cont.solver["first_step"], "the step count goes on"
# The held-out documents in the first model's vocabulary, renumbered in the continued model's: the same tokens.
with h5py.File("second_test_first_vocab.h5") as f:
    x = scipy.sparse.csr_matrix((f["counts"][:], f["indices"][:], f["indptr"][:]), shape=(len(f["doc_ids"]), len(first.vocab)))
position = {w: i for i, w in enumerate(cont.vocab)}
renumber = scipy.sparse.csr_matrix((np.ones(len(first.vocab)), ([i for i in range(len(first.vocab))],
                                    [position[w] for w in first.vocab])), shape=(len(first.vocab), len(cont.vocab)))
nt.write_corpus(x @ renumber, cont.vocab, "second_test_continued_vocab.h5")
PY
perplexity() { "$NATGRAD" evaluate --model "$1" --data "$2" | sed -n 's/^held-out perplexity \([0-9.]*\) .*/\1/p'; }
before=$(perplexity first_model.h5 second_test_first_vocab.h5)
after=$(perplexity continued.h5 second_test_continued_vocab.h5)
echo "held-out perplexity on the second half's documents (words the first model knows): $before first, $after continued"
awk -v a="$after" -v b="$before" 'BEGIN { exit !(a < b) }' || fail "continuing did not improve the perplexity"

# --drop-unseen: the vocabulary is the new corpus's; --reset-schedule: the steps start at 0.
timeout 300 "${RUN[@]}" fit "${BASE[@]}" --data.train second.h5 --init-model first_model.h5 --drop-unseen \
  --reset-schedule --solver.max_steps 3 --output.model dropped.h5 > dropped.log
"$NATGRAD_PYTHON" - <<'PY'
import h5py, natgrad_tools as nt
m = nt.read_model("dropped.h5")
assert m.vocab == [w.decode() for w in h5py.File("second.h5")["vocab"][:]]
assert m.solver["step"] == 3 and m.solver["first_step"] == 0, m.solver
PY

# A continued run stopped at its checkpoint and restarted ends where an uninterrupted one does.
CONT=("${BASE[@]}" --data.train second.h5 --init-model first_model.h5 --checkpoint.every_steps 4)
timeout 300 "${RUN[@]}" fit "${CONT[@]}" --solver.max_steps 8 --checkpoint.path whole --output.model whole.h5 > whole.log
timeout 300 "${RUN[@]}" fit "${CONT[@]}" --solver.max_steps 4 --checkpoint.path parts --output.model half.h5 > half.log
timeout 300 "${RUN[@]}" fit "${CONT[@]}" --solver.max_steps 8 --checkpoint.path parts --restart auto \
  --output.model resumed.h5 > resumed.log
"$NATGRAD_PYTHON" - <<'PY'
import h5py, numpy as np
a, b = h5py.File("whole.h5"), h5py.File("resumed.h5")
assert np.array_equal(a["model/lambda"][:], b["model/lambda"][:]), "a restarted continued run differs"
assert a["solver"].attrs["step"] == b["solver"].attrs["step"] and a["solver"].attrs["first_step"] > 0
PY
echo "e2e_init_model: ok"
