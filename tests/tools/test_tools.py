"""Tests of tools/natgrad_tools.py and tools/natgrad_topics.py on files made by the real natgrad binary, and (gmm)
on model, dense data and responsibilities files written here with h5py in the documented layout, which need no
binary (GmmFullFixtureTest, GmmDiagFixtureTest); GmmFullBinaryTest and GmmDiagBinaryTest repeat the gmm checks on
files from natgrad synth gmm / fit / infer when the binary has the gmm model.

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
        cls.ckpt = os.path.join(d, "ck_a", sorted(n for n in os.listdir(os.path.join(d, "ck_a")) if n.startswith("ckpt-"))[0])
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

    def test_a_checkpoint_holds_lambda_in_the_solvers_form(self):
        # The last checkpoint (step STEPS) holds lambda once, as B + a M, and no tensors; the model file of the
        # same step holds the tensors alone. Read through the tools, both give the same lambda, bit for bit.
        last = os.path.join(self.dir, "ck_a", f"ckpt-{STEPS:09d}.h5")
        with h5py.File(last, "r") as f:
            self.assertNotIn("lambda", f["model"])
            self.assertIn("lambda_base", f["solver"])
        with h5py.File(self.a, "r") as f:
            self.assertNotIn("lambda_offset", f["solver"])
        from_checkpoint, from_model = nt.read_parameters(last).tensors, nt.read_parameters(self.a).tensors
        self.assertTrue(np.array_equal(from_checkpoint["lambda"], from_model["lambda"]))
        self.assertTrue(np.array_equal(nt.read_model(last).lam, nt.read_model(self.a).lam))

    def test_summary_model(self):
        out = self.tools("summary", self.a).stdout
        for s in ("natgrad.model", "schema version 3", f"K = {K}", f"V = {V}", f"step {STEPS}", "seed 1",
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
            if "layout" in f:      # a consistent file of K - 1 topics: its layout says so too
                f["layout/dims"][0] = K - 1
                f["layout/strides"][1] = K - 1
                f["layout"].attrs["size"] = (K - 1) * V
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


# ---- Gaussian mixtures (model.type = gmm) -------------------------------------------------------------------

def gmm_state(k, d, covariance, seed=3):
    """The exact variational state of a plausible fitted gmm (well-separated components)."""
    rng = np.random.default_rng(seed)
    means = rng.normal(0, 6, (k, d))
    if covariance == "full":
        a = rng.normal(size=(k, d, d))
        cov = a @ a.transpose(0, 2, 1) / d + 0.5 * np.eye(d)
    else:
        cov = rng.uniform(0.5, 2.0, (k, d))
    counts = rng.uniform(100, 400, k)
    nu = d + counts
    return {"weight_concentration": 1.0 / k + counts, "mean_precision": 1.0 + counts, "degrees_of_freedom": nu,
            "means": means, "inv_scale": cov * (nu[:, None, None] if covariance == "full" else nu[:, None]),
            "covariance": covariance}


def write_gmm_model(path, state, heldout, step=20, train="train.h5", num_rows=1000):
    """A gmm model file in the layout of natgrad.model schema 1 (README 'Model and checkpoint' and the gmm layout),
    with the derived datasets; heldout: the last heldout_loglik of /history."""
    alpha, beta, nu = state["weight_concentration"], state["mean_precision"], state["degrees_of_freedom"]
    m, inv_scale, covariance = state["means"], state["inv_scale"], state["covariance"]
    k, d = m.shape
    full = covariance == "full"
    with h5py.File(path, "w") as f:
        f.attrs.update({"format": "natgrad.model", "schema_version": 1, "natgrad_version": "test-fixture"})
        g = f.create_group("model")
        g.attrs.update({"type": "gmm", "components": k, "dim": d, "covariance": covariance})
        g["weight_concentration"], g["mean_precision"], g["degrees_of_freedom"] = alpha, beta, nu
        g["beta_mean"] = beta[:, None] * m
        g["scatter"] = (inv_scale + beta[:, None, None] * m[:, :, None] * m[:, None, :] if full
                        else inv_scale + beta[:, None] * m ** 2)
        g["weights"] = alpha / alpha.sum()
        g["means"] = m
        g["covariances"] = inv_scale / (nu[:, None, None] if full else nu[:, None])
        p = g.create_group("prior")
        p.attrs.update({"weight_concentration": 1.0 / k, "mean_precision": 1.0, "degrees_of_freedom": float(d)})
        p["mean"] = np.zeros(d)
        p["scale"] = np.eye(d) if full else np.ones(d)
        config = {"model.type": "gmm", "model.components": str(k), "model.covariance": covariance,
                  "data.train": train, "data.heldout": "test.h5", "solver.batch_size": "100", "solver.seed": "1",
                  "output.model": os.path.basename(path)}
        f.create_group("config").attrs.update(config)
        f.create_group("solver").attrs.update({"step": step, "epoch": step * 100 / num_rows, "seed": 1,
                                               "docs_seen": step * 100, "train_seconds": 0.25})
        f.create_group("data").attrs.update({"train": train, "num_docs": num_rows, "vocab_size": d,
                                             "num_tokens": num_rows * d, "checksum": "0x0123456789abcdef"})
        h = np.zeros(3, [("step", "<i8"), ("epoch", "<f8"), ("seconds", "<f8"), ("rho", "<f8"),
                         ("heldout_loglik", "<f8")])
        h["step"] = [0, step // 2, step]
        h["epoch"] = h["step"] * 100 / num_rows
        h["seconds"] = [0, 0.1, 0.25]
        h["rho"] = [np.nan, 0.3, 0.2]
        h["heldout_loglik"] = [heldout - 5, heldout - 1, heldout]
        f["history"] = h


def reference_log_predictive(state, x):
    """The Student-t mixture predictive, by scipy.stats (independent of natgrad_tools.log_predictive)."""
    from scipy import stats
    from scipy.special import logsumexp
    alpha, beta, nu = state["weight_concentration"], state["mean_precision"], state["degrees_of_freedom"]
    m, inv_scale = state["means"], state["inv_scale"]
    k, d = m.shape
    lp = np.empty((len(x), k))
    for j in range(k):
        if state["covariance"] == "full":
            dof = nu[j] + 1 - d
            shape = inv_scale[j] * (1 + beta[j]) / (dof * beta[j])            # L_k^-1
            lp[:, j] = stats.multivariate_t(loc=m[j], shape=shape, df=dof).logpdf(x)
        else:
            scale = np.sqrt(inv_scale[j] * (1 + beta[j]) / (nu[j] * beta[j]))
            lp[:, j] = stats.t(df=nu[j], loc=m[j], scale=scale).logpdf(x).sum(axis=1)
    return logsumexp(lp + np.log(alpha / alpha.sum()), axis=1)


def write_dense(path, x, truth=None, labels=None):
    """A dense data file (natgrad.dense schema 1); truth: (weights, means, covariances [K, D, D], covariance)."""
    with h5py.File(path, "w") as f:
        f.attrs.update({"format": "natgrad.dense", "schema_version": 1, "num_rows": len(x), "num_cols": x.shape[1],
                        "source": "test fixture"})
        f["data"] = x
        f["row_ids"] = np.arange(len(x), dtype=np.int64)
        if labels is not None:
            f["labels"] = labels.astype(np.float64)
        if truth is not None:
            g = f.create_group("truth")
            g["weights"], g["means"], g["covariances"] = truth[:3]
            g.attrs.update({"components": len(truth[0]), "covariance": truth[3], "seed": 5})


def write_responsibilities(path, model_path, data_path):
    """A responsibilities file in the layout of 'natgrad infer' for gmm (natgrad.theta, model_type = gmm)."""
    model = nt.read_model(model_path)
    x = nt.read_dense(data_path)["data"]
    d2 = ((x[:, None, :] - model.means[None]) ** 2).sum(axis=2)
    logits = np.log(model.weights) - 0.5 * d2
    r = np.exp(logits - logits.max(axis=1, keepdims=True))
    with h5py.File(path, "w") as f:
        f.attrs.update({"format": "natgrad.theta", "schema_version": 1, "model_type": "gmm", "model": model_path,
                        "data": data_path, "components": model.components})
        f["responsibilities"] = r / r.sum(axis=1, keepdims=True)
        f["row_ids"] = np.arange(len(x), dtype=np.int64)


def sample_mixture(weights, means, cov, n, seed):
    rng = np.random.default_rng(seed)
    z = rng.choice(len(weights), size=n, p=weights)
    full = cov if cov.ndim == 3 else np.stack([np.diag(c) for c in cov])
    x = np.stack([rng.multivariate_normal(means[j], full[j]) for j in z])
    return x, z


class GmmCases:
    """Tests of the tools on a gmm model (self.model), its training data (self.train) and held-out data
    (self.test), a responsibilities file (self.resp); set up by a subclass."""
    dir = model = train = test = resp = None

    def tools(self, *args, check=True):
        return run([sys.executable, TOOLS, *args], self.dir, check=check)

    def path(self, name):
        return os.path.join(self.dir, name)

    assertRefused = ToolsTest.assertRefused
    assertPng = ToolsTest.assertPng

    def copy_model(self, name, edit):
        out = self.path(name)
        shutil.copy(self.model, out)
        with h5py.File(out, "r+") as f:
            edit(f)
        return out

    def test_read_model_and_derived(self):
        m = nt.read_model(self.model)
        self.assertIsInstance(m, nt.GmmModel)
        self.assertEqual((m.type, m.components, m.dim, m.covariance), ("gmm", self.K, self.D, self.covariance))
        with h5py.File(self.model, "r") as f:      # the derived datasets agree with the exact state
            np.testing.assert_allclose(m.weights, f["model/weights"][:], rtol=1e-12)
            np.testing.assert_allclose(m.means, f["model/means"][:], rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(m.covariances, f["model/covariances"][:], rtol=1e-7,
                                       atol=1e-9 * np.abs(f["model/covariances"][:]).max())
        self.assertAlmostEqual(m.weights.sum(), 1.0, delta=1e-12)
        self.assertEqual(nt.metric_name(m.history), "heldout_loglik")

    def test_summary_model(self):
        out = self.tools("summary", self.model).stdout
        step = nt.read_model(self.model).solver["step"]
        for s in ("natgrad.model", f"schema version {self.SCHEMA}",
                  f"gmm, K = {self.K} components, D = {self.D} dimensions, {self.covariance} covariances",
                  f"step {step},", "checksum 0x", f"model.components = {self.K}", "heldout_loglik",
                  "higher is better", "weight concentration"):
            self.assertIn(s, out)
        last = float(out.split("held-out:")[1].split("heldout_loglik")[1].split()[0])
        self.assertAlmostEqual(last, float(nt.history(self.model)["heldout_loglik"][-1]), delta=1e-4 * abs(last))
        keys = [line.split(" = ")[0].strip() for line in out.splitlines() if line.startswith("  ") and " = " in line]
        self.assertEqual(keys, sorted(keys))

    def test_summary_dense_and_responsibilities(self):
        n = len(nt.read_dense(self.test)["data"])
        out = self.tools("summary", self.test).stdout
        self.assertIn("natgrad.dense", out)
        self.assertIn(f"N = {n} rows, D = {self.D} columns", out)
        out = self.tools("summary", self.resp).stdout
        self.assertIn("natgrad.theta", out)
        self.assertIn(f"N = {n} rows, K = {self.K} components", out)

    def test_components_json(self):
        comps = json.loads(self.tools("components", self.model, "--format", "json").stdout)
        self.assertEqual([c["component"] for c in comps], list(range(self.K)))
        self.assertAlmostEqual(sum(c["weight"] for c in comps), 1.0, delta=1e-9)
        with h5py.File(self.model, "r") as f:
            means = f["model/means"][:]
        np.testing.assert_allclose(np.array([c["mean"] for c in comps]), means, rtol=1e-9, atol=1e-12)

    def test_components_table_and_csv(self):
        lines = self.tools("components", self.model).stdout.splitlines()
        self.assertEqual(len(lines), self.K)
        for k, line in enumerate(lines):
            self.assertTrue(line.startswith(f"component {k:3d}: weight "), line)
            self.assertEqual(len(line.split("mean ")[1].split()), self.D)
        rows = list(csv.reader(io.StringIO(self.tools("components", self.model, "--format", "csv").stdout)))
        self.assertEqual(rows[0], ["component", "weight"] + [f"mean{i}" for i in range(self.D)])
        self.assertEqual(len(rows), self.K + 1)
        self.assertAlmostEqual(sum(float(r[1]) for r in rows[1:]), 1.0, delta=1e-9)

    def test_compare_self_is_zero(self):
        pairs, dist = nt.align(self.model, self.model)
        self.assertEqual(pairs, [(k, k) for k in range(self.K)])
        self.assertLess(dist.max(), 1e-9)
        out = self.tools("compare", self.model, self.model).stdout
        self.assertIn("2-Wasserstein", out)
        self.assertIn("mean distance 0.000000", out)

    def test_plot(self):
        self.tools("plot", self.model, "--out", "gmm.png")
        self.assertPng(self.path("gmm.png"))
        self.assertEqual(nt.metric_label("heldout_loglik"), "heldout_loglik (higher is better)")
        self.assertEqual(nt.metric_label("perplexity"), "held-out perplexity (lower is better)")

    def test_heldout_loglik_matches_history(self):
        """The Python predictive of the model on the held-out data equals the last heldout_loglik of /history."""
        h = nt.history(self.model)
        ours = nt.heldout_loglik(self.model, self.test)
        self.assertLessEqual(abs(ours - h["heldout_loglik"][-1]), 1e-6 * max(1.0, abs(ours)),
                             (ours, h["heldout_loglik"][-1]))

    def test_export_npz(self):
        self.tools("export", self.model, "--out", "g", "--responsibilities", self.resp)
        m = nt.read_model(self.model)
        c = np.load(self.path("g_components.npz"))
        np.testing.assert_allclose(c["weights"], m.weights, rtol=1e-15)
        np.testing.assert_allclose(c["means"], m.means, rtol=1e-15)
        np.testing.assert_allclose(c["covariances"], m.covariances, rtol=1e-15)
        self.assertEqual(str(c["covariance"]), self.covariance)
        r = np.load(self.path("g_responsibilities.npz"))
        n = len(nt.read_dense(self.test)["data"])
        self.assertEqual(r["responsibilities"].shape, (n, self.K))
        np.testing.assert_allclose(r["responsibilities"].sum(axis=1), 1, rtol=0, atol=1e-9)
        self.assertEqual(r["row_ids"].shape, (n,))

    def test_export_csv(self):
        self.tools("export", self.model, "--out", "gc", "--theta", self.resp, "--format", "csv")
        m = nt.read_model(self.model)
        c = np.loadtxt(self.path("gc_components.csv"), delimiter=",", skiprows=1, ndmin=2)
        np.testing.assert_allclose(c[:, 1], m.weights, rtol=1e-15)
        np.testing.assert_allclose(c[:, 2:], m.means, rtol=1e-15)
        cov = np.loadtxt(self.path("gc_covariances.csv"), delimiter=",", skiprows=1, ndmin=2)
        if self.covariance == "full":
            np.testing.assert_allclose(cov[:, 2:].reshape(self.K, self.D, self.D), m.covariances, rtol=1e-15)
        else:
            np.testing.assert_allclose(cov[:, 1:], m.covariances, rtol=1e-15)
        r = np.loadtxt(self.path("gc_responsibilities.csv"), delimiter=",", skiprows=1, ndmin=2)
        self.assertEqual(r.shape[1], self.K + 1)
        np.testing.assert_allclose(r[:, 1:].sum(axis=1), 1, rtol=0, atol=1e-9)

    def test_refuses_topics_and_pyldavis(self):
        self.assertRefused(["topics", self.model], self.model, "gmm", "components")
        self.assertRefused(["export", self.model, "--out", "z", "--theta", self.resp, "--corpus", self.test,
                            "--pyldavis", "z.json"], "gmm", "--pyldavis")

    def test_refuses_newer_schema_and_unknown_type(self):
        path = self.copy_model("g99.h5", lambda f: f.attrs.modify("schema_version", 99))
        for cmd in ("summary", "components", "plot", "compare"):
            args = [cmd, path] + {"plot": ["--out", "x.png"], "compare": [self.model]}.get(cmd, [])
            self.assertRefused(args, path, "99")
        path = self.copy_model("hmm.h5", lambda f: f["model"].attrs.modify("type", "hmm"))
        for cmd in ("summary", "components"):
            self.assertRefused([cmd, path], path, "model type 'hmm'")

    def test_refuses_incomplete_or_misshapen(self):
        path = self.copy_model("noscatter.h5", lambda f: f.__delitem__("model/scatter"))
        self.assertRefused(["components", path], "/model/scatter", "incomplete")

        def short_nu(f):
            nu = f["model/degrees_of_freedom"][:-1]
            del f["model/degrees_of_freedom"]
            f["model/degrees_of_freedom"] = nu
        path = self.copy_model("shortnu.h5", short_nu)
        self.assertRefused(["summary", path], "/model/degrees_of_freedom", f"[{self.K - 1}]", f"[{self.K}]")


class GmmFixtureCases(GmmCases):
    """GmmCases on files written here with h5py in the documented layout (no natgrad binary needed), plus checks
    that need known answers."""
    K, D, N = 4, 3, 2000
    SCHEMA = 1      # the model files written here

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix=f"natgrad_tools_gmm_{cls.covariance}_")
        state = gmm_state(cls.K, cls.D, cls.covariance)
        m = nt.GmmModel.from_state(**state)
        x, z = sample_mixture(m.weights, m.means, m.covariances, cls.N, seed=11)
        cls.perm = np.random.default_rng(2).permutation(cls.K)            # truth component i = model's perm[i]
        full = nt._full(m.covariances)
        truth = (m.weights[cls.perm], m.means[cls.perm], full[cls.perm], cls.covariance)
        cls.train, cls.test = os.path.join(cls.dir, "train.h5"), os.path.join(cls.dir, "test.h5")
        write_dense(cls.train, x[:-200], labels=z[:-200])
        write_dense(cls.test, x[-200:], truth=truth, labels=z[-200:])
        cls.state = state
        cls.reference = reference_log_predictive(state, x[-200:]).mean()
        cls.model = os.path.join(cls.dir, "gmm.h5")
        write_gmm_model(cls.model, state, cls.reference, num_rows=cls.N - 200)
        cls.resp = os.path.join(cls.dir, "resp.h5")
        write_responsibilities(cls.resp, cls.model, cls.test)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_predictive_matches_scipy(self):
        x = nt.read_dense(self.test)["data"]
        np.testing.assert_allclose(nt.log_predictive(self.model, x), reference_log_predictive(self.state, x),
                                   rtol=1e-10)
        self.assertAlmostEqual(nt.heldout_loglik(self.model, self.test), self.reference, delta=1e-9)

    def test_compare_with_permuted_truth(self):
        pairs, dist = nt.align(self.model, self.test)
        inverse = np.argsort(self.perm)
        self.assertEqual(pairs, [(k, int(inverse[k])) for k in range(self.K)])
        self.assertLess(dist.max(), 1e-9)
        out = self.tools("compare", self.model, self.test).stdout
        self.assertIn("/truth", out)
        self.assertIn("mean distance 0.000000", out)
        for k in range(self.K):
            self.assertIn(f"A {k:3d} -> B {inverse[k]:3d}  0.000000", out)

    def test_compare_distances(self):
        """Shifting every mean by t moves each matched pair by exactly |t|; other K or D is refused."""
        t = np.array([3.0, 4.0] + [0.0] * (self.D - 2))
        path = os.path.join(self.dir, "shifted.h5")
        write_gmm_model(path, dict(self.state, means=self.state["means"] + t), self.reference)
        pairs, dist = nt.align(self.model, path)
        self.assertEqual(pairs, [(k, k) for k in range(self.K)])
        np.testing.assert_allclose(dist, 5.0, rtol=1e-9)

        def fewer(f):
            for name in ("weight_concentration", "mean_precision", "degrees_of_freedom", "beta_mean", "scatter"):
                a = f["model/" + name][:-1]
                del f["model/" + name]
                f["model/" + name] = a
        path = self.copy_model("k3.h5", fewer)
        self.assertRefused(["compare", self.model, path], f"K = {self.K - 1}", f"K = {self.K}")
        other = os.path.join(self.dir, "d1.h5")
        write_gmm_model(other, gmm_state(self.K, 1, self.covariance), -1.0)
        self.assertRefused(["compare", self.model, other], "D = 1", f"D = {self.D}")

    def test_wasserstein2_closed_forms(self):
        rng = np.random.default_rng(5)
        ma, mb = rng.normal(size=(3, 1)), rng.normal(size=(2, 1))
        va, vb = rng.uniform(0.1, 3, (3, 1)), rng.uniform(0.1, 3, (2, 1))
        expect = np.sqrt((ma - mb.T) ** 2 + (np.sqrt(va) - np.sqrt(vb.T)) ** 2)     # 1-D Gaussians
        np.testing.assert_allclose(nt.wasserstein2(ma, va, mb, vb), expect, rtol=1e-12)
        np.testing.assert_allclose(nt.wasserstein2(ma, va[:, :, None], mb, vb[:, :, None]), expect, rtol=1e-9)
        from scipy.linalg import sqrtm
        a = rng.normal(size=(2, 4, 4))
        sa = a @ a.transpose(0, 2, 1) + 0.1 * np.eye(4)
        b = rng.normal(size=(3, 4, 4))
        sb = b @ b.transpose(0, 2, 1) + 0.1 * np.eye(4)
        ma, mb = rng.normal(size=(2, 4)), rng.normal(size=(3, 4))
        got = nt.wasserstein2(ma, sa, mb, sb)
        for i in range(2):
            for j in range(3):
                ra = np.real(sqrtm(sa[i]))
                w2 = ((ma[i] - mb[j]) ** 2).sum() + np.trace(sa[i] + sb[j] - 2 * np.real(sqrtm(ra @ sb[j] @ ra)))
                self.assertAlmostEqual(got[i, j], np.sqrt(w2), delta=1e-8)

    def test_refuses_data_without_truth(self):
        self.assertRefused(["compare", self.model, self.train], self.train, "no /truth")

    def test_refuses_across_model_types(self):
        lda = os.path.join(self.dir, "lda.h5")
        with h5py.File(lda, "w") as f:
            f.attrs.update({"format": "natgrad.model", "schema_version": 1})
            f.create_group("model").attrs.update({"type": "lda", "topics": self.K, "vocab_size": 5})
            f["model/lambda"] = np.ones((self.K, 5))
            f["model/alpha"] = np.full(self.K, 0.25)
            f["model/eta"] = 0.25
            f.create_dataset("vocab", data=[f"w{i}" for i in range(5)], dtype=h5py.string_dtype())
            for g in ("config", "solver", "data"):
                f.create_group(g)
            f["history"] = np.zeros(1, [("step", "<i8"), ("epoch", "<f8"), ("seconds", "<f8"), ("rho", "<f8"),
                                        ("perplexity", "<f8")])
        self.assertRefused(["compare", lda, self.model], "gmm", "lda", "cannot compare")
        self.assertRefused(["components", lda], lda, "lda", "topics")
        self.assertRefused(["export", lda, "--out", "q", "--theta", self.resp], self.resp, "gmm")
        self.assertRefused(["export", self.model, "--out", "q", "--theta", self.model], "natgrad.theta")


# Python alone: the sanitizer build, whose binary is the only thing that differs, does not run them again.
PYTHON_ALONE = unittest.skipIf(os.environ.get("NATGRAD_SANITIZED"), "Python alone: run by the release build's tests")


@PYTHON_ALONE
class GmmFullFixtureTest(GmmFixtureCases, unittest.TestCase):
    covariance = "full"


@PYTHON_ALONE
class GmmDiagFixtureTest(GmmFixtureCases, unittest.TestCase):
    covariance = "diag"


def natgrad_has_gmm():
    if not os.access(NATGRAD, os.X_OK):
        return False
    r = subprocess.run([NATGRAD, "fit", "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return "components" in r.stdout


class GmmBinaryCases(GmmCases):
    """GmmCases on files made by the real binary: natgrad synth gmm, fit under mpirun -np 2, infer."""
    K, D, N = 3, 4, 6000
    SCHEMA = 3      # the model files natgrad writes

    @classmethod
    def setUpClass(cls):
        if not natgrad_has_gmm():
            raise unittest.SkipTest(f"{NATGRAD} has no gmm model yet ('fit --help' does not mention components)")
        cls.dir = d = tempfile.mkdtemp(prefix=f"natgrad_tools_gmmbin_{cls.covariance}_")
        run([NATGRAD, "synth", "gmm", "--components", str(cls.K), "--dim", str(cls.D), "--points", str(cls.N),
             "--seed", "5", "--out", "train.h5", "--split-every", "10", "--heldout-out", "test.h5"], d)
        run([MPIEXEC, "-np", "2", NATGRAD, "fit", "--model.type", "gmm", "--model.components", str(cls.K),
             "--model.covariance", cls.covariance, "--data.train", "train.h5", "--data.heldout", "test.h5",
             "--solver.batch_size", "200", "--solver.epochs", "3", "--output.model", "gmm.h5"], d)
        run([MPIEXEC, "-np", "2", NATGRAD, "infer", "--model", "gmm.h5", "--data", "test.h5", "--out", "resp.h5"], d)
        cls.model, cls.train, cls.test, cls.resp = (os.path.join(d, n) for n in ("gmm.h5", "train.h5", "test.h5",
                                                                               "resp.h5"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_compare_with_truth(self):
        data = next((p for p in (self.train, self.test) if "truth" in h5py.File(p, "r")), None)
        self.assertIsNotNone(data, "natgrad synth gmm wrote no /truth")
        pairs, dist = nt.align(self.model, data)
        self.assertEqual(sorted(j for _, j in pairs), list(range(self.K)))
        self.assertTrue(np.all(np.isfinite(dist)), dist)
        self.assertIn("/truth", self.tools("compare", self.model, data).stdout)


class GmmFullBinaryTest(GmmBinaryCases, unittest.TestCase):
    covariance = "full"


class GmmDiagBinaryTest(GmmBinaryCases, unittest.TestCase):
    covariance = "diag"


if __name__ == "__main__":
    unittest.main()
