"""The Bayesian Gaussian mixture family (type 'gmm'): components with full or diagonal covariances. lambda is five
tensors, one block of s = 3 + D + Q entries per component in the flat vector (Q = D D full, D diag)."""
import csv
import json
import math
import os
import sys
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from .export import check_format, write_matrix_csv
from .formats import DENSE, MODEL, THETA, attrs, check_shape, fail, open_checked, read_dense, require_format, text
from .metrics import wasserstein2
from .model import Model, as_model
from .registry import Assignments
from .summaries import fmt, values

__all__ = ["GMM", "COVARIANCES", "GmmModel", "Mixture", "read_truth", "components", "log_predictive",
           "heldout_loglik", "export_components"]

GMM = TYPE = "gmm"
COVARIANCES = ("full", "diag")
TENSORS = ("weight_concentration", "mean_precision", "degrees_of_freedom", "beta_mean", "scatter")
REQUIRED = {MODEL: tuple("model/" + n for n in TENSORS) + ("model/prior", "model/prior/mean", "model/prior/scale"),
            THETA: ("responsibilities", "row_ids")}
ASSIGNMENTS = Assignments("responsibilities", "responsibilities", "row_id", "component", ("row_ids",), "N", "rows",
                          "responsibilities")
UNIT = "component"
HINT = "for gmm models see 'components'"
DISTANCE = ("2-Wasserstein distance between the Gaussians N(m_k, S_k) (S_k: the covariances, E[Lambda_k]^-1 "
            "for a model), in the data's units, 0 = same Gaussian")
EXPORT_FILES = "PREFIX_components.* (csv: and PREFIX_covariances.csv), PREFIX_responsibilities.*"


@dataclass
class Mixture:
    """Point parameters of a Gaussian mixture: weights [K], means [K, D], covariances [K, D, D] ('full') or [K, D]
    ('diag'). A GmmModel gives its own (GmmModel.mixture); read_truth gives those a synthetic data set was drawn from."""
    path: str
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    covariance: str = "full"
    type: ClassVar[str] = GMM           # compare: what it compares with
    source: ClassVar[str] = "/truth"

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


def flat_layout(shapes):
    """One block of s = 3 + D + Q per component: alpha, beta, nu, beta m [D], scatter [D, D] (diag [D])."""
    d = shapes[3][1] if len(shapes[3]) == 2 else 0
    full = len(shapes[4]) == 3
    s = 3 + d + (d * d if full else d)
    return (0, 1, 2, 3, 3 + d), ((s,), (s,), (s,), (s, 1), (s, 1, d) if full else (s, 1))


def fields(f, path, tensors):
    """The GmmModel fields of an open gmm model file and its tensors of lambda, with shapes checked."""
    covariance = text(f["model"].attrs.get("covariance", ""))
    if covariance not in COVARIANCES:
        fail(path, f"/model attribute covariance = '{covariance}'; expected 'full' or 'diag'")
    alpha, beta_mean = tensors["weight_concentration"], tensors["beta_mean"]
    k = alpha.shape[0] if alpha.ndim == 1 else -1
    d = beta_mean.shape[1] if beta_mean.ndim == 2 else -1
    if k < 1 or d < 1:
        fail(path, f"/model/weight_concentration {list(alpha.shape)} and /model/beta_mean {list(beta_mean.shape)} "
                   "must be [K] and [K, D]")
    full = covariance == "full"
    beta = check_shape(path, "model/mean_precision", tensors["mean_precision"], [k])
    nu = check_shape(path, "model/degrees_of_freedom", tensors["degrees_of_freedom"], [k])
    check_shape(path, "model/beta_mean", beta_mean, [k, d])
    scatter = check_shape(path, "model/scatter", tensors["scatter"], [k, d, d] if full else [k, d])
    means = beta_mean / beta[:, None]
    if full:       # scatter = W^-1 + beta m m^T
        inv_scale = scatter - beta[:, None, None] * means[:, :, None] * means[:, None, :]
    else:          # scatter = W_d^-1 + beta m_d^2
        inv_scale = scatter - beta[:, None] * means ** 2
    # lambda is in the fit's coordinates x' = (x - shift) / scale (absent: the data's own): back to data units.
    if "model/coordinates" in f:
        shift = check_shape(path, "model/coordinates/shift", f["model/coordinates/shift"][:], [d])
        scale = check_shape(path, "model/coordinates/scale", f["model/coordinates/scale"][:], [d])
        means = shift + means * scale
        inv_scale = inv_scale * (scale[:, None] * scale[None, :] if full else scale ** 2)
    prior = attrs(f["model/prior"])
    prior["mean"] = check_shape(path, "model/prior/mean", f["model/prior/mean"][:], [d])
    prior["scale"] = check_shape(path, "model/prior/scale", f["model/prior/scale"][:], [d, d] if full else [d])
    return dict(covariance=covariance, weight_concentration=alpha, mean_precision=beta, degrees_of_freedom=nu,
                means=means, inv_scale=inv_scale, prior=prior)


def build(f, path, tensors, common):
    return GmmModel(**fields(f, path, tensors), **common)


def read_truth(path):
    """The /truth of a dense data file from 'natgrad synth gmm', as a Mixture."""
    with open_checked(path, DENSE) as f:
        require_format(f, path, DENSE)
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


