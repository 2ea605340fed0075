#!/usr/bin/env python3
"""Analysis tools for natgrad files: models, checkpoints, corpora, dense data and theta files.

usage: natgrad_tools.py summary FILE
       natgrad_tools.py topics MODEL [--top N] [--format table|csv|json]          (lda)
       natgrad_tools.py components MODEL [--format table|csv|json]               (gmm)
       natgrad_tools.py plot FILE [FILE ...] --out PNG [--x step|seconds]
       natgrad_tools.py compare A B             (B may be a dense data file with /truth, for gmm)
       natgrad_tools.py export MODEL --out PREFIX [--theta THETA.h5 | --responsibilities RESP.h5]
                               [--corpus CORPUS.h5] [--format npz|csv] [--pyldavis JSON]

Two model types: LDA ('lda', topics) and the Bayesian Gaussian mixture ('gmm', components).
Every file is checked on opening: a file that is not HDF5, has another format
than expected, a model type this tool does not know, or a schema version newer
than this tool reads is refused with a message naming it, and the program exits
with a non-zero status.
Also importable: open_checked, read_model (an LdaModel or a GmmModel), read_theta,
read_dense, read_truth, summary, top_words, components, align, distances,
hellinger, wasserstein2, history, metric_name, plot_convergence, export_model,
export_assignments, log_predictive, heldout_loglik, export_pyldavis (and
pyldavis_data, for pyLDAvis.prepare).
"""
import argparse
import csv
import json
import math
import os
import sys
from dataclasses import dataclass, field

import h5py
import numpy as np

PROG = "natgrad_tools"
SCHEMA_VERSION = 1
MODEL, CORPUS, THETA, DENSE = "natgrad.model", "natgrad.corpus", "natgrad.theta", "natgrad.dense"
FORMATS = (MODEL, CORPUS, THETA, DENSE)
LDA, GMM = "lda", "gmm"
MODEL_TYPES = (LDA, GMM)
COVARIANCES = ("full", "diag")


def text(value):
    """An HDF5 string attribute or element as str."""
    return value.decode() if isinstance(value, bytes) else str(value)


def fail(path, message):
    """Stop with 'natgrad_tools: PATH: message' and a non-zero exit status."""
    raise SystemExit(f"{PROG}: {path}: {message}")


