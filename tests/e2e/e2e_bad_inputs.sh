# Every row of the README's table of bad inputs, through the real binary under
# mpirun -np 2 (and -np 4 where the rank count matters): each ends the whole
# job with a non-zero status within 30 seconds, and rank 0 prints one message
# naming the file, line, key or value. Includes bad data that only one rank
# sees (its shard), which must still end every rank promptly. The cases that
# do not depend on the rank count (RANKS "any") run as ANY_RANKS says
# (common.sh: a lone process in the sanitizer build).
source "$(dirname "$0")/common.sh"
KOS="$NATGRAD_REPO/jobs/data/kos"
cd "$WORK"
"$NATGRAD" convert uci "$KOS/docword.kos.txt.gz" "$KOS/vocab.kos.txt" --out kos.h5 >/dev/null
printf '1\n3\n2\n1 1 2\n1 3 1\n' > one.txt
printf 'a\nb\nc\n' > abc.txt
"$NATGRAD" convert uci one.txt abc.txt --out one.h5 >/dev/null
printf '2\n3\n2\n1 0 2\n2 3 1\n' > zero_id.txt
printf '2\n3\n3\n1 1 2\n1 3 1\n2 2 4\n' > short.txt
printf 'a\nc\nb\n' > acb.txt
"$NATGRAD" convert uci short.txt abc.txt --out short.h5 >/dev/null
"$NATGRAD" convert uci short.txt acb.txt --out short_acb.h5 >/dev/null
printf '0\n0\n' > no_tokens.ldac
"$NATGRAD" convert ldac no_tokens.ldac abc.txt --out no_tokens.h5 >/dev/null
echo "hello" > text.h5
printf '[model]\ntopics = 5\ntopicz = 7\n[data]\ntrain = kos.h5\n' > typo.ini
mkdir readonly && chmod 500 readonly
printf '2\n3\n2\n1 1 2\n2 4 1\n' > big_id.txt
printf '2\n3\n2\n1 1 0\n2 3 1\n' > count_zero.txt
printf '2\n3\n2\n1 1 -4\n2 3 1\n' > count_negative.txt
printf '2\n3\n2\n1 1 2.5\n2 3 1\n' > count_fraction.txt
printf '2\n3\n5\n1 1 2\n2 3 1\n' > nnz_wrong.txt
(zcat "$KOS/docword.kos.txt.gz" || true) | head -c 2000000 | gzip > big.txt.gz
head -c 1000000 big.txt.gz > truncated.txt.gz
: > empty.ldac
"$NATGRAD" convert ldac empty.ldac abc.txt --out empty.h5 >/dev/null
head -c 300000 kos.h5 > truncated.h5
printf 'a,b,label\n1,2,0\n3,nan,1\n' > nan.csv
printf '1,2,0\n3,4,1\n5,inf,0\n' > inf.csv
printf 'a,b,label\n1,2,0\n3,4,1\n5,6\n' > ragged.csv
printf 'good line\nbad \xc3\x28 line\n' > bad_utf8.txt
printf '{"text": "fine", "id": 1}\n{"text": "x",}\n' > bad_json.jsonl
printf '{"body": "no text here"}\n' > no_field.jsonl
printf '%%%%MatrixMarket matrix coordinate real general\n2 3 3\n1 1 2\n2 3 1\n' > short.mm
printf '1,2,3\n2,1,0\n0,3,1\n4,4,2\n' > points.csv
"$NATGRAD" convert csv points.csv --out points.h5 >/dev/null
head -n 1 points.csv > one_point.csv
"$NATGRAD" convert csv one_point.csv --out one_point.h5 >/dev/null
"$NATGRAD_PYTHON" - <<'PY'
import shutil, h5py, numpy as np
def variant(name, change):
    shutil.copy("kos.h5", name)
    with h5py.File(name, "r+") as f:
        change(f)
def no_indices(f): del f["indices"]
def float_counts(f):
    c = f["counts"][:].astype(np.float64); del f["counts"]; f["counts"] = c
def short_indptr(f):
    p = f["indptr"][:-5]; del f["indptr"]; f["indptr"] = p
def bad_word_in_last_document(f):
    # Only the rank that holds the last document sees this.
    f["indices"][-1] = f.attrs["vocab_size"] + 7
variant("no_indices.h5", no_indices)
variant("float_counts.h5", float_counts)
variant("short_indptr.h5", short_indptr)
variant("bad_tail.h5", bad_word_in_last_document)
PY

