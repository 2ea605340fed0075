"""Tests of the generic reader of lambda (natgrad_tools.read_parameters, Layout) and of the model families' registry:
on the schema 1 files of tests/data/schema_v1, on schema 2 files made from them here (layout_fixtures.make_schema2,
the /layout group added with h5py), on a schema 2 file of a type without a module ('pmf'), and on damaged layouts.
Needs no natgrad binary.

Run: python3 -m unittest discover -s tests/tools -v
"""
import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

from layout_fixtures import GMM_TENSORS, SCHEMA_V1, make_pmf, make_schema2, spec_layout, write_layout

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOOLS_DIR = os.path.join(REPO, "tools")
TOOLS = os.path.join(TOOLS_DIR, "natgrad_tools.py")
sys.path.insert(0, TOOLS_DIR)
import natgrad_tools as nt  # noqa: E402

MODELS = {"lda_model_12.h5": "lda", "lda_ckpt-000000006.h5": "lda", "gmm_model_12.h5": "gmm",
          "gmmdiag_model_12.h5": "gmm", "gmm_ckpt-000000006.h5": "gmm"}


def tools(*args, cwd=None):
    return subprocess.run([sys.executable, TOOLS, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=300)


def base(f):
    """The base eta of lambda = eta + a M, per tensor (lda: the prior eta; gmm: the prior in lambda's coordinates)."""
    if f["model"].attrs["type"] in ("lda", b"lda"):
        return {"lambda": float(f["model/eta"][()])}
    p = f["model/prior"]
    b0, m0, s0 = p.attrs["mean_precision"], p["mean"][:], p["scale"][:]
    return {"weight_concentration": p.attrs["weight_concentration"], "mean_precision": b0,
            "degrees_of_freedom": p.attrs["degrees_of_freedom"], "beta_mean": b0 * m0,
            "scatter": s0 + b0 * (np.outer(m0, m0) if s0.ndim == 2 else m0 ** 2)}


class TempDirCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="natgrad_layout_test_")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def v1(self, name):
        return os.path.join(SCHEMA_V1, name)

    def assertRefused(self, args, *words):
        """The command exits non-zero with 'natgrad_tools: ' and each word in its message, and no traceback."""
        r = tools(*args, cwd=self.dir)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("natgrad_tools: ", r.stderr)
        for w in words:
            self.assertIn(w, r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        return r.stderr

    def assertLayoutIs(self, layout, spec):
        names, shapes, offsets, strides, size = spec
        self.assertEqual(layout.names, tuple(names))
        self.assertEqual(layout.shapes, tuple(tuple(s) for s in shapes))
        self.assertEqual(layout.offsets, tuple(offsets))
        self.assertEqual(layout.strides, tuple(tuple(s) for s in strides))
        self.assertEqual(layout.size, size)


class PackageTest(unittest.TestCase):
    def test_import_finds_the_package(self):
        """With tools/natgrad_tools.py and tools/natgrad_tools/ both there, the import finds the package."""
        self.assertTrue(os.path.isfile(TOOLS))
        self.assertEqual(os.path.normpath(nt.__file__), os.path.join(TOOLS_DIR, "natgrad_tools", "__init__.py"))
        r = subprocess.run([sys.executable, "-c", "import natgrad_tools as nt; print(nt.__file__)"], cwd=TOOLS_DIR,
                           stdout=subprocess.PIPE, text=True, check=True)
        self.assertTrue(r.stdout.strip().endswith(os.path.join("natgrad_tools", "__init__.py")), r.stdout)

    def test_python_m_and_script(self):
        path = os.path.join(SCHEMA_V1, "lda_model_12.h5")
        r = subprocess.run([sys.executable, "-m", "natgrad_tools", "topics", path, "--top", "3"], cwd=TOOLS_DIR,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, tools("topics", path, "--top", "3").stdout)
        self.assertEqual(len(r.stdout.splitlines()), 4)

    def test_public_api(self):
        for name in ("open_checked", "read_parameters", "read_model", "LdaModel", "GmmModel", "Mixture", "Layout",
                     "read_theta", "read_dense", "read_truth", "summary", "top_words", "components", "align",
                     "distances", "hellinger", "wasserstein2", "history", "metric_name", "plot_convergence",
                     "export_model", "export_assignments", "export_topic_word", "export_components",
                     "export_doc_topic", "log_predictive", "heldout_loglik", "export_pyldavis", "pyldavis_data",
                     "term_frequency", "doc_lengths"):
            self.assertTrue(callable(getattr(nt, name)), name)
        self.assertEqual((nt.SCHEMA_VERSION, nt.LDA, nt.GMM, nt.HPF, nt.MODEL_TYPES),
                         (3, "lda", "gmm", "hpf", ("lda", "gmm", "hpf")))
        self.assertEqual((nt.MODEL, nt.CORPUS, nt.THETA, nt.DENSE),
                         ("natgrad.model", "natgrad.corpus", "natgrad.theta", "natgrad.dense"))

    def test_families_have_the_interface(self):
        required = ("TYPE", "TENSORS", "REQUIRED", "build", "summary_rows", "data_row", "UNIT", "HINT", "DISTANCE",
                    "distances", "compare_lines", "export", "EXPORT_FILES", "ASSIGNMENTS", "theta_rows", "__all__")
        for kind in nt.registry.types():
            fam = nt.registry.family(kind)
            self.assertEqual(fam.TYPE, kind)
            for name in required:
                self.assertTrue(hasattr(fam, name), f"{kind}: {name}")
            for name in fam.__all__:
                self.assertIs(getattr(nt, name), getattr(fam, name))
        self.assertIsNone(nt.registry.family("pmf"))


class SchemaV1Test(TempDirCase):
    """read_parameters on the schema 1 files: the family's tensors, equal to the datasets, and the family's flat layout,
    which gathers /solver/lambda_offset into lambda = eta + a M."""

    def test_tensors_are_the_datasets(self):
        for name, kind in MODELS.items():
            with self.subTest(name):
                tensors, layout = nt.read_parameters(self.v1(name))
                want = ["lambda"] if kind == "lda" else GMM_TENSORS
                self.assertEqual(list(tensors), want)
                with h5py.File(self.v1(name), "r") as f:
                    for t in want:
                        self.assertTrue(np.array_equal(tensors[t], f["model/" + t][()]), t)
                    self.assertLayoutIs(layout, spec_layout(f))
                    flat = f["solver/lambda_offset"][:]
                    a = f["solver"].attrs["lambda_scale"]
                    eta = base(f)
                self.assertIsNone(layout.problem())
                for t, m in layout.gather(flat).items():
                    np.testing.assert_allclose(eta[t] + a * m, tensors[t], rtol=1e-14, atol=0, err_msg=t)
                self.assertTrue(np.array_equal(layout.scatter(layout.gather(flat)), flat))

    def test_read_model(self):
        for name, kind in MODELS.items():
            with self.subTest(name):
                m = nt.read_model(self.v1(name))
                self.assertEqual(m.type, kind)
                self.assertIsInstance(m, nt.LdaModel if kind == "lda" else nt.GmmModel)
                with h5py.File(self.v1(name), "r") as f:
                    if kind == "lda":
                        self.assertTrue(np.array_equal(m.lam, f["model/lambda"][:]))
                        self.assertEqual(m.vocab_size, 60)
                    else:
                        np.testing.assert_allclose(m.means, f["model/means"][:], rtol=1e-12)
                        np.testing.assert_allclose(m.weights, f["model/weights"][:], rtol=1e-12)
                self.assertEqual(m.layout, nt.read_parameters(self.v1(name)).layout)
                self.assertIn("schema version 1", tools("summary", self.v1(name)).stdout)
                self.assertNotIn("layout", tools("summary", self.v1(name)).stdout)

    def test_unknown_type_without_layout_is_refused(self):
        make_pmf(self.v1("lda_model_12.h5"), self.path("pmf1.h5"), layout=False)
        with self.assertRaises(SystemExit) as e:
            nt.read_parameters(self.path("pmf1.h5"))
        self.assertIn("model type 'pmf'", str(e.exception.code))
        self.assertRefused(["summary", self.path("pmf1.h5")], "pmf1.h5", "model type 'pmf'")


class SchemaV2Test(TempDirCase):
    """Schema 2 files (schema 1 plus /layout) read as the schema 1 files they were made from."""

    def test_read_parameters_and_model(self):
        for name, kind in MODELS.items():
            with self.subTest(name):
                p2 = make_schema2(self.v1(name), self.path("v2_" + name))
                tensors, layout = nt.read_parameters(p2)
                tensors1, layout1 = nt.read_parameters(self.v1(name))
                self.assertEqual(layout, layout1)
                self.assertEqual(list(tensors), list(tensors1))
                for t in tensors:
                    self.assertTrue(np.array_equal(tensors[t], tensors1[t]), t)
                with h5py.File(p2, "r") as f:
                    self.assertEqual(int(f.attrs["schema_version"]), 2)
                    flat, a, eta = f["solver/lambda_offset"][:], f["solver"].attrs["lambda_scale"], base(f)
                gathered = layout.gather(flat)
                self.assertEqual({t: g.shape for t, g in gathered.items()}, {t: x.shape for t, x in tensors.items()})
                for t, m in gathered.items():
                    np.testing.assert_allclose(eta[t] + a * m, tensors[t], rtol=1e-14, atol=0, err_msg=t)
                m2, m1 = nt.read_model(p2), nt.read_model(self.v1(name))
                self.assertIs(type(m2), type(m1))
                if kind == "lda":
                    self.assertTrue(np.array_equal(m2.beta, m1.beta))
                else:
                    self.assertTrue(np.array_equal(m2.covariances, m1.covariances))

    def test_commands(self):
        for name, kind in MODELS.items():
            with self.subTest(name):
                p2 = make_schema2(self.v1(name), self.path("v2_" + name))
                out = tools("summary", p2).stdout
                for s in ("schema version 2", "layout:", "entries of the flat lambda", "offset 0, strides"):
                    self.assertIn(s, out)
                lines = tools("summary", self.v1(name)).stdout.splitlines()
                lines2 = [x for x in out.splitlines() if not (x.startswith("layout:") or x.startswith("  /model/"))]
                self.assertEqual(lines2, [x.replace(self.v1(name), p2).replace("schema version 1", "schema version 2")
                                          for x in lines])
                if kind == "lda":
                    self.assertIn("  /model/lambda float64 [4, 60], offset 0, strides [1, 4]", out)
                cmd = "topics" if kind == "lda" else "components"
                self.assertEqual(tools(cmd, p2).stdout, tools(cmd, self.v1(name)).stdout)
                self.assertIn("mean distance 0.000000", tools("compare", p2, self.v1(name)).stdout)
                r = tools("export", p2, "--out", self.path("x"), "--format", "csv")
                self.assertEqual(r.returncode, 0, r.stderr)

    def test_unknown_type_is_read_generically(self):
        tensors, flat = make_pmf(self.v1("lda_model_12.h5"), self.path("pmf.h5"))
        got, layout = nt.read_parameters(self.path("pmf.h5"))
        self.assertEqual(layout.names, ("shape", "rate"))
        self.assertEqual(layout.shapes, ((5, 4), (4,)))
        for t in ("shape", "rate"):
            self.assertTrue(np.array_equal(got[t], tensors[t]), t)
            self.assertTrue(np.array_equal(layout.gather(flat)[t], tensors[t]), t)
        self.assertTrue(np.array_equal(layout.scatter(got), flat))
        # summary describes models of the families it knows only
        self.assertRefused(["summary", self.path("pmf.h5")], "pmf.h5", "model type 'pmf'")
        self.assertEqual(len(nt.history(self.path("pmf.h5"))), 4)
        with self.assertRaises(SystemExit) as e:
            nt.read_model(self.path("pmf.h5"))
        self.assertIn("model type 'pmf' is not one this tool reads", str(e.exception.code))
        for cmd in ("topics", "components", "export"):
            self.assertRefused([cmd, self.path("pmf.h5")] + (["--out", "q"] if cmd == "export" else []),
                               "pmf.h5", "model type 'pmf'")

    def test_newer_schema_is_refused(self):
        p = make_schema2(self.v1("lda_model_12.h5"), self.path("v4.h5"),
                         lambda f, spec: f.attrs.modify("schema_version", 4))
        self.assertRefused(["summary", p], p, "schema_version 4 is newer than this tool reads (3)")
        with self.assertRaises(SystemExit):
            nt.read_parameters(p)


class DamagedLayoutTest(TempDirCase):
    """A /layout that does not describe the file's lambda is refused, naming the file and the dataset."""

    def damaged(self, name, edit, src="lda_model_12.h5"):
        def rewrite(f, spec):
            edit(f, spec)
            if "layout" in f:
                write_layout(f, *spec)
        return make_schema2(self.v1(src), self.path(name), lambda f, spec: rewrite(f, spec))

    def assertDamaged(self, path, *words):
        with self.assertRaises(SystemExit) as e:
            nt.read_parameters(path)
        msg = str(e.exception.code)
        self.assertTrue(msg.startswith(f"natgrad_tools: {path}: "), msg)
        for w in words:
            self.assertIn(w, msg)
        for cmd in ("summary", "topics"):
            self.assertRefused([cmd, path], path, *words)
        with self.assertRaises(SystemExit):
            nt.read_model(path)

    def test_name_without_dataset(self):
        p = self.damaged("noname.h5", lambda f, spec: spec[0].__setitem__(0, "lambda2"))
        self.assertDamaged(p, "/layout/names", "/model/lambda2")

    def test_shape_differs(self):
        p = self.damaged("shape.h5", lambda f, spec: spec[1].__setitem__(0, [4, 59]))
        self.assertDamaged(p, "/layout/dims", "/model/lambda", "[4, 59]", "[4, 60]")

    def test_offset_outside(self):
        for offset in (240, -1):
            p = self.damaged(f"off{offset}.h5", lambda f, spec: spec[2].__setitem__(0, offset))
            self.assertDamaged(p, "/layout/offsets", str(offset), "[0, 240)")

    def test_stride_outside(self):
        for stride in (240, -4):
            p = self.damaged(f"stride{stride}.h5", lambda f, spec: spec[3].__setitem__(0, [1, stride]))
            self.assertDamaged(p, "/layout/strides", str(stride), "[0, 240)")
        p = self.damaged("reach.h5", lambda f, spec: spec[3].__setitem__(0, [1, 5]))     # last entry 3 + 59 * 5
        self.assertDamaged(p, "/layout/strides", "298")

    def test_overlap_and_size(self):
        p = self.damaged("overlap.h5", lambda f, spec: spec[3].__setitem__(0, [1, 3]))
        self.assertDamaged(p, "/layout/offsets and /layout/strides", "overlap")
        p = self.damaged("size.h5", lambda f, spec: spec.__setitem__(4, 250))
        self.assertDamaged(p, "/layout attribute size = 250", "240 entries")

    def test_gmm_overlap(self):
        def same_offset(f, spec):
            spec[2][4] = 3                        # scatter where beta_mean is
        p = self.damaged("g.h5", same_offset, "gmm_model_12.h5")
        with self.assertRaises(SystemExit) as e:
            nt.read_parameters(p)
        self.assertIn("overlap", str(e.exception.code))
        self.assertRefused(["components", p], p, "/layout/offsets")

    def test_incomplete_or_inconsistent(self):
        p = self.damaged("nolayout.h5", lambda f, spec: f.__delitem__("layout"))
        self.assertDamaged(p, "missing /layout")
        p = self.damaged("nostrides.h5", lambda f, spec: None)
        with h5py.File(p, "r+") as f:
            del f["layout/strides"]
        self.assertDamaged(p, "missing /layout/strides")
        p = self.damaged("ranks.h5", lambda f, spec: None)
        with h5py.File(p, "r+") as f:
            del f["layout/ranks"]
            f["layout/ranks"] = np.array([2, 1], dtype=np.int64)
        self.assertDamaged(p, "/layout/ranks", "2 entries")
        p = self.damaged("flat.h5", lambda f, spec: None)
        with h5py.File(p, "r+") as f:
            m = f["solver/lambda_offset"][:-1]
            del f["solver/lambda_offset"]
            f["solver/lambda_offset"] = m
        self.assertDamaged(p, "/solver/lambda_offset", "[239]", "240")

    def test_layout_object_checks(self):
        lay = nt.Layout(("a", "b"), ((2, 3), (2,)), (0, 6), ((3, 1), (1,)), 8)
        self.assertIsNone(lay.problem())
        flat = np.arange(8.0)
        g = lay.gather(flat)
        self.assertTrue(np.array_equal(g["a"], [[0, 1, 2], [3, 4, 5]]))
        self.assertTrue(np.array_equal(g["b"], [6, 7]))
        self.assertTrue(np.array_equal(lay.indices("a"), [[0, 1, 2], [3, 4, 5]]))
        with self.assertRaises(ValueError):
            nt.Layout(("a",), ((2, 3),), (0,), ((3, 2),), 6).gather(np.zeros(6))     # overlaps, leaves holes
        with self.assertRaises(ValueError):
            lay.gather(np.zeros(7))
        # one gmm component (K = 1, D = 2, full): strides s = 9 of the extent-1 component axis are not used
        one = nt.Layout(tuple(GMM_TENSORS), ((1,), (1,), (1,), (1, 2), (1, 2, 2)), (0, 1, 2, 3, 5),
                        ((9,), (9,), (9,), (9, 1), (9, 1, 2)), 9)
        self.assertIsNone(one.problem())
        self.assertTrue(np.array_equal(one.gather(np.arange(9.0))["scatter"], [[[5, 7], [6, 8]]]))


class ThirdFamilyTest(TempDirCase):
    """A family module and one registry line are all that a new type needs (tests/tools/pmf_family.py)."""

    def setUp(self):
        super().setUp()
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        nt.registry.MODULES["pmf"] = "pmf_family"

    def tearDown(self):
        del nt.registry.MODULES["pmf"]
        super().tearDown()

    def test_read_summary_compare_export(self):
        tensors, _ = make_pmf(self.v1("lda_model_12.h5"), self.path("pmf.h5"))
        path = self.path("pmf.h5")
        m = nt.read_model(path)
        self.assertEqual((type(m).__name__, m.type, m.components), ("PmfModel", "pmf", 4))
        self.assertTrue(np.array_equal(m.shape, tensors["shape"]))
        rows = dict(nt.summary(path))
        self.assertEqual(rows["model"], "pmf, U = 5 users, K = 4 factors")
        pairs, dist = nt.align(path, path)
        self.assertEqual(pairs, [(k, k) for k in range(4)])
        self.assertLess(dist.max(), 1e-12)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            nt.main(["compare", path, path])
            nt.main(["export", path, "--out", self.path("h")])
        self.assertIn("factors of", out.getvalue())
        self.assertIn("Hellinger distance between the factors", out.getvalue())
        self.assertEqual(np.load(self.path("h_factors.npz"))["factors"].shape, (4, 5))
        with self.assertRaises(SystemExit) as e:
            nt.align(path, self.v1("lda_model_12.h5"))
        self.assertIn("cannot compare", str(e.exception.code))


if __name__ == "__main__":
    unittest.main()
