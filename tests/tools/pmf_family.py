"""A toy model family ('pmf', two tensors shape [U, K] and rate [K]) for test_layout.py, which registers it with
one line, natgrad_tools.registry.MODULES["pmf"] = "pmf_family": the interface of registry.py and nothing else."""
from dataclasses import dataclass

import numpy as np

from natgrad_tools.export import check_format
from natgrad_tools.formats import MODEL
from natgrad_tools.metrics import hellinger
from natgrad_tools.model import Model
from natgrad_tools.registry import Assignments

__all__ = ["PmfModel"]

TYPE = "pmf"
TENSORS = ("shape", "rate")
REQUIRED = {MODEL: ("model/shape", "model/rate")}
ASSIGNMENTS = Assignments("theta", "user_factor", "user_id", "factor", ("user_ids",), "U", "users", "user factors")
UNIT = "factor"
HINT = "for pmf models see 'summary'"
DISTANCE = "Hellinger distance between the factors' normalised E[shape]"
EXPORT_FILES = "PREFIX_factors.npz"


@dataclass
class PmfModel(Model):
    shape: np.ndarray = None     # [U, K]
    rate: np.ndarray = None      # [K]

    @property
    def components(self):
        return self.rate.shape[0]

    @property
    def factors(self):
        """[K, U]: each factor's E[shape] / rate over the users, normalised."""
        e = (self.shape / self.rate).T
        return e / e.sum(axis=1, keepdims=True)


def build(f, path, tensors, common):
    return PmfModel(shape=tensors["shape"], rate=tensors["rate"], **common)


def summary_rows(f, path, tensors):
    u, k = tensors["shape"].shape
    return [("model", f"pmf, U = {u} users, K = {k} factors")]


def data_row(d):
    return f"{d.get('train')}"


def theta_rows(f, theta):
    return []


def distances(a, b):
    return hellinger(a.factors, b.factors)


def compare_lines(a, b, pairs, dist):
    return [f"A {i} -> B {j}  {d:.6f}" for (i, j), d in zip(pairs, dist)]


def export(model, prefix, fmt):
    check_format(fmt)
    path = f"{prefix}_factors.npz"
    np.savez_compressed(path, factors=model.factors)
    return [path]