FIT=(fit --model.topics 5 --data.train kos.h5 --solver.max_steps 2)
expect_error "missing training file" any "nowhere.h5: no such file" fit --model.topics 5 --data.train nowhere.h5
expect_error "training file not HDF5" any "text.h5: not an HDF5 file" fit --model.topics 5 --data.train text.h5
expect_error "missing held-out file" any "gone.h5: no such file" "${FIT[@]}" --data.heldout gone.h5
expect_error "K < 1" any "model.topics = 0: expected an integer >= 1" fit --model.topics 0 --data.train kos.h5
expect_error "batch size < 1" any "solver.batch_size = 0" "${FIT[@]}" --solver.batch_size 0
expect_error "kappa outside (0.5, 1]" any "solver.kappa = 1.5: expected a number in (0.5, 1]" "${FIT[@]}" --solver.kappa 1.5
expect_error "tau0 < 0" any "solver.tau0 = -1" "${FIT[@]}" --solver.tau0 -1
expect_error "misspelled key in the job file" any "typo.ini: unrecognised option 'model.topicz'" fit --config typo.ini
expect_error "value of the wrong type" any "the argument ('abc') for option '--model.topics' is invalid" \
  fit --model.topics abc --data.train kos.h5
expect_error "output in a missing folder" any "output.model = no/such/dir/m.h5: folder 'no/such/dir' does not exist" \
  "${FIT[@]}" --output.model no/such/dir/m.h5
if [ "$(id -u)" != 0 ]; then
  expect_error "output in a read-only folder" any "folder 'readonly' is not writable" "${FIT[@]}" --output.model readonly/m.h5
else
  # root writes anywhere permissions say no; /proc refuses even root.
  expect_error "output in a read-only folder" any "folder '/proc' is not writable" "${FIT[@]}" --output.model /proc/m.h5
fi
expect_error "more ranks than documents" 2 "one.h5: 1 documents for 2 ranks" fit --model.topics 2 --data.train one.h5
expect_error "more ranks than documents at 4 ranks" 4 "one.h5: 1 documents for 4 ranks" fit --model.topics 2 --data.train one.h5
expect_error "word id 0 in a UCI file" any "zero_id.txt line 4: wordID 0 is out of range" \
  convert uci zero_id.txt abc.txt --out z.h5
expect_error "a folder given as the corpus" any "readonly: is a directory" fit --model.topics 5 --data.train readonly
expect_error "corpus truncated" any "truncated.h5: cannot open as HDF5 (damaged or truncated file?)" fit --model.topics 5 --data.train truncated.h5
expect_error "dataset missing" any "no_indices.h5: dataset '/indices' is missing" fit --model.topics 5 --data.train no_indices.h5
expect_error "dataset of the wrong dtype" any "float_counts.h5: dataset '/counts' holds floating point values; expected integer" \
  fit --model.topics 5 --data.train float_counts.h5
expect_error "dataset of the wrong shape" any "short_indptr.h5: dataset '/indptr' must be 1-D of num_docs + 1 = 3431 elements" \
  fit --model.topics 5 --data.train short_indptr.h5
expect_error "empty corpus" any "empty.h5: the corpus has no documents" fit --model.topics 5 --data.train empty.h5
expect_error "bad data in one rank's shard only (np 2)" 2 "rank 1: bad_tail.h5: document 3429 has word id 6913" \
  fit --model.topics 5 --data.train bad_tail.h5
expect_error "bad data in one rank's shard only (np 4)" 4 "rank 3: bad_tail.h5: document 3429 has word id 6913" \
  fit --model.topics 5 --data.train bad_tail.h5
expect_error "UCI NNZ disagrees with the content" any "nnz_wrong.txt line 3: the header says NNZ = 5 entries, the file has 2" \
  convert uci nnz_wrong.txt abc.txt --out z.h5
expect_error "word id above W" any "big_id.txt line 5: wordID 4 is out of range; expected 1 to 3" convert uci big_id.txt abc.txt --out z.h5
expect_error "count zero" any "count_zero.txt line 4: count 0 is out of range" convert uci count_zero.txt abc.txt --out z.h5
expect_error "count negative" any "count_negative.txt line 4: count -4 is out of range" convert uci count_negative.txt abc.txt --out z.h5
expect_error "count not an integer" any "count_fraction.txt line 4: count '2.5' is not an integer" \
  convert uci count_fraction.txt abc.txt --out z.h5
expect_error "truncated gzip" any "truncated.txt.gz line" convert uci truncated.txt.gz "$KOS/vocab.kos.txt" --out z.h5
expect_error "NaN in dense data" any "nan.csv line 3, column 2: 'nan' is not finite" \
  convert csv nan.csv --label-column last --out z.h5