def open_checked(path, expected=None):
    """Open an HDF5 file read-only after checking its format and schema version.

    expected: one format name, a tuple of accepted names, or None for any natgrad format.
    """
    accepted = FORMATS if expected is None else (expected,) if isinstance(expected, str) else tuple(expected)
    if not os.path.isfile(path):
        fail(path, "no such file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        fail(path, f"cannot open as HDF5 ({e})")
    try:
        fmt = text(f.attrs.get("format", ""))
        if fmt not in accepted:
            found = f"format '{fmt}'" if fmt else "no 'format' attribute"
            fail(path, f"{found}, expected {' or '.join(repr(a) for a in accepted)}")
        try:
            version = int(f.attrs.get("schema_version", -1))
        except (TypeError, ValueError):
            version = -1
        if version > SCHEMA_VERSION:
            fail(path, f"schema_version {version} is newer than this tool reads ({SCHEMA_VERSION}); update the tools")
        if version < 1:
            fail(path, f"invalid schema_version {version}; this tool reads 1 to {SCHEMA_VERSION}")
    except BaseException:
        f.close()
        raise
    return f


def _attrs(obj):
    """HDF5 attributes as a dict of plain Python values."""
    out = {}
    for key, value in obj.attrs.items():
        if isinstance(value, (bytes, str)):
            value = text(value)
        elif isinstance(value, np.generic):
            value = value.item()
        out[key] = value
    return out


# Objects every file of a format has, then those that depend on the model type.
REQUIRED = {MODEL: ("model", "config", "solver", "data", "history"),
            CORPUS: ("indptr", "indices", "counts", "doc_ids", "vocab"),
            THETA: (),
            DENSE: ("data", "row_ids")}
REQUIRED_BY_TYPE = {
    (MODEL, LDA): ("model/lambda", "model/alpha", "model/eta", "vocab"),
    (MODEL, GMM): ("model/weight_concentration", "model/mean_precision", "model/degrees_of_freedom",
                   "model/beta_mean", "model/scatter", "model/prior", "model/prior/mean", "model/prior/scale"),
    (THETA, LDA): ("theta", "gamma", "doc_ids", "doc_lengths"),
    (THETA, GMM): ("responsibilities", "row_ids"),
}


def model_type(f, path, fmt):
    """The model type of an open model or checkpoint (/model attribute 'type') or theta file (root attribute
    'model_type'; 'lda' when absent, as in files written before mixtures); None for other formats."""
    if fmt == MODEL:
        kind = text(f["model"].attrs.get("type", ""))
    elif fmt == THETA:
        kind = text(f.attrs.get("model_type", LDA))
    else:
        return None
    if kind not in MODEL_TYPES:
        fail(path, f"model type '{kind}' is not one this tool reads ({', '.join(MODEL_TYPES)}); update the tools")
    return kind


def _require(f, path, fmt):
    """Refuse a file that lacks an object its format (and model type) has; returns the model type or None."""
    missing = [n for n in REQUIRED[fmt] if n not in f]
    kind = None
    if not missing:
        kind = model_type(f, path, fmt)
        missing = [n for n in REQUIRED_BY_TYPE.get((fmt, kind), ()) if n not in f]
    if missing:
        what = f"{kind} {fmt}" if kind else fmt
        fail(path, f"incomplete {what} file: missing {', '.join('/' + n for n in missing)}")
    return kind


def _vocab(f):
    return [text(w) for w in f["vocab"][:]]


def _shape(path, name, array, shape):
    """Refuse a dataset whose shape is not the expected one."""
    if array.shape != tuple(shape):
        fail(path, f"dataset /{name} has shape {list(array.shape)}; expected {list(shape)}")
    return array


@dataclass
class Model:
    """What every natgrad model or checkpoint has; read_model returns an LdaModel or a GmmModel."""
    path: str
    type: str
    attrs: dict = field(default_factory=dict)     # root attributes
    config: dict = field(default_factory=dict)
    solver: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    history: np.ndarray = None


@dataclass
class LdaModel(Model):
    """An LDA model or checkpoint, read whole."""
    lam: np.ndarray = None     # [K, V] Dirichlet parameters of q(beta)
    alpha: np.ndarray = None   # [K]
    eta: float = 0.0
    vocab: list = None

    @property
    def components(self):
        return self.lam.shape[0]

    topics = components

    @property
    def vocab_size(self):
        return self.lam.shape[1]

    @property
    def beta(self):
        """E[beta] = lambda_kw / sum_w lambda_kw; rows sum to 1."""
        return self.lam / self.lam.sum(axis=1, keepdims=True)


@dataclass
class Mixture:
    """Point parameters of a Gaussian mixture: weights [K], means [K, D], covariances [K, D, D] ('full') or [K, D]
    ('diag'). A GmmModel gives its own (GmmModel.mixture); read_truth gives those a synthetic data set was drawn from."""
    path: str
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    covariance: str = "full"

    @property
    def components(self):
        return self.means.shape[0]

    @property
    def dim(self):
        return self.means.shape[1]


@dataclass
class GmmModel(Model):
    """A Bayesian Gaussian mixture model or checkpoint, read whole. q(pi) = Dir(weight_concentration); component k:
    q(mu_k, Lambda_k) = N(mu_k | means_k, (mean_precision_k Lambda_k)^-1) W(Lambda_k | W_k, degrees_of_freedom_k),
    inv_scale_k = W_k^-1 ([K, D, D]); 'diag': Normal-Gammas, precision of dimension d ~ Gamma(nu_k / 2,
    rate inv_scale_kd / 2) (inv_scale [K, D])."""
    covariance: str = "full"
    weight_concentration: np.ndarray = None   # [K] alpha_k
    mean_precision: np.ndarray = None         # [K] beta_k
    degrees_of_freedom: np.ndarray = None     # [K] nu_k
    means: np.ndarray = None                  # [K, D] m_k
    inv_scale: np.ndarray = None              # [K, D, D] or [K, D]: W_k^-1
    prior: dict = field(default_factory=dict)

    @classmethod
    def from_state(cls, weight_concentration, mean_precision, degrees_of_freedom, means, inv_scale,
                   covariance="full", path="(in memory)", **common):
        """A GmmModel from its variational parameters (e.g. another system's fit), for log_predictive."""
        as_f8 = lambda a: np.asarray(a, dtype=np.float64)  # noqa: E731
        return cls(path=path, type=GMM, covariance=covariance, weight_concentration=as_f8(weight_concentration),
                   mean_precision=as_f8(mean_precision), degrees_of_freedom=as_f8(degrees_of_freedom),
                   means=as_f8(means), inv_scale=as_f8(inv_scale), **common)

    @property
    def components(self):
        return self.means.shape[0]

    @property
    def dim(self):
        return self.means.shape[1]

    @property
    def weights(self):
        """E[pi_k] = alpha_k / sum alpha."""
        return self.weight_concentration / self.weight_concentration.sum()

    @property
    def covariances(self):
        """E[Lambda_k]^-1 = W_k^-1 / nu_k (scikit-learn's covariances_); [K, D, D] or [K, D]."""
        nu = self.degrees_of_freedom
        return self.inv_scale / (nu[:, None, None] if self.covariance == "full" else nu[:, None])

    @property
    def mixture(self):
        return Mixture(self.path, self.weights, self.means, self.covariances, self.covariance)


def _read_gmm(f, path):
    """The GmmModel fields of an open gmm model file, with shapes checked."""
    m = f["model"]
    covariance = text(m.attrs.get("covariance", ""))
    if covariance not in COVARIANCES:
        fail(path, f"/model attribute covariance = '{covariance}'; expected 'full' or 'diag'")
    alpha = f["model/weight_concentration"][:]
    k = alpha.shape[0] if alpha.ndim == 1 else -1
    beta_mean = f["model/beta_mean"][:]
    d = beta_mean.shape[1] if beta_mean.ndim == 2 else -1
    if k < 1 or d < 1:
        fail(path, f"/model/weight_concentration {list(alpha.shape)} and /model/beta_mean {list(beta_mean.shape)} "
                   "must be [K] and [K, D]")
    full = covariance == "full"
    beta = _shape(path, "model/mean_precision", f["model/mean_precision"][:], [k])
    nu = _shape(path, "model/degrees_of_freedom", f["model/degrees_of_freedom"][:], [k])
    _shape(path, "model/beta_mean", beta_mean, [k, d])
    scatter = _shape(path, "model/scatter", f["model/scatter"][:], [k, d, d] if full else [k, d])
    means = beta_mean / beta[:, None]
    if full:       # scatter = W^-1 + beta m m^T
        inv_scale = scatter - beta[:, None, None] * means[:, :, None] * means[:, None, :]
    else:          # scatter = W_d^-1 + beta m_d^2
        inv_scale = scatter - beta[:, None] * means ** 2
    prior = _attrs(f["model/prior"])
    prior["mean"] = _shape(path, "model/prior/mean", f["model/prior/mean"][:], [d])
    prior["scale"] = _shape(path, "model/prior/scale", f["model/prior/scale"][:], [d, d] if full else [d])
    return dict(covariance=covariance, weight_concentration=alpha, mean_precision=beta, degrees_of_freedom=nu,
                means=means, inv_scale=inv_scale, prior=prior)


def read_model(path):
    """Read a model file or checkpoint: an LdaModel or a GmmModel, by its /model type."""
    with open_checked(path, MODEL) as f:
        kind = _require(f, path, MODEL)
        common = dict(path=path, type=kind, attrs=_attrs(f), config=_attrs(f["config"]), solver=_attrs(f["solver"]),
                      data=_attrs(f["data"]), history=f["history"][:])
        if kind == LDA:
            return LdaModel(lam=f["model/lambda"][:], alpha=f["model/alpha"][:], eta=float(f["model/eta"][()]),
                            vocab=_vocab(f), **common)
        return GmmModel(**_read_gmm(f, path), **common)


HINT = {LDA: "for lda models see 'topics'", GMM: "for gmm models see 'components'"}


def _model(m, kind=None, use=""):
    """A Model from a Model or a path; refuses one of another type than kind (if given), naming use."""
    m = m if isinstance(m, Model) else read_model(m)
    if kind is not None and m.type != kind:
        fail(m.path, f"is a {m.type} model; {use} reads {kind} models only ({HINT[m.type]})")
    return m


def top_words(model, n=10):
    """[(topic, [(word, weight), ...]), ...], weights E[beta_kw] in decreasing order (lda)."""
    model = _model(model, LDA, "topics")
    beta = model.beta
    order = np.argsort(-beta, axis=1, kind="stable")[:, :n]
    return [(k, [(model.vocab[w], float(beta[k, w])) for w in order[k]]) for k in range(model.topics)]


def components(model):
    """[(component, weight E[pi_k], mean m_k [D]), ...] in component order (gmm)."""
    model = _model(model, GMM, "components")
    return [(k, float(w), m) for k, (w, m) in enumerate(zip(model.weights, model.means))]


def read_dense(path):
    """A dense data file: dict with data [N, D], row_ids, labels and column_names (None when absent), attrs."""
    with open_checked(path, DENSE) as f:
        _require(f, path, DENSE)
        return {"data": f["data"][:], "row_ids": f["row_ids"][:],
                "labels": f["labels"][:] if "labels" in f else None,
                "column_names": [text(c) for c in f["column_names"][:]] if "column_names" in f else None,
                "attrs": _attrs(f)}


def read_truth(path):
    """The /truth of a dense data file from 'natgrad synth gmm', as a Mixture."""
    with open_checked(path, DENSE) as f:
        _require(f, path, DENSE)
        if "truth" not in f:
            fail(path, "has no /truth group (only data drawn by 'natgrad synth gmm' has one)")
        missing = [n for n in ("truth/weights", "truth/means", "truth/covariances") if n not in f]
        if missing:
            fail(path, f"incomplete /truth: missing {', '.join('/' + n for n in missing)}")
        weights, means, cov = f["truth/weights"][:], f["truth/means"][:], f["truth/covariances"][:]
        covariance = text(f["truth"].attrs.get("covariance", "full"))
    if weights.ndim != 1 or means.ndim != 2 or len(means) != len(weights):
        fail(path, f"/truth/weights {list(weights.shape)} and /truth/means {list(means.shape)} must be [K] and [K, D]")
    k, d = means.shape
    if cov.shape not in ((k, d, d), (k, d)):
        fail(path, f"dataset /truth/covariances has shape {list(cov.shape)}; expected {[k, d, d]} or {[k, d]}")
    return Mixture(path, weights, means, cov, covariance)


# ---- predictive density (gmm) ------------------------------------------------------------------------------

def _logsumexp(a, axis):
    top = a.max(axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    return (top + np.log(np.exp(a - top).sum(axis=axis, keepdims=True))).squeeze(axis)


def log_predictive(model, x, chunk=65536):
    """log p(x_n | q) for each row of x [N, D]: log sum_k E[pi_k] St(x_n | m_k, L_k, nu_k + 1 - D) with
    L_k = ((nu_k + 1 - D) beta_k / (1 + beta_k)) W_k (Bishop, PRML 10.81); for 'diag' covariances the product over
    dimensions of 1-D Student-t's St(x_d | m_kd, nu_k beta_k / (1 + beta_k) W_kd, nu_k). Returns [N]."""
    model = _model(model, GMM, "log_predictive")
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    k, d = model.components, model.dim
    if x.shape[1] != d:
        raise ValueError(f"data have {x.shape[1]} columns; the model has D = {d}")
    beta, nu = model.mean_precision, model.degrees_of_freedom
    log_w = np.log(model.weights)
    if model.covariance == "full":
        dof = nu + 1 - d
        if np.any(dof <= 0):
            fail(model.path, f"degrees of freedom {nu.min():.6g} <= D - 1 = {d - 1}; the predictive is undefined")
        c = dof * beta / (1 + beta)
        try:
            chol = np.linalg.cholesky(model.inv_scale)             # W_k^-1 = C C^T, so W_k = C^-T C^-1
        except np.linalg.LinAlgError:
            fail(model.path, "a component's W^-1 is not positive definite")
        const = np.array([log_w[j] + math.lgamma((dof[j] + d) / 2) - math.lgamma(dof[j] / 2)
                          - d / 2 * math.log(dof[j] * math.pi) + d / 2 * math.log(c[j])
                          - np.log(np.diag(chol[j])).sum() for j in range(k)])
        try:
            from scipy.linalg import solve_triangular
        except ImportError:          # numpy only: a general solve, as accurate here
            def solve_triangular(a, b, lower):
                return np.linalg.solve(a, b)
    else:
        if np.any(model.inv_scale <= 0):
            fail(model.path, "a component's W^-1 has a value <= 0")
        lam = (nu * beta / (1 + beta))[:, None] / model.inv_scale     # [K, D] precisions of the 1-D t's
        const = np.array([log_w[j] + d * (math.lgamma((nu[j] + 1) / 2) - math.lgamma(nu[j] / 2)
                                           - 0.5 * math.log(nu[j] * math.pi)) + 0.5 * np.log(lam[j]).sum()
                          for j in range(k)])
    out = np.empty(len(x))
    for start in range(0, len(x), chunk):
        xs = x[start:start + chunk]
        lp = np.empty((len(xs), k))
        for j in range(k):
            diff = xs - model.means[j]
            if model.covariance == "full":
                y = solve_triangular(chol[j], diff.T, lower=True)
                lp[:, j] = const[j] - (dof[j] + d) / 2 * np.log1p(c[j] * (y * y).sum(axis=0) / dof[j])
            else:
                lp[:, j] = const[j] - (nu[j] + 1) / 2 * np.log1p(lam[j] * diff ** 2 / nu[j]).sum(axis=1)
        out[start:start + chunk] = _logsumexp(lp, axis=1)
    return out


def heldout_loglik(model, data):
    """Average log predictive density per point (log_predictive) of data: an array [N, D] or a dense data file;
    the quantity natgrad writes as heldout_loglik in /history."""
    x = read_dense(data)["data"] if isinstance(data, (str, os.PathLike)) else data
    return float(log_predictive(model, x).mean())


# ---- history and plots -------------------------------------------------------------------------------------

def history(path):
    """The /history table of a model or checkpoint as a NumPy structured array."""
    with open_checked(path, MODEL) as f:
        _require(f, path, MODEL)
        return f["history"][:]


def metric_name(hist):
    """The held-out metric of a history table: its last field ('perplexity', 'heldout_loglik', ...)."""
    return hist.dtype.names[-1]


def metric_goal(name):
    """'lower' or 'higher': which values of a held-out metric are better."""
    return "lower" if "perplexity" in name else "higher"


def metric_label(name):
    """Axis label of a held-out metric: its name and which way is better."""
    return f"{name if name.startswith('heldout') else 'held-out ' + name} ({metric_goal(name)} is better)"


def plot_convergence(paths, out, x="step"):
    """Held-out metric (top) and rho (bottom) against step or seconds, one line per file; writes a PNG."""
    if x not in ("step", "seconds"):
        raise ValueError(f"x must be 'step' or 'seconds', not {x!r}")
    hists = [(p, history(p)) for p in paths]
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(9, 7), dpi=120)
    names = [os.path.basename(p) for p in paths]
    if len(set(names)) < len(names):      # same file name in several directories: label by path
        names = list(paths)
    metrics = []
    for (path, h), label in zip(hists, names):
        name = metric_name(h)
        metrics.append(name)
        top.plot(h[x], h[name], marker="o", markersize=3, label=label)
        rows = ~np.isnan(h["rho"])
        bottom.plot(h[x][rows], h["rho"][rows], marker="o", markersize=3, label=label)
    metrics = sorted(set(metrics))
    top.set_ylabel(" / ".join(metric_label(n) for n in metrics))
    if metrics == ["perplexity"]:
        top.set_yscale("log")
    top.set_title("convergence")
    bottom.set_ylabel("step size rho")
    bottom.set_xlabel("training seconds" if x == "seconds" else "step")
    for ax in (top, bottom):
        ax.grid(True, alpha=0.4)
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out


# ---- compare -----------------------------------------------------------------------------------------------

def hellinger(p, q):
    """Hellinger distances between the rows of p [K, V] and q [L, V] (rows sum to 1): [K, L] in [0, 1]."""
    sp, sq = np.sqrt(p), np.sqrt(q)
    d = np.empty((p.shape[0], q.shape[0]))
    for i in range(p.shape[0]):
        d[i] = np.sqrt(0.5 * ((sp[i] - sq) ** 2).sum(axis=1))
    return d


def _full(cov):
    """Covariances [K, D] (diagonals) or [K, D, D] as [K, D, D]."""
    return cov if cov.ndim == 3 else cov[:, :, None] * np.eye(cov.shape[1])


def _sqrtm(cov):
    """Symmetric square roots of positive semi-definite matrices [K, D, D]."""
    w, v = np.linalg.eigh(cov)
    return (v * np.sqrt(np.clip(w, 0, None))[:, None, :]) @ v.transpose(0, 2, 1)


def wasserstein2(means_a, cov_a, means_b, cov_b):
    """2-Wasserstein distances between the Gaussians N(means_a[i], cov_a[i]) and N(means_b[j], cov_b[j]): [K_a, K_b].

    W2^2 = |m_a - m_b|^2 + tr(S_a + S_b - 2 (S_a^1/2 S_b S_a^1/2)^1/2), computed as
    |m_a - m_b|^2 + min over rotations R of |S_a^1/2 - S_b^1/2 R|_F^2 (a sum of squares: never negative, and
    zero to rounding for equal Gaussians). Covariances [K, D, D], or [K, D] for diagonal ones.
    """
    dm = ((means_a[:, None, :] - means_b[None, :, :]) ** 2).sum(axis=2)
    if cov_a.ndim == 2 and cov_b.ndim == 2:
        bures = ((np.sqrt(cov_a)[:, None, :] - np.sqrt(cov_b)[None, :, :]) ** 2).sum(axis=2)
    else:
        ra, rb = _sqrtm(_full(cov_a)), _sqrtm(_full(cov_b))
        bures = np.empty(dm.shape)
        for i in range(len(ra)):
            u, _, vt = np.linalg.svd(rb @ ra[i])          # rb_j^T ra_i = U S V^T; R = U V^T (orthogonal Procrustes)
            bures[i] = ((ra[i][None] - rb @ (u @ vt)) ** 2).sum(axis=(1, 2))
    return np.sqrt(dm + bures)


DISTANCE = {LDA: "Hellinger distance between rows of E[beta], 0 = same topic, 1 = disjoint support",
            GMM: "2-Wasserstein distance between the Gaussians N(m_k, S_k) (S_k: the covariances, E[Lambda_k]^-1 "
                 "for a model), in the data's units, 0 = same Gaussian"}
UNIT = {LDA: "topic", GMM: "component"}


def comparable(x):
    """What compare reads: a Model (path of a model or checkpoint) or a Mixture (path of a dense data file: /truth)."""
    if isinstance(x, (Model, Mixture)):
        return x
    with open_checked(x, (MODEL, DENSE)) as f:
        fmt = text(f.attrs["format"])
    return read_model(x) if fmt == MODEL else read_truth(x)


def _kind(x):
    return x.type if isinstance(x, Model) else GMM


def distances(a, b):
    """The distance matrix [K_a, K_b] between the components of a and b (see DISTANCE); refuses different types,
    vocabularies or dimensions."""
    a, b = comparable(a), comparable(b)
    ka, kb = _kind(a), _kind(b)
    if ka != kb:
        fail(b.path, f"holds a {kb} model and {a.path} holds a {ka} model; cannot compare")
    if ka == LDA:
        if a.vocab_size != b.vocab_size:
            fail(b.path, f"vocabulary size V = {b.vocab_size} differs from {a.path}'s V = {a.vocab_size}; cannot compare")
        if a.vocab != b.vocab:
            w = next(i for i, (x, y) in enumerate(zip(a.vocab, b.vocab)) if x != y)
            fail(b.path, f"vocabulary differs from {a.path}'s (word {w}: '{b.vocab[w]}' vs '{a.vocab[w]}'); "
                         "cannot compare")
        return hellinger(a.beta, b.beta)
    if a.dim != b.dim:
        fail(b.path, f"has dimension D = {b.dim} and {a.path} has D = {a.dim}; cannot compare")
    a, b = (x.mixture if isinstance(x, GmmModel) else x for x in (a, b))
    return wasserstein2(a.means, a.covariances, b.means, b.covariances)


def align(model_a, model_b):
    """Match the topics (lda) or components (gmm) of two models one to one, minimising the total distance
    (Hungarian algorithm on distances(a, b)). model_b may also be a dense data file's /truth (gmm).

    Returns (pairs, distances): pairs [(k_a, k_b), ...] ordered by k_a, distances[i] of pair i.
    """
    a, b = comparable(model_a), comparable(model_b)
    d = distances(a, b)
    if a.components != b.components:
        unit = UNIT[_kind(a)]
        fail(b.path, f"has K = {b.components} {unit}s and {a.path} has K = {a.components}; compare needs the same K")
    try:
        from scipy.optimize import linear_sum_assignment
    except ImportError:
        raise SystemExit(f"{PROG}: compare needs SciPy (Debian: python3-scipy)") from None
    rows, cols = linear_sum_assignment(d)
    return [(int(i), int(j)) for i, j in zip(rows, cols)], d[rows, cols]


# ---- export ------------------------------------------------------------------------------------------------

def _write_matrix_csv(path, header, row_labels, matrix):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for label, row in zip(row_labels, matrix):
            w.writerow([label] + [repr(float(v)) for v in np.atleast_1d(row)])


def _check_format(fmt):
    if fmt not in ("npz", "csv"):
        raise ValueError(f"unknown export format {fmt!r}")


def export_topic_word(model, prefix, fmt="npz"):
    """Write E[beta] (K x V) and the vocabulary to PREFIX_topic_word.npz or .csv; returns the path."""
    model = _model(model, LDA, "export_topic_word")
    _check_format(fmt)
    path = f"{prefix}_topic_word.{fmt}"
    if fmt == "npz":
        np.savez_compressed(path, topic_word=model.beta, vocab=np.array(model.vocab, dtype=str))
    else:
        _write_matrix_csv(path, ["topic"] + model.vocab, range(model.topics), model.beta)
    return path


def export_components(model, prefix, fmt="npz"):
    """Write a gmm model's weights, means and covariances: PREFIX_components.npz (weights [K], means [K, D],
    covariances [K, D, D] or [K, D], covariance, and weight_concentration, mean_precision, degrees_of_freedom);
    or PREFIX_components.csv (component, weight, mean0 ..) and PREFIX_covariances.csv (full: component, row,
    col0 .., D rows per component; diag: component, var0 ..). Returns the paths."""
    model = _model(model, GMM, "export_components")
    _check_format(fmt)
    k, d = model.components, model.dim
    if fmt == "npz":
        path = f"{prefix}_components.npz"
        np.savez_compressed(path, weights=model.weights, means=model.means, covariances=model.covariances,
                            covariance=np.array(model.covariance), weight_concentration=model.weight_concentration,
                            mean_precision=model.mean_precision, degrees_of_freedom=model.degrees_of_freedom)
        return [path]
    paths = [f"{prefix}_components.csv", f"{prefix}_covariances.csv"]
    _write_matrix_csv(paths[0], ["component", "weight"] + [f"mean{i}" for i in range(d)], range(k),
                      np.column_stack([model.weights, model.means]))
    cov = model.covariances
    if model.covariance == "full":
        with open(paths[1], "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["component", "row"] + [f"col{i}" for i in range(d)])
            for j in range(k):
                for r in range(d):
                    w.writerow([j, r] + [repr(float(v)) for v in cov[j, r]])
    else:
        _write_matrix_csv(paths[1], ["component"] + [f"var{i}" for i in range(d)], range(k), cov)
    return paths


def export_model(model, prefix, fmt="npz"):
    """The model's parameters: export_topic_word (lda) or export_components (gmm). Returns the paths."""
    model = _model(model)
    return [export_topic_word(model, prefix, fmt)] if model.type == LDA else export_components(model, prefix, fmt)


# What a theta file of each model type holds: (matrix dataset, export name, id column, unit, id and extra datasets).
ASSIGNMENTS = {LDA: ("theta", "doc_topic", "doc_id", "topic", ("doc_ids", "doc_lengths")),
               GMM: ("responsibilities", "responsibilities", "row_id", "component", ("row_ids",))}


def read_theta(path):
    """A theta file of 'natgrad infer': dict with model_type, the matrix (lda: 'theta', topic proportions; gmm:
    'responsibilities'), rows normalised to sum to 1, the id datasets (lda: doc_ids, doc_lengths; gmm: row_ids) and
    the root attributes ('attrs')."""
    with open_checked(path, THETA) as f:
        kind = _require(f, path, THETA)
        key, _, _, _, extras = ASSIGNMENTS[kind]
        matrix = f[key][:]
        out = {"model_type": kind, key: matrix / matrix.sum(axis=1, keepdims=True), "attrs": _attrs(f)}
        for name in extras:
            out[name] = f[name][:]
        return out


def _theta_for(model, theta_path):
    t = read_theta(theta_path)
    key, _, _, unit, _ = ASSIGNMENTS[t["model_type"]]
    if t["model_type"] != model.type:
        fail(theta_path, f"holds {t['model_type']} results ({key}) but {model.path} is a {model.type} model")
    if t[key].shape[1] != model.components:
        fail(theta_path, f"has {t[key].shape[1]} {unit}s but {model.path} has K = {model.components}")
    return t


def export_assignments(model, theta_path, prefix, fmt="npz"):
    """Write the rows of a theta file of the model: lda, the document-topic proportions (D x K) with doc_ids and
    doc_lengths, to PREFIX_doc_topic.npz or .csv; gmm, the responsibilities (N x K) with row_ids, to
    PREFIX_responsibilities.npz or .csv. Returns [path]."""
    model = _model(model)
    _check_format(fmt)
    t = _theta_for(model, theta_path)
    key, name, id_label, unit, extras = ASSIGNMENTS[model.type]
    path = f"{prefix}_{name}.{fmt}"
    if fmt == "npz":
        np.savez_compressed(path, **{name: t[key]}, **{e: t[e] for e in extras})
    else:
        _write_matrix_csv(path, [id_label] + [f"{unit}{i}" for i in range(model.components)], t[extras[0]], t[key])
    return [path]


def export_doc_topic(model, theta_path, prefix, fmt="npz"):
    """export_assignments for an lda model; returns the path."""
    return export_assignments(_model(model, LDA, "export_doc_topic"), theta_path, prefix, fmt)[0]


def term_frequency(corpus_path, vocab=None):
    """Total count of each word in a corpus file [V]; checks the vocabulary against vocab if given."""
    with open_checked(corpus_path, CORPUS) as f:
        _require(f, corpus_path, CORPUS)
        words = _vocab(f)
        if vocab is not None and words != vocab:
            fail(corpus_path, f"vocabulary ({len(words)} words) differs from the model's ({len(vocab)} words)")
        return np.bincount(f["indices"][:], weights=f["counts"][:], minlength=len(words))


def pyldavis_data(model, theta_path, corpus_path):
    """The keyword arguments of pyLDAvis.prepare, as NumPy arrays and lists."""
    model = _model(model, LDA, "--pyldavis")
    t = _theta_for(model, theta_path)
    return {"topic_term_dists": model.beta, "doc_topic_dists": t["theta"], "doc_lengths": t["doc_lengths"],
            "vocab": model.vocab, "term_frequency": term_frequency(corpus_path, model.vocab)}


def export_pyldavis(model, theta_path, corpus_path, out):
    """Write pyldavis_data as JSON: pyLDAvis.prepare(**json.load(open(out)))."""
    data = pyldavis_data(model, theta_path, corpus_path)
    unseen = int((data["term_frequency"] == 0).sum())
    if unseen:
        print(f"{PROG}: warning: {corpus_path}: {unseen} of {len(data['vocab'])} words never occur, which pyLDAvis "
              "ranks oddly; the training corpus usually has them all", file=sys.stderr)
    with open(out, "w", encoding="utf-8") as f:
        json.dump({k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in data.items()}, f)
    return out


# ---- summary ------------------------------------------------------------------------------------------------

def _fmt(value):
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _values(a, most=12):
    """A short text of the values of a 1-D array: all of them, or the first few."""
    a = np.asarray(a).ravel()
    s = " ".join(f"{v:.4g}" for v in a[:most])
    return s + (f" ... ({len(a)} values)" if len(a) > most else "")


def doc_lengths(indptr, counts):
    """Tokens per document of a CSR corpus."""
    total = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])
    return total[indptr[1:]] - total[indptr[:-1]]