REFERENCES = {DENSE: read_truth}
REFERENCE_HELP = "a dense data file with /truth from 'natgrad synth gmm'"


# ---- summary ------------------------------------------------------------------------------------------------

def summary_rows(f, path, tensors):
    g = GmmModel(path=path, type=GMM, **fields(f, path, tensors))
    p = g.prior
    return [("model", f"gmm, K = {g.components} components, D = {g.dim} dimensions, {g.covariance} covariances"),
            ("weights", f"E[pi] {values(g.weights)} (min {g.weights.min():.4g}, max {g.weights.max():.4g})"),
            ("priors", f"weight concentration {fmt(p.get('weight_concentration'))}, mean precision "
                       f"{fmt(p.get('mean_precision'))}, degrees of freedom {fmt(p.get('degrees_of_freedom'))}, "
                       f"mean {values(p['mean'], 6)}, scale ({g.covariance}) trace "
                       f"{np.trace(p['scale']) if p['scale'].ndim == 2 else p['scale'].sum():.6g}")]


def data_row(d):
    return (f"{d.get('train')}: N = {d.get('num_docs')} rows, D = {d.get('vocab_size')}, {d.get('num_tokens')} "
            f"values, checksum {d.get('checksum')}")


def theta_rows(f, theta):
    counts = np.bincount(theta.argmax(axis=1), minlength=theta.shape[1])
    return [("mean resp.", " ".join(f"{v:.3f}" for v in theta.mean(axis=0))),
            ("hard counts", " ".join(str(c) for c in counts))]


def dense_rows(f, path):
    """The /truth of a dense data file from 'natgrad synth gmm'."""
    if "truth" not in f:
        return []
    t, ta = read_truth(path), attrs(f["truth"])
    return [("truth", f"K = {t.components} components, {t.covariance} covariances, seed {ta.get('seed')}; "
                      f"weights {values(t.weights)}")]


# ---- components ---------------------------------------------------------------------------------------------

def components(model):
    """[(component, weight E[pi_k], mean m_k [D]), ...] in component order (gmm)."""
    model = as_model(model, GMM, "components")
    return [(k, float(w), m) for k, (w, m) in enumerate(zip(model.weights, model.means))]


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


def add_commands(sub):
    p = sub.add_parser("components", help="weight E[pi_k] and mean m_k of each component (gmm)")
    p.add_argument("model")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(run=cmd_components)


# ---- compare ------------------------------------------------------------------------------------------------

def distances(a, b):
    """2-Wasserstein distances between the components (GmmModel or Mixture) of a and b of the same dimension."""
    if a.dim != b.dim:
        fail(b.path, f"has dimension D = {b.dim} and {a.path} has D = {a.dim}; cannot compare")
    a, b = (x.mixture if isinstance(x, GmmModel) else x for x in (a, b))
    return wasserstein2(a.means, a.covariances, b.means, b.covariances)


def compare_lines(a, b, pairs, dist):
    wa, wb = (x.weights for x in (a, b))
    return ["                  distance   weight A   weight B"] + [
        f"A {i:3d} -> B {j:3d}  {d:.6f}  {wa[i]:9.6f}  {wb[j]:9.6f}" for (i, j), d in zip(pairs, dist)]


# ---- predictive density -------------------------------------------------------------------------------------

def _logsumexp(a, axis):
    top = a.max(axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    return (top + np.log(np.exp(a - top).sum(axis=axis, keepdims=True))).squeeze(axis)


def log_predictive(model, x, chunk=65536):
    """log p(x_n | q) for each row of x [N, D]: log sum_k E[pi_k] St(x_n | m_k, L_k, nu_k + 1 - D) with
    L_k = ((nu_k + 1 - D) beta_k / (1 + beta_k)) W_k (Bishop, PRML 10.81); for 'diag' covariances the product over
    dimensions of 1-D Student-t's St(x_d | m_kd, nu_k beta_k / (1 + beta_k) W_kd, nu_k). Returns [N]."""
    model = as_model(model, GMM, "log_predictive")
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


# ---- export -------------------------------------------------------------------------------------------------

def export_components(model, prefix, fmt="npz"):
    """Write a gmm model's weights, means and covariances: PREFIX_components.npz (weights [K], means [K, D],
    covariances [K, D, D] or [K, D], covariance, and weight_concentration, mean_precision, degrees_of_freedom);
    or PREFIX_components.csv (component, weight, mean0 ..) and PREFIX_covariances.csv (full: component, row,
    col0 .., D rows per component; diag: component, var0 ..). Returns the paths."""
    model = as_model(model, GMM, "export_components")
    check_format(fmt)
    k, d = model.components, model.dim
    if fmt == "npz":
        path = f"{prefix}_components.npz"
        np.savez_compressed(path, weights=model.weights, means=model.means, covariances=model.covariances,
                            covariance=np.array(model.covariance), weight_concentration=model.weight_concentration,
                            mean_precision=model.mean_precision, degrees_of_freedom=model.degrees_of_freedom)
        return [path]
    paths = [f"{prefix}_components.csv", f"{prefix}_covariances.csv"]
    write_matrix_csv(paths[0], ["component", "weight"] + [f"mean{i}" for i in range(d)], range(k),
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
        write_matrix_csv(paths[1], ["component"] + [f"var{i}" for i in range(d)], range(k), cov)
    return paths


export = export_components