expect_error "infinity in dense data" any "inf.csv line 3, column 2: 'inf' is not finite" \
  convert csv inf.csv --label-column last --out z.h5
expect_error "ragged rows in dense data" any "ragged.csv line 4: 2 fields; line 2 has 3" \
  convert csv ragged.csv --label-column last --out z.h5
expect_error "bad UTF-8 in raw text" any "bad_utf8.txt line 2, byte 14: invalid UTF-8 (byte 0xC3)" \
  convert text bad_utf8.txt --out z.h5
expect_error "a line of JSON lines that is not JSON" any \
  "bad_json.jsonl line 2, byte 39: not JSON: expected a member name in double quotes" \
  convert text bad_json.jsonl --field text --out z.h5
expect_error "JSON lines without the text field" any "no_field.jsonl line 1: the object has no member 'text' (--field)" \
  convert text no_field.jsonl --field text --out z.h5
expect_error "Matrix Market entries fewer than its size line says" any \
  "short.mm line 2: the size line says 3 entries, the file has 2" convert mm short.mm abc.txt --out z.h5
expect_error "pruning options with a given vocabulary" any "convert: --min-df makes a vocabulary; --vocab gives one" \
  convert text bad_utf8.txt --vocab abc.txt --min-df 2 --out z.h5
GMM=(fit --model.type gmm --model.components 2 --solver.max_steps 2)
expect_error "a corpus given to a mixture" any "kos.h5: not natgrad dense data" "${GMM[@]}" --data.train kos.h5
expect_error "dense data given to LDA" any "points.h5: not a natgrad corpus" fit --model.topics 2 --data.train points.h5
expect_error "an lda key in a gmm job" any "model.alpha is not a key of model.type = gmm (it belongs to lda)" \
  "${GMM[@]}" --data.train points.h5 --model.alpha 0.1
expect_error "prior mean of the wrong length" any "model.mean has 2 numbers; expected D = 3" \
  "${GMM[@]}" --data.train points.h5 --model.mean "1,2"
expect_error "degrees of freedom <= D - 1" any "model.degrees_of_freedom = 1.5: expected a number > 2" \
  "${GMM[@]}" --data.train points.h5 --model.degrees_of_freedom 1.5
expect_error "prior scale not positive definite" any "model.scale: not symmetric positive definite" \
  "${GMM[@]}" --data.train points.h5 --model.scale "1,0,0,0,-1,0,0,0,1"
expect_error "more ranks than points" 2 "one_point.h5: 1 rows for 2 ranks; every rank needs at least one row" \
  "${GMM[@]}" --data.train one_point.h5
expect_error "an unknown model type" any "model.type = hmm: expected lda, gmm or hpf" \
  fit --model.type hmm --model.topics 2 --data.train kos.h5
expect_error "a corpus of empty documents" any "no_tokens.h5: the corpus has no tokens (its 2 documents are empty)" \
  fit --model.topics 2 --data.train no_tokens.h5
expect_error "held-out documents too short to hold out a token" any "data.heldout: no token is held out" \
  fit --model.topics 2 --data.train short.h5 --data.heldout short.h5 --solver.max_steps 2 --output.model o.h5
expect_error "held-out corpus of another vocabulary" any \
  "short_acb.h5: word 1 is 'c', but short.h5 has 'b' there; convert both with the same vocabulary" \
  fit --model.topics 2 --data.train short.h5 --data.heldout short_acb.h5 --solver.max_steps 2 --output.model o.h5
expect_error "the model written over the training corpus" any \
  "output.model = short.h5 is the same file as data.train = short.h5; an output never overwrites an input" \
  fit --model.topics 2 --data.train short.h5 --solver.max_steps 2 --output.model short.h5
expect_error "the model written over the training corpus by another name" any \
  "output.model = ./short.h5 is the same file as data.train = short.h5" \
  fit --model.topics 2 --data.train short.h5 --solver.max_steps 2 --output.model ./short.h5
timeout 60 "$MPIEXEC" -np 2 "$NATGRAD" fit --model.topics 2 --data.train short.h5 --solver.max_steps 2 \
  --output.model short_model.h5 >/dev/null
expect_error "evaluate on a corpus of another vocabulary" any \
  "short_acb.h5: word 1 is 'c', but the model short_model.h5 has 'b' there" evaluate --model short_model.h5 --data short_acb.h5
expect_error "infer on a corpus of another vocabulary" any \
  "short_acb.h5: word 1 is 'c', but the model short_model.h5 has 'b' there" \
  infer --model short_model.h5 --data short_acb.h5 --out theta.h5
expect_error "infer written over its data" any "--out = short.h5 is the same file as --data = short.h5" \
  infer --model short_model.h5 --data short.h5 --out short.h5
