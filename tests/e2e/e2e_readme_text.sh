# The README's first commands, exactly as written there (the first code block of
# "## Using it"): a folder of text files to a corpus, a fit with coherence and
# the training documents' topic proportions, and the topics with their
# coherence and a pyLDAvis file; run in a scratch folder that sees the
# repository's jobs/ and tools/. build/natgrad, mpirun and python3 stand for the
# binary, mpiexec and the Python under test. Then the results are checked.
source "$(dirname "$0")/common.sh"
cd "$WORK"
ln -s "$NATGRAD_REPO/jobs" jobs
ln -s "$NATGRAD_REPO/tools" tools
"$NATGRAD_PYTHON" - "$NATGRAD_REPO/README.md" > commands.txt <<'PY'
import sys
text = open(sys.argv[1], encoding="utf-8").read()
block = text.split("\n## Using it\n", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
print(block, end="")
PY
[ "$(wc -l < commands.txt)" = 3 ] || fail "the README's first block is not three commands: $(cat commands.txt)"
cat commands.txt
i=0
while IFS= read -r line; do
  read -r -a words <<< "$line"
  case "${words[0]}" in
    build/natgrad) words[0]=$NATGRAD ;;
    mpirun) words[0]=$MPIEXEC; [ "${words[3]}" = build/natgrad ] && words[3]=$NATGRAD ;;
    python3) words[0]=$NATGRAD_PYTHON ;;
    *) fail "unexpected command: $line" ;;
  esac
  # The sanitizer build makes fewer passes (a command-line key after the README's).
  if [ -n "${NATGRAD_SANITIZED:-}" ] && [ "${words[0]}" = "$MPIEXEC" ]; then words+=(--solver.epochs 4); fi
  i=$((i + 1))
  timeout 300 "${words[@]}" < /dev/null > "out$i.log" 2> "err$i.log" || fail "command $i failed: $(cat "err$i.log")"
done < commands.txt

grep -q "wrote debdesc_text.h5: 2768 documents, 4240 words, 93259 tokens" out1.log || fail "convert: $(cat out1.log)"
grep -q "^done: .* model written to debdesc_text_model.h5" out2.log || fail "fit: $(cat out2.log)"
grep -q "umass .* npmi " out2.log || fail "the fit's progress lines lack the coherence"
[ "$(grep -c "^topic " out3.log)" = 20 ] || fail "topics did not print 20 topics"
grep -q "^mean       umass -[0-9.]*  npmi " out3.log || fail "topics printed no mean coherence: $(tail -1 out3.log)"
"$NATGRAD_PYTHON" - <<'PY'
import json, sys
import h5py, numpy as np
sys.path.insert(0, "tools")
import natgrad_tools as nt
h = nt.history("debdesc_text_model.h5")
assert np.isfinite(h["umass"][-1]) and np.isfinite(h["npmi"][-1]), "no coherence in /history"
assert h["perplexity"][-1] < 0.5 * h["perplexity"][0], "the held-out perplexity did not fall"
c = nt.coherence("debdesc_text_model.h5", "debdesc_text.h5")
assert abs(c["umass"].mean() - h["umass"][-1]) < 1e-9 * abs(h["umass"][-1])
assert c["npmi"].mean() > h["npmi"][0], "NPMI did not rise from the start"
vis = json.load(open("debdesc_text_vis.json"))
assert set(vis) == {"topic_term_dists", "doc_topic_dists", "doc_lengths", "vocab", "term_frequency"}
assert np.array(vis["doc_topic_dists"]).shape == (2768, 20) and len(vis["vocab"]) == 4240
with h5py.File("debdesc_text_theta.h5") as f:
    assert f["theta"].shape == (2768, 20)
try:
    import pyLDAvis
    pyLDAvis.save_html(pyLDAvis.prepare(**vis), "debdesc_text_vis.html")
    print("pyLDAvis: wrote debdesc_text_vis.html")
except ImportError:
    print("pyLDAvis is not installed: the JSON holds its arguments, checked above")
print(f"coherence after the fit: umass {h['umass'][-1]:.4f}, npmi {h['npmi'][-1]:.4f}; "
      f"held-out perplexity {h['perplexity'][0]:.1f} -> {h['perplexity'][-1]:.1f}")
PY
echo "e2e_readme_text: ok"
