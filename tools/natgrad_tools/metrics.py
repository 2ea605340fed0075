"""Distances between topics and between Gaussians, and the /history table and its held-out metric."""
import numpy as np

from .formats import MODEL, open_checked
from .model import check_file


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


def history(path):
    """The /history table of a model or checkpoint as a NumPy structured array."""
    with open_checked(path, MODEL) as f:
        check_file(f, path, MODEL, generic=True)
        return f["history"][:]


def metric_name(hist):
    """The held-out metric of a history table: its fifth field, after step, epoch, seconds and rho ('perplexity',
    'heldout_loglik', ...); a model may record further columns after it."""
    return hist.dtype.names[4]


def metric_goal(name):
    """'lower' or 'higher': which values of a held-out metric are better."""
    return "lower" if "perplexity" in name else "higher"


def metric_label(name):
    """Axis label of a held-out metric: its name and which way is better."""
    return f"{name if name.startswith('heldout') else 'held-out ' + name} ({metric_goal(name)} is better)"