def _summary_model(f, path, kind):
    m, s, d = _attrs(f["model"]), _attrs(f["solver"]), _attrs(f["data"])
    if kind == LDA:
        alpha = f["model/alpha"][:]
        rows = [("model", f"lda, K = {m.get('topics')} topics, V = {m.get('vocab_size')} words"),
                ("priors", f"alpha mean {alpha.mean():.6g} (min {alpha.min():.6g}, max {alpha.max():.6g}), "
                           f"eta {float(f['model/eta'][()]):.6g}")]
    else:
        g = GmmModel(path=path, type=GMM, **_read_gmm(f, path))
        p = g.prior
        rows = [("model", f"gmm, K = {g.components} components, D = {g.dim} dimensions, "
                          f"{g.covariance} covariances"),
                ("weights", f"E[pi] {_values(g.weights)} (min {g.weights.min():.4g}, max {g.weights.max():.4g})"),
                ("priors", f"weight concentration {_fmt(p.get('weight_concentration'))}, mean precision "
                           f"{_fmt(p.get('mean_precision'))}, degrees of freedom {_fmt(p.get('degrees_of_freedom'))}, "
                           f"mean {_values(p['mean'], 6)}, scale ({g.covariance}) trace "
                           f"{np.trace(p['scale']) if p['scale'].ndim == 2 else p['scale'].sum():.6g}")]
    extra = ", ".join(f"{key.replace('_', ' ')} {_fmt(value)}" for key, value in s.items()
                      if key not in ("step", "epoch", "seed", "train_seconds"))
    rows.append(("solver", f"step {s.get('step')}, epoch {_fmt(s.get('epoch'))}, seed {s.get('seed')}, "
                           + (extra + ", " if extra else "") + f"training {_fmt(s.get('train_seconds'))} s"))
    if kind == LDA:
        rows.append(("training data", f"{d.get('train')}: {d.get('num_docs')} docs, V = {d.get('vocab_size')}, "
                                      f"{d.get('num_tokens')} tokens, checksum {d.get('checksum')}"))
    else:
        rows.append(("training data", f"{d.get('train')}: N = {d.get('num_docs')} rows, D = {d.get('vocab_size')}, "
                                      f"{d.get('num_tokens')} values, checksum {d.get('checksum')}"))
    return rows


