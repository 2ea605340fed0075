"""natgrad convert text and convert mm, nt.write_corpus and topic coherence against their Python peers, on files
made by the real binary: the tokeniser and the UTF-8 decoder against Python's re.findall, str.lower and
bytes.decode (random text and random bytes), scikit-learn's CountVectorizer through nt.write_corpus equal to natgrad
convert text with the same rules, Matrix Market files of scipy and gensim read by natgrad convert mm, UMass equal
to gensim's CoherenceModel(coherence='u_mass') and NPMI to gensim's normalised log-ratio over boolean documents (both
skipped with a message where gensim cannot be imported, as the comparison with scikit-learn is without it),
nt.coherence equal to the fit's /history and to natgrad
evaluate's, and the topics command with coherence and a pyLDAvis file.

Run: NATGRAD=build/natgrad python3 -m unittest discover -s tests/tools -p test_text.py -v
"""
import collections
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np
import scipy.io
import scipy.sparse

REPO = os.path.abspath(os.environ.get("NATGRAD_REPO") or os.path.join(os.path.dirname(__file__), "..", ".."))
NATGRAD = os.path.abspath(os.environ.get("NATGRAD") or os.path.join(REPO, "build", "natgrad"))
MPIEXEC = os.environ.get("MPIEXEC") or "mpiexec"
TOOLS = os.path.join(REPO, "tools", "natgrad_tools.py")
TEXT = os.path.join(REPO, "jobs", "data", "debdesc", "text")
STOP = os.path.join(REPO, "jobs", "data", "stopwords", "english.txt")
SANITIZED = bool(os.environ.get("NATGRAD_SANITIZED"))

sys.path.insert(0, os.path.join(REPO, "tools"))
import natgrad_tools as nt  # noqa: E402

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")


def run(cmd, cwd, check=True):
    r = subprocess.run(cmd, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}")
    return r


def gensim():
    try:
        import gensim.topic_coherence  # noqa: F401
        return True
    except ImportError:
        return False


def documents(path):
    """The documents of a corpus file as Counters of words."""
    with h5py.File(path, "r") as f:
        vocab = [w.decode() for w in f["vocab"][:]]
        ip, ix, ct = f["indptr"][:], f["indices"][:], f["counts"][:]
    return [collections.Counter({vocab[w]: int(c) for w, c in zip(ix[ip[d]:ip[d + 1]], ct[ip[d]:ip[d + 1]])})
            for d in range(len(ip) - 1)]


def python_tokens(pattern, text):
    """Tokens as natgrad's README defines them: re.findall on text.lower(), with \\p{L} as str.isalpha; U+0000 is
    in no class."""
    low = text.lower().replace("\x00", " ")
    if not pattern.startswith("\\p{L}"):
        return re.findall(pattern, low)
    least, most = {"\\p{L}{3,}": (3, None), "\\p{L}{2,4}": (2, 4)}[pattern]
    out, runs, current = [], [], ""
    for ch in low + " ":
        if ch.isalpha():
            current += ch
        elif current:
            runs.append(current)
            current = ""
    for r in runs:
        at = 0
        while len(r) - at >= least:
            n = len(r) - at if most is None else min(most, len(r) - at)
            out.append(r[at:at + n])
            at += n
    return out


# Characters to draw random text from: ASCII, Latin, Greek (but the capital sigma, whose lowercase Python makes
# final by context), Cyrillic, CJK, combining marks, digits of other scripts, İ and the Kelvin sign, emoji.
ALPHABET = (list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.,;:!?'\"()[]{}\t")
            + list("éèàüöäßÄÖÜÉøæœçñÑ") + list("αβγδεΑΒΓΔΩωψ") + list("жизньЖИЗНЬ") + list("日本語中文")
            + ["\u0301", "\u0308", "\u0130", "\u212a", "\U0001F600", "\u0663", "\u06f4", "\u00b2", "\u2167", "\x00"])


class TextTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(NATGRAD, os.X_OK):
            raise unittest.SkipTest(f"no natgrad binary at {NATGRAD} (set NATGRAD)")
        cls.dir = tempfile.mkdtemp(prefix="natgrad_text_test_")
        cls.paths = sorted(os.path.join(TEXT, os.path.relpath(os.path.join(d, f), TEXT))
                           for d, _, fs in os.walk(TEXT) for f in fs)
        cls.texts = []
        for p in cls.paths:
            with open(p, encoding="utf-8") as f:
                cls.texts.append(f.read())

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def convert(self, inputs, out, *options):
        return run([NATGRAD, "convert", "text", *inputs, "--out", out, *options], self.dir).stdout

    def test_tokens_are_what_python_finds(self):
        rng = random.Random(5)
        lines = ["".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 60))) for _ in range(300)]
        with open(self.path("random.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        for pattern in ("\\p{L}{3,}", "\\p{L}{2,4}", "[a-z]{3,}", "[a-z0-9]{2,3}", "\\w+", "\\d{2,}", "[^ ]{1,3}"):
            self.convert([self.path("random.txt")], self.path("random.h5"), "--token-pattern", pattern, "--keep-empty")
            got = documents(self.path("random.h5"))
            expected = [collections.Counter(python_tokens(pattern, line)) for line in lines]
            self.assertEqual(got, expected, pattern)

    def test_bad_utf8_is_replaced_as_python_does_and_named_where_it_is(self):
        rng = random.Random(9)
        raw = [bytes(rng.choice([rng.randrange(0x80, 0x100), rng.randrange(0x20, 0x80), 0xE2, 0x82, 0xF0, 0x9F, 0xED])
                     for _ in range(rng.randrange(1, 40))).replace(b"\n", b" ").replace(b"\r", b" ")
               for _ in range(300)]
        with open(self.path("bytes.txt"), "wb") as f:
            f.write(b"\n".join(raw) + b"\n")
        self.convert([self.path("bytes.txt")], self.path("bytes.h5"), "--token-pattern", "[^ ]+", "--keep-empty",
                     "--errors", "replace")
        expected = [collections.Counter(re.findall("[^ ]+", b.decode("utf-8", "replace").lower())) for b in raw]
        self.assertEqual(documents(self.path("bytes.h5")), expected)
        bad = next(i for i, b in enumerate(raw) if b != b.decode("utf-8", "replace").encode())
        try:
            raw[bad].decode("utf-8")
        except UnicodeDecodeError as e:
            offset = sum(len(b) + 1 for b in raw[:bad]) + e.start
        r = run([NATGRAD, "convert", "text", self.path("bytes.txt"), "--out", self.path("x.h5")], self.dir, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(f"bytes.txt line {bad + 1}, byte {offset}: invalid UTF-8", r.stderr)

    def test_countvectorizer_through_write_corpus_is_convert_text(self):
        try:
            from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer
        except ImportError:
            self.skipTest("scikit-learn cannot be imported (Debian: python3-sklearn); CountVectorizer is not compared")
        cv = CountVectorizer(token_pattern=r"[a-z]{3,}", stop_words=sorted(ENGLISH_STOP_WORDS), min_df=3)
        x = cv.fit_transform(self.texts)
        nt.write_corpus(x, cv.get_feature_names_out(), self.path("sklearn.h5"), doc_names=self.paths)
        self.convert([TEXT], self.path("natgrad.h5"), "--token-pattern", "[a-z]{3,}", "--stop-words", STOP,
                     "--min-df", "3", "--keep-empty")
        with h5py.File(self.path("sklearn.h5"), "r") as a, h5py.File(self.path("natgrad.h5"), "r") as b:
            for key in ("indptr", "indices", "counts", "doc_ids", "vocab", "doc_names"):
                self.assertTrue(np.array_equal(a[key][:], b[key][:]), key)
            self.assertEqual(a.attrs["num_tokens"], b.attrs["num_tokens"])
            self.assertEqual(nt.formats.text(a.attrs["vocab_hash"]), nt.formats.text(b.attrs["vocab_hash"]))
            # Checksummed as natgrad's: Fletcher-32 on the numbers, the same CRC-32 of the strings.
            for key in ("indptr", "indices", "counts", "doc_ids"):
                self.assertTrue(a[key].fletcher32 and b[key].fletcher32, key)
            for key in ("vocab", "doc_names"):
                self.assertEqual(int(a[key].attrs["crc32"]), int(b[key].attrs["crc32"]), key)
        run([NATGRAD, "fit", "--model.topics", "3", "--data.train", self.path("sklearn.h5"), "--solver.max_steps", "2",
             "--output.model", self.path("from_sklearn.h5")], self.dir)
        for bad, message in ((np.array([[1.5]]), "count 1.5 is not a whole number"), (np.array([[1, 2]]), "2 columns")):
            with self.assertRaisesRegex(ValueError, message):
                nt.write_corpus(bad, ["a"], self.path("bad.h5"))
            self.assertEqual([n for n in os.listdir(self.dir) if n.startswith("bad.h5")], [])

    def test_matrix_market_files_of_scipy_and_gensim(self):
        self.convert([TEXT], self.path("c.h5"), "--stop-words", STOP, "--min-df", "3", "--keep-empty")
        with h5py.File(self.path("c.h5"), "r") as f:
            vocab = [w.decode() for w in f["vocab"][:]]
            x = scipy.sparse.csr_matrix((f["counts"][:], f["indices"][:], f["indptr"][:]), shape=(len(self.texts), len(vocab)))
        with open(self.path("vocab.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(vocab) + "\n")
        scipy.io.mmwrite(self.path("scipy.mtx"), x.tocoo())
        writers = {"scipy.mtx": None}
        if gensim():
            from gensim.corpora import MmCorpus
            MmCorpus.serialize(self.path("gensim.mm"), [list(zip(x[d].indices.tolist(), x[d].data.tolist()))
                                                        for d in range(x.shape[0])])
            writers["gensim.mm"] = None
        else:
            print("gensim cannot be imported: natgrad convert mm is checked on scipy's Matrix Market only")
        for name in writers:
            run([NATGRAD, "convert", "mm", self.path(name), self.path("vocab.txt"), "--out", self.path("mm.h5")], self.dir)
            with h5py.File(self.path("c.h5"), "r") as a, h5py.File(self.path("mm.h5"), "r") as b:
                for key in ("indptr", "indices", "counts", "vocab"):
                    self.assertTrue(np.array_equal(a[key][:], b[key][:]), f"{name}: {key}")

    def fitted(self):
        """A model of the shipped text with coherence in /history, its training corpus and theta file."""
        if not os.path.exists(self.path("fit_model.h5")):
            self.convert([TEXT], self.path("fit.h5"), "--stop-words", STOP, "--min-df", "3")
            run([MPIEXEC, "-np", "2", NATGRAD, "fit", "--model.topics", "8", "--data.train", self.path("fit.h5"),
                 "--solver.epochs", "2" if SANITIZED else "5", "--eval.coherence", "umass,npmi",
                 "--output.model", self.path("fit_model.h5"), "--output.theta", self.path("fit_theta.h5")], self.dir)
        return self.path("fit_model.h5"), self.path("fit.h5")

    def test_coherence_is_the_fits_and_evaluates(self):
        model, corpus = self.fitted()
        c = nt.coherence(model, corpus)
        h = nt.history(model)
        for m in ("umass", "npmi"):
            self.assertAlmostEqual(h[m][-1], c[m].mean(), delta=1e-12 * abs(c[m].mean()))
        out = run([MPIEXEC, "-np", "2", NATGRAD, "evaluate", "--model", model, "--coherence", "umass,npmi",
                   "--reference", corpus], self.dir).stdout
        rows = [line.split() for line in out.splitlines() if re.match(r"^ +\d+ ", line)]
        self.assertEqual(len(rows), 8)
        for k, row in enumerate(rows):
            self.assertAlmostEqual(float(row[1]), c["umass"][k], delta=6e-5)
            self.assertAlmostEqual(float(row[2]), c["npmi"][k], delta=6e-5)
            self.assertEqual(row[3:], [w for w, _ in nt.top_words(model, 10)[k][1]])

    def test_umass_equals_gensims_and_npmi_its_normalised_log_ratio(self):
        if not gensim():
            self.skipTest("gensim cannot be imported (Debian: python3-gensim); UMass is not compared with gensim's")
        from gensim.corpora import Dictionary
        from gensim.models.coherencemodel import CoherenceModel
        from gensim.topic_coherence import direct_confirmation_measure, segmentation, text_analysis
        model, corpus = self.fitted()
        m = nt.read_model(model)
        with h5py.File(corpus, "r") as f:
            ip, ix, ct = f["indptr"][:], f["indices"][:], f["counts"][:]
        bow = [list(zip(ix[ip[d]:ip[d + 1]].tolist(), ct[ip[d]:ip[d + 1]].tolist())) for d in range(len(ip) - 1)]
        dictionary = Dictionary()
        dictionary.token2id = {w: i for i, w in enumerate(m.vocab)}
        dictionary.id2token = dict(enumerate(m.vocab))
        for n in (5, 10):
            top = nt.top_word_ids(m, n)
            ours = nt.coherence(m, corpus, n=n)
            cm = CoherenceModel(topics=[[m.vocab[w] for w in row] for row in top], corpus=bow, dictionary=dictionary,
                                coherence="u_mass", topn=n)
            self.assertLess(np.max(np.abs(np.array(cm.get_coherence_per_topic()) - ours["umass"])), 1e-9)
            self.assertLess(abs(cm.get_coherence() - ours["umass"].mean()), 1e-9)
            accumulator = text_analysis.CorpusAccumulator(set(top.ravel().tolist())).accumulate(bow)
            npmi = direct_confirmation_measure.log_ratio_measure(segmentation.s_one_one(list(top)), accumulator,
                                                                 normalize=True)
            self.assertLess(np.max(np.abs(np.array(npmi) - ours["npmi"])), 1e-9)

    def test_topics_with_coherence_and_a_pyldavis_file(self):
        model, corpus = self.fitted()
        out = run([sys.executable, TOOLS, "topics", model, "--top", "5", "--reference", corpus, "--theta",
                   self.path("fit_theta.h5"), "--pyldavis", self.path("vis.json")], self.dir).stdout.splitlines()
        c = nt.coherence(model, corpus)
        self.assertEqual(len(out), 9)
        self.assertTrue(out[0].startswith(f"topic   0  umass {c['umass'][0]:.4f}  npmi {c['npmi'][0]:.4f}: "), out[0])
        self.assertTrue(out[-1].startswith(f"mean       umass {c['umass'].mean():.4f}"), out[-1])
        vis = json.load(open(self.path("vis.json")))
        self.assertEqual(np.array(vis["topic_term_dists"]).shape, (8, len(vis["vocab"])))
        self.assertEqual(len(vis["doc_topic_dists"]), len(vis["doc_lengths"]))
        one = json.loads(run([sys.executable, TOOLS, "topics", model, "--reference", corpus, "--coherence", "umass",
                              "--format", "json"], self.dir).stdout)
        self.assertEqual(set(one[0]), {"topic", "words", "umass"})
        r = run([sys.executable, TOOLS, "topics", model, "--coherence", "umass"], self.dir, check=False)
        self.assertIn("--coherence needs --reference", r.stderr)


if __name__ == "__main__":
    unittest.main()
