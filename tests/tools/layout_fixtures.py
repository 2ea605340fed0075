"""Model files of schema version 2 made from schema 1 files with h5py, until natgrad writes them: the /layout group
of the format (README 'Model and checkpoint'), written from the layout the format gives each type, independently of
natgrad_tools; and a small toy family ('pmf', not registered) for the tests that the tools read any type generically."""
import os
import shutil

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_V1 = os.path.abspath(os.path.join(HERE, "..", "data", "schema_v1"))
GMM_TENSORS = ["weight_concentration", "mean_precision", "degrees_of_freedom", "beta_mean", "scatter"]


def spec_layout(f):
    """(names, shapes, offsets, strides, size) of an open lda or gmm model file, as the format defines them: lda
    lambda [K, V] word-major (strides [1, K]); gmm one block of s = 3 + D + Q per component."""
    m = f["model"].attrs
    kind = m["type"].decode() if isinstance(m["type"], bytes) else str(m["type"])
    if kind == "lda":
        k, v = int(m["topics"]), int(m["vocab_size"])
        return ["lambda"], [[k, v]], [0], [[1, k]], k * v
    k, d = int(m["components"]), int(m["dim"])
    full = (m["covariance"].decode() if isinstance(m["covariance"], bytes) else str(m["covariance"])) == "full"
    s = 3 + d + (d * d if full else d)
    return (GMM_TENSORS, [[k], [k], [k], [k, d], [k, d, d] if full else [k, d]], [0, 1, 2, 3, 3 + d],
            [[s], [s], [s], [s, 1], [s, 1, d] if full else [s, 1]], k * s)


def write_layout(f, names, shapes, offsets, strides, size, version=2):
    """Write /layout (replacing one there) and set schema_version; names ... size as in spec_layout."""
    if "layout" in f:
        del f["layout"]
    g = f.create_group("layout")
    g.create_dataset("names", data=list(names), dtype=h5py.string_dtype("utf-8"))
    g["ranks"] = np.array([len(s) for s in shapes], dtype=np.int64)
    g["dims"] = np.array([d for s in shapes for d in s], dtype=np.int64)
    g["offsets"] = np.array(offsets, dtype=np.int64)
    g["strides"] = np.array([x for s in strides for x in s], dtype=np.int64)
    g.attrs["size"] = np.int64(size)
    f.attrs.modify("schema_version", version)


def make_schema2(src, dst, edit=None):
    """A copy of the schema 1 model file src as schema 2 (its /layout as spec_layout); edit(f, spec) may then change
    it, spec the list [names, shapes, offsets, strides, size] whose layout edit rewrites with write_layout."""
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        spec = list(spec_layout(f))
        write_layout(f, *spec)
        if edit is not None:
            edit(f, spec)
    return dst


def make_pmf(src, dst, layout=True):
    """A model file of a type natgrad_tools has no module for ('pmf': Poisson factorisation, two Gamma tensors
    shape [U, K] and rate [K], interleaved: one block of U + 1 per factor), made from the lda file src: /model
    replaced, and /solver/lambda_offset the flat vector of the layout. Returns (the tensors, the flat vector)."""
    shutil.copy(src, dst)
    u, k = 5, 4
    rng = np.random.default_rng(1)
    tensors = {"shape": rng.uniform(0.1, 2, (u, k)), "rate": rng.uniform(1, 3, k)}
    flat = np.empty(u * k + k)
    s = u + 1                                    # block of factor j: rate_j, then shape_{u,j} for every u
    for j in range(k):
        flat[j * s] = tensors["rate"][j]
        flat[j * s + 1:(j + 1) * s] = tensors["shape"][:, j]
    with h5py.File(dst, "r+") as f:
        del f["model"], f["vocab"], f["solver/lambda_offset"], f["solver/lambda_offset_block_sum"]
        g = f.create_group("model")
        g.attrs.update({"type": "pmf", "users": u, "factors": k})
        g["shape"], g["rate"] = tensors["shape"], tensors["rate"]
        f["solver/lambda_offset"] = flat
        if layout:
            write_layout(f, ["shape", "rate"], [[u, k], [k]], [1, 0], [[1, s], [s]], flat.size)
    return tensors, flat