def summary(path):
    """[(label, text), ...] describing a model, checkpoint, corpus, dense data or theta file."""
    with open_checked(path) as f:
        root = _attrs(f)
        fmt = root.pop("format")
        kind = _require(f, path, fmt)
        rows = [("file", path), ("format", f"{fmt}, schema version {root.pop('schema_version')}")]
        if fmt == MODEL:
            rows += _summary_model(f, path, kind)
            rows += [(key, _fmt(value)) for key, value in root.items()]
            rows += [("configuration", "")] + [(f"  {k} =", v) for k, v in sorted(_attrs(f["config"]).items())]
            h = f["history"][:]
            last = ", ".join(f"{n} {_fmt(h[-1][n].item())}" for n in h.dtype.names) if len(h) else "none"
            rows.append(("history", f"{len(h)} evaluations; last: {last}"))
            if len(h):
                name = metric_name(h)
                rows.append(("held-out", f"{name} {_fmt(h[-1][name].item())} at step {h[-1]['step']} "
                                         f"({metric_goal(name)} is better)"))
        elif fmt == CORPUS:
            lengths = doc_lengths(f["indptr"][:], f["counts"][:])
            rows.append(("corpus", f"D = {root.pop('num_docs', '?')} documents, V = {root.pop('vocab_size', '?')} "
                                   f"words, {root.pop('num_tokens', '?')} tokens, {len(f['indices'])} nonzeros"))
            if len(lengths):
                rows.append(("doc lengths", f"mean {lengths.mean():.1f}, min {lengths.min()}, max {lengths.max()}, "
                                            f"{int((lengths == 0).sum())} empty"))
            rows += [(key, _fmt(value)) for key, value in root.items()]
        elif fmt == DENSE:
            x = f["data"]
            n, d = x.shape if x.ndim == 2 else (x.shape[0], "?")
            root.pop("num_rows", None), root.pop("num_cols", None)
            rows.append(("data", f"N = {n} rows, D = {d} columns, {x.dtype}"))
            if n and x.ndim == 2:
                v = x[:]
                rows.append(("values", f"min {v.min():.6g}, max {v.max():.6g}, mean {v.mean():.6g}, "
                                       f"{int((v.std(axis=0) == 0).sum())} constant columns"))
            if "labels" in f:
                labels = f["labels"][:]
                rows.append(("labels", f"{len(np.unique(labels))} distinct values"))
            if "column_names" in f:
                rows.append(("column names", " ".join(text(c) for c in f["column_names"][:12])
                             + (" ..." if len(f["column_names"]) > 12 else "")))
            if "truth" in f:
                t, ta = read_truth(path), _attrs(f["truth"])
                rows.append(("truth", f"K = {t.components} components, {t.covariance} covariances, "
                                      f"seed {ta.get('seed')}; weights {_values(t.weights)}"))
            rows += [(key, _fmt(value)) for key, value in root.items()]
        else:
            key, _, _, unit, _ = ASSIGNMENTS[kind]
            theta = f[key][:]
            rows.append((key, f"{'D' if kind == LDA else 'N'} = {theta.shape[0]} {'documents' if kind == LDA else 'rows'}"
                              f", K = {theta.shape[1]} {unit}s"))
            rows += [(k, _fmt(value)) for k, value in root.items()]
            if len(theta) and kind == LDA:
                rows += [("doc lengths", f"mean {f['doc_lengths'][:].mean():.1f} tokens"),
                         ("mean theta", " ".join(f"{v:.3f}" for v in theta.mean(axis=0)))]
            elif len(theta):
                counts = np.bincount(theta.argmax(axis=1), minlength=theta.shape[1])
                rows += [("mean resp.", " ".join(f"{v:.3f}" for v in theta.mean(axis=0))),
                         ("hard counts", " ".join(str(c) for c in counts))]
    return rows


