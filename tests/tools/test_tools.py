"""Tests of tools/natgrad_tools.py and tools/natgrad_topics.py on files made by the real natgrad binary.

Run: NATGRAD=build/natgrad NATGRAD_REPO=. MPIEXEC=mpiexec python3 -m unittest discover -s tests/tools -v
(NATGRAD_REPO defaults to this file's repository, NATGRAD to its build/natgrad, MPIEXEC to mpiexec.)
"""
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

REPO = os.path.abspath(os.environ.get("NATGRAD_REPO") or os.path.join(os.path.dirname(__file__), "..", ".."))
NATGRAD = os.path.abspath(os.environ.get("NATGRAD") or os.path.join(REPO, "build", "natgrad"))
MPIEXEC = os.environ.get("MPIEXEC") or "mpiexec"
TOOLS = os.path.join(REPO, "tools", "natgrad_tools.py")
TOPICS = os.path.join(REPO, "tools", "natgrad_topics.py")
KOS = os.path.join(REPO, "jobs", "data", "kos")
K, STEPS, V = 8, 15, 6906

sys.path.insert(0, os.path.join(REPO, "tools"))
import natgrad_tools as nt  # noqa: E402

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(cmd, cwd, check=True):
    """Run a command; fail the test with its output when check and it exits non-zero."""
    r = subprocess.run(cmd, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=600)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}")
    return r


def fake_theta(model_path, corpus_path, out):
    """A deterministic theta file in the layout of 'natgrad infer': theta_d proportional to
    sum_w n_dw E[beta_kw] (normalised per word), alpha added. Used only when the binary has no infer."""
    model = nt.read_model(model_path)
    with h5py.File(corpus_path, "r") as f:
        indptr, indices, counts = f["indptr"][:], f["indices"][:], f["counts"][:]
        doc_ids = f["doc_ids"][:]
    resp = model.beta / model.beta.sum(axis=0, keepdims=True)       # [K, V] p(topic | word)
    d = len(indptr) - 1
    gamma = np.tile(model.alpha, (d, 1))
    for i in range(d):
        s = slice(indptr[i], indptr[i + 1])
        gamma[i] += resp[:, indices[s]] @ counts[s]
    with h5py.File(out, "w") as f:
        f.attrs.update({"format": "natgrad.theta", "schema_version": 1, "model": model_path,
                        "model_step": int(model.solver["step"]), "data": corpus_path, "num_docs": d, "topics": model.topics})
        f["theta"] = gamma / gamma.sum(axis=1, keepdims=True)
        f["gamma"] = gamma
        f["doc_ids"] = doc_ids.astype(np.int64)
        f["doc_lengths"] = nt.doc_lengths(indptr, counts)


class ToolsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(NATGRAD, os.X_OK):
            raise unittest.SkipTest(f"no natgrad binary at {NATGRAD} (set NATGRAD)")
        cls.dir = tempfile.mkdtemp(prefix="natgrad_tools_test_")
        d = cls.dir
        run([NATGRAD, "convert", "uci", os.path.join(KOS, "docword.kos.txt.gz"), os.path.join(KOS, "vocab.kos.txt"),
             "--out", "kos.h5", "--split-every", "10", "--heldout-out", "kos_test.h5"], d)
        for name, seed in (("a", 1), ("b", 7)):
            run([MPIEXEC, "-np", "2", NATGRAD, "fit", "--model.topics", str(K), "--data.train", "kos.h5",
                 "--data.heldout", "kos_test.h5", "--solver.max_steps", str(STEPS), "--solver.seed", str(seed),
                 "--eval.every_steps", "5", "--output.model", f"{name}.h5", "--checkpoint.path", f"ck_{name}",
                 "--checkpoint.every_steps", "5"], d)
        cls.a, cls.b, cls.corpus = (os.path.join(d, n) for n in ("a.h5", "b.h5", "kos_test.h5"))
        cls.ckpt = os.path.join(d, "ck_a", sorted(os.listdir(os.path.join(d, "ck_a")))[0])
        cls.theta = os.path.join(d, "theta.h5")
        # 'natgrad infer' writes the theta file; a binary without it gets a deterministic stand-in (fake_theta)
        # so that the export tests still run.
        cls.real_infer = run([NATGRAD, "infer", "--help"], d, check=False).returncode == 0
        if cls.real_infer:
            run([MPIEXEC, "-np", "2", NATGRAD, "infer", "--model", "a.h5", "--data", "kos_test.h5",
                 "--out", "theta.h5"], d)
        else:
            fake_theta(cls.a, cls.corpus, cls.theta)
        with h5py.File(cls.corpus, "r") as f:
            cls.D = int(f.attrs["num_docs"])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def tools(self, *args, check=True):
        return run([sys.executable, TOOLS, *args], self.dir, check=check)

    def path(self, name):
        return os.path.join(self.dir, name)

    def copy_model(self, name, edit):
        """A copy of model a, changed by edit(h5py.File)."""
        out = self.path(name)
        shutil.copy(self.a, out)
        with h5py.File(out, "r+") as f:
            edit(f)
        return out

    def assertRefused(self, args, *words):
        r = self.tools(*args, check=False)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("natgrad_tools: ", r.stderr)
        for w in words:
            self.assertIn(w, r.stderr)
        self.assertNotIn("Traceback", r.stderr)

    # ---- summary ----------------------------------------------------------------------------------------

    def test_summary_model(self):
        out = self.tools("summary", self.a).stdout
        for s in ("natgrad.model", "schema version 1", f"K = {K}", f"V = {V}", f"step {STEPS}", "seed 1",
                  "checksum 0x", "model.topics = 8", "solver.max_steps = 15", "perplexity"):
            self.assertIn(s, out)
        keys = [line.split(" = ")[0].strip() for line in out.splitlines() if line.startswith("  ") and " = " in line]
        self.assertEqual(keys, sorted(keys))

    def test_summary_checkpoint_corpus_theta(self):
        step = int(os.path.basename(self.ckpt)[len("ckpt-"):-len(".h5")])    # ckpt-000000010.h5
        self.assertLess(step, STEPS)
        self.assertIn(f"step {step},", self.tools("summary", self.ckpt).stdout)
        out = self.tools("summary", self.corpus).stdout
        self.assertIn("natgrad.corpus", out)
        self.assertIn(f"D = {self.D} documents, V = {V} words", out)
        out = self.tools("summary", self.theta).stdout
        self.assertIn("natgrad.theta", out)
        self.assertIn(f"D = {self.D} documents, K = {K} topics", out)

    # ---- topics -----------------------------------------------------------------------------------------

    def test_topics_table(self):
        lines = self.tools("topics", self.a, "--top", "5").stdout.splitlines()
        self.assertEqual(len(lines), K)
        for k, line in enumerate(lines):
            self.assertTrue(line.startswith(f"topic {k:3d}: "), line)
            self.assertEqual(line.count("("), 5)

    def test_topics_csv(self):
        rows = list(csv.DictReader(io.StringIO(self.tools("topics", self.a, "--top", "7", "--format", "csv").stdout)))
        self.assertEqual(len(rows), K * 7)
        self.assertEqual(list(rows[0]), ["topic", "rank", "word", "weight"])
        self.assertEqual(sorted({int(r["topic"]) for r in rows}), list(range(K)))
        self.assertTrue(all(0 < float(r["weight"]) < 1 for r in rows))

    def test_topics_json(self):
        topics = json.loads(self.tools("topics", self.a, "--top", "6", "--format", "json").stdout)
        self.assertEqual(len(topics), K)
        for k, t in enumerate(topics):
            self.assertEqual(t["topic"], k)
            weights = [w["weight"] for w in t["words"]]
            self.assertEqual(len(weights), 6)
            self.assertTrue(all(x >= y for x, y in zip(weights, weights[1:])), weights)
            self.assertGreater(weights[0], weights[-1])

    def test_top_words_module(self):
        model = nt.read_model(self.a)
        self.assertEqual(model.lam.shape, (K, V))
        self.assertEqual(len(model.vocab), V)
        beta = model.lam / model.lam.sum(axis=1, keepdims=True)
        for k, words in nt.top_words(model, 10):
            self.assertEqual(len(words), 10)
            best = np.argsort(-beta[k])[:10]
            self.assertEqual([w for w, _ in words], [model.vocab[i] for i in best])
            self.assertAlmostEqual(words[0][1], beta[k, best[0]], delta=1e-15)

    def test_natgrad_topics_wrapper(self):
        out = run([sys.executable, TOPICS, self.a, "--top", "4"], self.dir).stdout.splitlines()
        self.assertEqual(sum(line.startswith("topic") for line in out), K)
        self.assertEqual(len(out[0].split(":")[1].split()), 4)
        self.assertRegex(out[-1], rf"^held-out perplexity [0-9.]+ after {STEPS} steps \([0-9.]+ epochs\)$")

    # ---- plot -------------------------------------------------------------------------------------------

    def assertPng(self, path):
        with open(path, "rb") as f:
            self.assertEqual(f.read(8), PNG_SIGNATURE)
        self.assertGreater(os.path.getsize(path), 10_000)

    def test_plot_one_and_two_runs(self):
        self.tools("plot", self.a, "--out", "one.png")
        self.assertPng(self.path("one.png"))
        self.tools("plot", self.a, self.b, "--out", "two.png", "--x", "seconds")
        self.assertPng(self.path("two.png"))

    def test_history_and_generic_metric(self):
        h = nt.history(self.a)
        self.assertEqual(h.dtype.names[:4], ("step", "epoch", "seconds", "rho"))
        self.assertEqual(nt.metric_name(h), "perplexity")
        self.assertEqual(int(h["step"][-1]), STEPS)
        self.assertTrue(np.isnan(h["rho"][0]))

        def rename(f):       # a model whose history metric is a log-likelihood, as mixture models will write
            old = f["history"][:]
            new = np.empty(len(old), [(n, old.dtype[n]) for n in old.dtype.names[:-1]] + [("loglik", "f8")])
            for n in old.dtype.names[:-1]:
                new[n] = old[n]
            new["loglik"] = -np.log(old["perplexity"])
            del f["history"]
            f["history"] = new
        path = self.copy_model("loglik.h5", rename)
        self.assertEqual(nt.metric_name(nt.history(path)), "loglik")
        self.assertIn("loglik", self.tools("summary", path).stdout)
        out = nt.plot_convergence([self.a, path], self.path("mixed.png"), "step")
        self.assertPng(out)

    # ---- compare ----------------------------------------------------------------------------------------

    def test_compare_self_is_zero(self):
        pairs, dist = nt.align(self.a, self.a)
        self.assertEqual(pairs, [(k, k) for k in range(K)])
        self.assertTrue(np.all(dist == 0.0), dist)
        out = self.tools("compare", self.a, self.a).stdout
        self.assertIn("Hellinger", out)
        self.assertIn("mean distance 0.000000", out)

    def test_compare_two_seeds(self):
        out = self.tools("compare", self.a, self.b).stdout
        mean = float(out.split("mean distance ")[1].split()[0])
        self.assertGreater(mean, 0)
        self.assertLess(mean, 1)
        pairs, dist = nt.align(self.a, self.b)
        self.assertEqual(sorted(j for _, j in pairs), list(range(K)))
        self.assertAlmostEqual(dist.mean(), mean, delta=1e-6)

    def test_compare_refuses_other_k_or_vocabulary(self):
        def fewer_topics(f):
            lam = f["model/lambda"][:K - 1]
            del f["model/lambda"]
            f["model/lambda"] = lam
        path = self.copy_model("k7.h5", fewer_topics)
        self.assertRefused(["compare", self.a, path], f"K = {K - 1}", f"K = {K}")

        def other_word(f):
            vocab = f["vocab"][:]
            vocab[3] = b"zzzunknown"
            del f["vocab"]
            f.create_dataset("vocab", data=vocab, dtype=h5py.string_dtype())
        path = self.copy_model("vocab.h5", other_word)
        self.assertRefused(["compare", self.a, path], "vocabulary", "zzzunknown")

    # ---- export -----------------------------------------------------------------------------------------

    def test_export_npz(self):
        self.tools("export", self.a, "--out", "ex", "--theta", self.theta)
        tw = np.load(self.path("ex_topic_word.npz"))
        self.assertEqual(tw["topic_word"].shape, (K, V))
        self.assertEqual(tw["vocab"].shape, (V,))
        np.testing.assert_allclose(tw["topic_word"].sum(axis=1), 1, rtol=0, atol=1e-9)
        dt = np.load(self.path("ex_doc_topic.npz"))
        self.assertEqual(dt["doc_topic"].shape, (self.D, K))
        np.testing.assert_allclose(dt["doc_topic"].sum(axis=1), 1, rtol=0, atol=1e-9)

    def test_export_csv(self):
        self.tools("export", self.a, "--out", "exc", "--theta", self.theta, "--format", "csv")
        with open(self.path("exc_topic_word.csv"), encoding="utf-8") as f:
            rows = list(csv.reader(f))
        self.assertEqual(len(rows), K + 1)
        self.assertEqual(rows[0][1:], nt.read_model(self.a).vocab)
        tw = np.array([[float(x) for x in r[1:]] for r in rows[1:]])
        self.assertEqual(tw.shape, (K, V))
        np.testing.assert_allclose(tw.sum(axis=1), 1, rtol=0, atol=1e-9)
        dt = np.loadtxt(self.path("exc_doc_topic.csv"), delimiter=",", skiprows=1)
        self.assertEqual(dt.shape, (self.D, K + 1))
        np.testing.assert_allclose(dt[:, 1:].sum(axis=1), 1, rtol=0, atol=1e-9)

    def test_export_pyldavis(self):
        self.tools("export", self.a, "--out", "exp", "--theta", self.theta, "--corpus", self.corpus,
                   "--pyldavis", "lda.json")
        with open(self.path("lda.json"), encoding="utf-8") as f:
            data = json.load(f)
        ttd, dtd = np.array(data["topic_term_dists"]), np.array(data["doc_topic_dists"])
        self.assertEqual(ttd.shape, (K, V))
        self.assertEqual(dtd.shape, (self.D, K))
        self.assertEqual(len(data["doc_lengths"]), self.D)
        self.assertEqual(len(data["vocab"]), V)
        self.assertEqual(len(data["term_frequency"]), V)
        np.testing.assert_allclose(ttd.sum(axis=1), 1, rtol=0, atol=1e-9)
        np.testing.assert_allclose(dtd.sum(axis=1), 1, rtol=0, atol=1e-9)
        with h5py.File(self.corpus, "r") as f:
            self.assertEqual(sum(data["term_frequency"]), int(f.attrs["num_tokens"]))
        self.assertEqual(sum(data["doc_lengths"]), sum(data["term_frequency"]))

    def test_export_pyldavis_needs_theta_and_corpus(self):
        self.assertRefused(["export", self.a, "--out", "x", "--pyldavis", "x.json"], "--theta", "--corpus")

    # ---- refused files ----------------------------------------------------------------------------------

    def test_refuses_corpus_as_model(self):
        self.assertRefused(["topics", self.corpus], self.corpus, "natgrad.corpus", "natgrad.model")
        with self.assertRaises(SystemExit) as e:
            nt.read_model(self.corpus)
        self.assertIn("natgrad.corpus", str(e.exception.code))

    def test_refuses_newer_schema(self):
        path = self.copy_model("v99.h5", lambda f: f.attrs.modify("schema_version", 99))
        for cmd in ("summary", "topics"):
            self.assertRefused([cmd, path], path, "99")
        r = run([sys.executable, TOPICS, path], self.dir, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("99", r.stderr)

    def test_refuses_text_file(self):
        path = self.path("notes.txt")
        with open(path, "w") as f:
            f.write("not an HDF5 file\n")
        for cmd in ("summary", "topics", "plot"):
            args = [cmd, path] + (["--out", "x.png"] if cmd == "plot" else [])
            self.assertRefused(args, path, "HDF5")

    def test_refuses_model_as_theta(self):
        self.assertRefused(["export", self.a, "--out", "y", "--theta", self.b], self.b, "natgrad.theta")


if __name__ == "__main__":
    unittest.main()
