"""Matching the topics or components of two models one to one; each family supplies its distance (DISTANCE,
distances) and the files other than models it compares with (REFERENCES: gmm, a dense data file's /truth)."""
import os

from . import registry
from .formats import MODEL, fail, open_checked, prog, text
from .model import read_model


def references():
    """{format: reader} of the files other than models that compare reads, from every family."""
    out = {}
    for fam in registry.families():
        out.update(getattr(fam, "REFERENCES", {}))
    return out


def comparable(x):
    """What compare reads: a Model (path of a model or checkpoint), or what a family reads from another file (gmm: a
    Mixture, the /truth of a dense data file); anything that is not a path is taken as it is."""
    if not isinstance(x, (str, os.PathLike)):
        return x
    refs = references()
    with open_checked(x, (MODEL,) + tuple(refs)) as f:
        fmt = text(f.attrs["format"])
    return read_model(x) if fmt == MODEL else refs[fmt](x)


def distances(a, b):
    """The distance matrix [K_a, K_b] between the components of a and b (the family's DISTANCE); refuses different
    types, and what the family cannot compare (lda: vocabularies; gmm: dimensions)."""
    a, b = comparable(a), comparable(b)
    if a.type != b.type:
        fail(b.path, f"holds a {b.type} model and {a.path} holds a {a.type} model; cannot compare")
    return registry.family(a.type).distances(a, b)


def align(model_a, model_b):
    """Match the topics (lda) or components (gmm) of two models one to one, minimising the total distance
    (Hungarian algorithm on distances(a, b)). model_b may also be a dense data file's /truth (gmm).

    Returns (pairs, distances): pairs [(k_a, k_b), ...] ordered by k_a, distances[i] of pair i.
    """
    a, b = comparable(model_a), comparable(model_b)
    d = distances(a, b)
    if a.components != b.components:
        unit = registry.family(a.type).UNIT
        fail(b.path, f"has K = {b.components} {unit}s and {a.path} has K = {a.components}; compare needs the same K")
    try:
        from scipy.optimize import linear_sum_assignment
    except ImportError:
        raise SystemExit(f"{prog()}: compare needs SciPy (Debian: python3-scipy)") from None
    rows, cols = linear_sum_assignment(d)
    return [(int(i), int(j)) for i, j in zip(rows, cols)], d[rows, cols]
