# natgrad convert text on real text. (1) The rules that made the shared Debian
# descriptions corpus (../shared/data/README.md), applied to its raw text
# (descriptions.debdesc.jsonl.gz, JSON lines), give its docword and vocab
# exactly, and the document names of docs.debdesc.txt.gz. (2) It streams: the
# shipped descriptions repeated many times (the same vocabulary, many times the
# documents) take no more memory than once, where holding the corpus would take
# 8 bytes a distinct word of each document more. (3) A folder, a file of lines
# and JSON lines of the same documents give the same corpus.
source "$(dirname "$0")/common.sh"
TEXT="$NATGRAD_REPO/jobs/data/debdesc/text"
STOP="$NATGRAD_REPO/jobs/data/stopwords/english.txt"
cd "$WORK"

# (3) One folder of 3,075 files as JSON lines and as lines (their newlines as spaces), with the file names.
"$NATGRAD_PYTHON" - "$TEXT" <<'PY'
import json, os, sys
root = sys.argv[1]
paths = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)
with open("docs.jsonl", "w", encoding="utf-8") as j, open("docs.txt", "w", encoding="utf-8") as t:
    for p in paths:
        text = open(os.path.join(root, p), encoding="utf-8").read()
        j.write(json.dumps({"name": os.path.join(root, p), "text": text}) + "\n")
        t.write(text.replace("\n", " ") + "\n")
PY
RULES=(--stop-words "$STOP" --min-df 3)
"$NATGRAD" convert text "$TEXT" "${RULES[@]}" --out folder.h5 > folder.log
"$NATGRAD" convert text docs.jsonl --field text --name-field name "${RULES[@]}" --out jsonl.h5 > jsonl.log
"$NATGRAD" convert text docs.txt "${RULES[@]}" --out lines.h5 > lines.log
grep -q "wrote folder.h5: 3075 documents, 4240 words, 103548 tokens" folder.log || fail "folder: $(cat folder.log)"
"$NATGRAD_PYTHON" - <<'PY'
import h5py, numpy as np
a, b, c = (h5py.File(n, "r") for n in ("folder.h5", "jsonl.h5", "lines.h5"))
for key in ("indptr", "indices", "counts", "doc_ids", "vocab"):
    assert np.array_equal(a[key][:], b[key][:]) and np.array_equal(a[key][:], c[key][:]), key
assert list(a["doc_names"][:]) == list(b["doc_names"][:]), "document names differ"
assert c["doc_names"][0].decode().endswith("docs.txt:1")
PY
echo "a folder, JSON lines and lines give the same corpus"

# (2) Peak memory of converting the descriptions 20 and 80 times over: past its buffers (a fixed size, reached
# well before 20 copies), memory does not grow with the documents. Measured in the release build only: under
# AddressSanitizer the peak is its allocator's (shadow memory, quarantine), not natgrad's, and the 200,000
# documents it would take to pass the buffers cost minutes; the sanitizer build runs (1) and (3).
if [ -n "${NATGRAD_SANITIZED:-}" ]; then
  echo "skipped in the sanitizer build: (2) memory that does not grow with the documents"
else
  for _ in $(seq 20); do cat docs.txt; done > some.txt
  for _ in $(seq 4); do cat some.txt; done > many.txt
  peak_kb() {
    /usr/bin/time -f "%M" -o rss.txt "$NATGRAD" convert text "$1" "${RULES[@]}" --out "$2" > /dev/null
    cat rss.txt
  }
  entries() { "$NATGRAD_PYTHON" -c "import h5py; print(h5py.File('$1')['indices'].shape[0])"; }
  some=$(peak_kb some.txt some.h5)
  many=$(peak_kb many.txt many.h5)
  held_kb=$(( ($(entries many.h5) - $(entries some.h5)) * 8 / 1024 ))  # what holding the corpus would add
  echo "peak memory: ${some} kB for $((3075 * 20)) documents, ${many} kB for $((3075 * 80)); holding them would add ${held_kb} kB"
  [ $((many - some)) -lt $((held_kb / 10)) ] || fail "memory grew by $((many - some)) kB with the documents"
fi

# (1) The Debian descriptions corpus, from its raw text.
DEB="${NATGRAD_SHARED_DATA:-}/debdesc"
[ -f "$DEB/descriptions.debdesc.jsonl.gz" ] || skip "$DEB/descriptions.debdesc.jsonl.gz not found (the shared data folder)"
"$NATGRAD" convert text "$DEB/descriptions.debdesc.jsonl.gz" --field text --name-field package \
  --token-pattern '[a-z]{3,}' --stop-words "${NATGRAD_SHARED_DATA}/stopwords/english.txt" --min-count 11 --min-df 3 \
  --out debdesc.h5 | tee debdesc.log
"$NATGRAD" convert uci "$DEB/docword.debdesc.txt.gz" "$DEB/vocab.debdesc.txt" --out reference.h5 > /dev/null
"$NATGRAD_PYTHON" - "$DEB/docs.debdesc.txt.gz" <<'PY'
import gzip, sys, h5py, numpy as np
a, b = h5py.File("debdesc.h5", "r"), h5py.File("reference.h5", "r")
for key in ("indptr", "indices", "counts", "doc_ids", "vocab"):
    assert np.array_equal(a[key][:], b[key][:]), f"{key} differs from the shared corpus's"
names = [line.split("\t")[1] for line in gzip.open(sys.argv[1], "rt", encoding="utf-8").read().splitlines()]
assert [n.decode() for n in a["doc_names"][:]] == names, "document names differ from docs.debdesc.txt.gz"
print(f"debdesc: {a.attrs['num_docs']} documents, {a.attrs['vocab_size']} words, {a.attrs['num_tokens']} tokens: "
      "the shared docword and vocab exactly")
PY
# An output that is an input is refused before any work, and the input is left as it was.
cp docs.txt keep.txt
status=0
"$NATGRAD" convert text docs.txt --stop-words "$STOP" --out docs.txt 2> same.err || status=$?
[ "$status" = 1 ] && grep -q "natgrad: error: --out = docs.txt is the same file as the input = docs.txt" same.err \
  && cmp -s docs.txt keep.txt || fail "an output that is the input: status $status, $(cat same.err)"
echo "ok: $(cat same.err)"
# A full disk: the message names the corpus and the cause, the process exits with status 1 and nothing crashes,
# no temporary file is left (root only: on a small tmpfs mounted for the test).
if [ "$(id -u)" = 0 ] && mkdir disk && mount -t tmpfs -o size=1m tmpfs disk 2>/dev/null; then
  trap 'umount "$WORK/disk" 2>/dev/null || true; rm -rf "$WORK"' EXIT
  dd if=/dev/zero of=disk/filler bs=1024 count=900 status=none 2>/dev/null || true
  status=0
  "$NATGRAD" convert text "$TEXT" --out disk/c.h5 > full.log 2> full.err || status=$?
  [ "$status" = 1 ] && grep -q "^natgrad: error: disk/c.h5: cannot write .*: No space left on device$" full.err \
    || fail "a full disk: status $status, $(cat full.err)"
  [ "$(ls disk)" = filler ] || fail "a partial file was left: $(ls disk)"
  echo "ok: $(cat full.err); nothing left"
  umount disk
else
  echo "not root, or no tmpfs: the full disk is not tried"
fi
echo "e2e_convert_text: ok"