expect_error "infer written over its model" any "--out = short_model.h5 is the same file as --model = short_model.h5" \
  infer --model short_model.h5 --data short.h5 --out short_model.h5
expect_error "a conversion written over its input" any "--out = short.txt is the same file as the input = short.txt" \
  convert uci short.txt abc.txt --out short.txt
expect_error "synth's two outputs on one path" any "--heldout-out = z.h5 is the same file as --out = z.h5" \
  synth lda --out z.h5 --heldout-out z.h5 --split-every 5
cmp -s short.txt <(printf '2\n3\n3\n1 1 2\n1 3 1\n2 2 4\n') || { echo "FAIL: short.txt was changed"; failures=$((failures + 1)); }
"$NATGRAD" convert uci short.txt abc.txt --out short_again.h5 >/dev/null
"$NATGRAD_PYTHON" -c "import h5py,sys; a,b=h5py.File('short.h5'),h5py.File('short_again.h5'); sys.exit(0 if (a['counts'][:]==b['counts'][:]).all() else 1)" \
  || { echo "FAIL: short.h5 was changed"; failures=$((failures + 1)); }
[ ! -e o.h5 ] && [ ! -e theta.h5 ] || { echo "FAIL: a refused job left an output"; failures=$((failures + 1)); }
timeout 60 "$MPIEXEC" -np 2 "$NATGRAD" fit --model.topics 3 --data.train kos.h5 --solver.max_steps 2 \
  --output.model m.h5 >/dev/null
"$NATGRAD_PYTHON" - <<'PY'
import shutil, h5py
shutil.copy("m.h5", "hmm.h5")
shutil.copy("m.h5", "bad_layout.h5")
with h5py.File("hmm.h5", "r+") as f:
    f["model"].attrs.modify("type", "hmm")
with h5py.File("bad_layout.h5", "r+") as f:
    f["layout/dims"][0] = 4
PY
expect_error "a model file of an unknown type" any "hmm.h5: '/model' type 'hmm' is not a model this natgrad knows" \
  evaluate --model hmm.h5 --data kos.h5
expect_error "a model file whose /layout disagrees with its datasets" any \
  "bad_layout.h5: '/layout' gives tensor 'lambda' the shape [4, 6906], but '/model/lambda' is of shape [3, 6906]" \
  evaluate --model bad_layout.h5 --data kos.h5
expect_error "coherence without a reference corpus" any "evaluate: --coherence needs --reference CORPUS.h5" \
  evaluate --model m.h5 --coherence umass
expect_error "nothing to evaluate" any "evaluate: nothing to evaluate: give --data HELDOUT.h5" evaluate --model m.h5
expect_error "an --init-model of another K" any "m.h5: --init-model has K = 3 topics; the job has model.topics = 5" \
  "${FIT[@]}" --init-model m.h5
timeout 60 "$MPIEXEC" -np 2 "$NATGRAD" "${GMM[@]}" --data.train points.h5 --output.model g.h5 >/dev/null
expect_error "a family's evaluate option for a model of another" any \
  "evaluate: --coherence is an option for lda models; g.h5 is a gmm model" evaluate --model g.h5 --coherence umass
expect_error "an --init-model of another family" any "g.h5: --init-model is a gmm model; the job's model.type is lda" \
  "${FIT[@]}" --init-model g.h5
expect_error "a prior that is neither a number nor auto" any \
  "the argument ('often') for option '--model.alpha' is invalid: expected a number or auto" \
  "${FIT[@]}" --model.alpha often
printf 'u1\tx\t1\n' > named.tsv
"$NATGRAD" convert triples named.tsv --out named.h5 >/dev/null
printf 'u2\ty\t1\nu3\tz\t2\nu3\tw\t1\n' > new.tsv
expect_error "--items-from a file without item names" any "--items-from points.h5: the file has no names of its items" \
  convert triples new.tsv --items-from points.h5 --out z.h5
expect_error "new users none of whose items the model has" any \
  "new.tsv: no record names an item of --items-from named.h5 (3 records of other items)" \
  convert triples new.tsv --items-from named.h5 --out z.h5
expect_error "synth lda --alpha of another length than K" any "synth lda: --alpha has 2 numbers; expected 1 or K = 3" \
  synth lda --topics 3 --alpha 0.1,0.2 --out z.h5
expect_error "unknown command" any "unknown command 'fitt'" fitt --config job.ini
[ ! -e z.h5 ] || { echo "FAIL: a failed conversion left z.h5"; failures=$((failures + 1)); }
[ "$failures" = 0 ] || exit 1
echo "e2e_bad_inputs: ok"