# ---- command line -----------------------------------------------------------------------------------------

def cmd_summary(args):
    for label, value in summary(args.file):
        if label.startswith("  "):
            print(f"{label} {value}")
        else:
            print(f"{label + ':':15} {value}".rstrip())


def cmd_topics(args):
    topics = top_words(args.model, args.top)
    if args.format == "table":
        for k, words in topics:
            print(f"topic {k:3d}: " + "  ".join(f"{w} ({x:.4f})" for w, x in words))
    elif args.format == "csv":
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(["topic", "rank", "word", "weight"])
        for k, words in topics:
            for rank, (word, weight) in enumerate(words):
                w.writerow([k, rank, word, repr(weight)])
    else:
        json.dump([{"topic": k, "words": [{"word": w, "weight": x} for w, x in words]} for k, words in topics],
                  sys.stdout, indent=1)
        print()


def cmd_components(args):
    comps = components(args.model)
    if args.format == "table":
        for k, weight, mean in comps:
            print(f"component {k:3d}: weight {weight:.4f}  mean " + " ".join(f"{x:.4g}" for x in mean))
    elif args.format == "csv":
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(["component", "weight"] + [f"mean{i}" for i in range(len(comps[0][2]))])
        for k, weight, mean in comps:
            w.writerow([k, repr(weight)] + [repr(float(x)) for x in mean])
    else:
        json.dump([{"component": k, "weight": weight, "mean": mean.tolist()} for k, weight, mean in comps],
                  sys.stdout, indent=1)
        print()


def cmd_plot(args):
    print(f"wrote {plot_convergence(args.files, args.out, args.x)}")


def cmd_compare(args):
    a, b = comparable(args.a), comparable(args.b)
    kind = _kind(a)
    pairs, dist = align(a, b)
    unit = UNIT[kind]
    side_b = f"{args.b} (B, /truth)" if isinstance(b, Mixture) else f"{args.b} (B)"
    print(f"{unit}s of {args.a} (A) matched one to one with those of {side_b} by the Hungarian algorithm")
    print(f"distance: {DISTANCE[kind]}")
    if kind == LDA:
        for (i, j), d in zip(pairs, dist):
            print(f"A {i:3d} -> B {j:3d}  {d:.6f}")
    else:
        wa, wb = (x.weights for x in (a, b))
        print("                  distance   weight A   weight B")
        for (i, j), d in zip(pairs, dist):
            print(f"A {i:3d} -> B {j:3d}  {d:.6f}  {wa[i]:9.6f}  {wb[j]:9.6f}")
    print(f"mean distance {dist.mean():.6f} (max {dist.max():.6f}) over {len(pairs)} {unit}s")


def cmd_export(args):
    model = read_model(args.model)
    if args.pyldavis and not (args.theta and args.corpus):
        raise SystemExit(f"{PROG}: --pyldavis needs --theta THETA.h5 and --corpus CORPUS.h5")
    if model.type != LDA and (args.pyldavis or args.corpus):
        fail(args.model, f"is a {model.type} model; --pyldavis and --corpus are for lda models")
    written = export_model(model, args.out, args.format)
    if args.theta:
        written += export_assignments(model, args.theta, args.out, args.format)
    if args.pyldavis:
        written.append(export_pyldavis(model, args.theta, args.corpus, args.pyldavis))
    for path in written:
        print(f"wrote {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="natgrad_tools.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("summary", help="describe a model, checkpoint, corpus, dense data or theta file")
    p.add_argument("file")
    p.set_defaults(run=cmd_summary)
    p = sub.add_parser("topics", help="top words of each topic with their weights E[beta] (lda)")
    p.add_argument("model")
    p.add_argument("--top", type=int, default=10, help="words per topic (default 10)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(run=cmd_topics)
    p = sub.add_parser("components", help="weight E[pi_k] and mean m_k of each component (gmm)")
    p.add_argument("model")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(run=cmd_components)
    p = sub.add_parser("plot", help="held-out metric and rho of one or more runs, as a PNG")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--out", required=True, help="PNG to write")
    p.add_argument("--x", choices=("step", "seconds"), default="step")
    p.set_defaults(run=cmd_plot)
    p = sub.add_parser("compare", help="align the topics or components of two models and report their distances")
    p.add_argument("a")
    p.add_argument("b", help="a second model, or (gmm) a dense data file with /truth from 'natgrad synth gmm'")
    p.set_defaults(run=cmd_compare)
    p = sub.add_parser("export", help="model parameters and per-document/row results as npz/csv, and pyLDAvis JSON")
    p.add_argument("model")
    p.add_argument("--out", required=True, metavar="PREFIX",
                   help="lda: PREFIX_topic_word.*, PREFIX_doc_topic.*; gmm: PREFIX_components.* (csv: and "
                        "PREFIX_covariances.csv), PREFIX_responsibilities.*")
    p.add_argument("--theta", "--responsibilities", dest="theta",
                   help="theta file from 'natgrad infer' (lda: doc-topic proportions; gmm: responsibilities)")
    p.add_argument("--corpus", help="corpus file, for pyLDAvis term frequencies (lda)")
    p.add_argument("--format", choices=("npz", "csv"), default="npz")
    p.add_argument("--pyldavis", metavar="JSON", help="write the arguments of pyLDAvis.prepare to JSON (lda)")
    p.set_defaults(run=cmd_export)
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except BrokenPipeError:
        sys.stderr.close()


if __name__ == "__main__":
    main()
