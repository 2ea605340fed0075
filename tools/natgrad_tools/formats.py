"""The natgrad file formats: names, schema versions, checked opening, and what every file of a format has.

Nothing here knows a model family; model.py adds the per-type checks (registry.py).
"""
import os
import sys

import h5py
import numpy as np

PROG = "natgrad_tools"
MODEL, CORPUS, THETA, DENSE = "natgrad.model", "natgrad.corpus", "natgrad.theta", "natgrad.dense"
FORMATS = (MODEL, CORPUS, THETA, DENSE)
SCHEMA_VERSION = 2                    # of the model/checkpoint format; 2 added /layout
LAYOUT_SCHEMA = 2                     # the first model schema version with /layout
# The newest schema version read of each format (corpora, theta and dense data files are still at 1).
SCHEMA_VERSIONS = {MODEL: SCHEMA_VERSION, CORPUS: 1, THETA: 1, DENSE: 1}

# Objects every file of a format has; a model family adds its own (its REQUIRED), a schema 2 model /layout.
REQUIRED = {MODEL: ("model", "config", "solver", "data", "history"),
            CORPUS: ("indptr", "indices", "counts", "doc_ids", "vocab"),
            THETA: (),
            DENSE: ("data", "row_ids")}


def text(value):
    """An HDF5 string attribute or element as str."""
    return value.decode() if isinstance(value, bytes) else str(value)


def prog():
    """The program name of messages: the package's PROG, which a wrapper may set (nt.PROG = 'natgrad_topics')."""
    return getattr(sys.modules.get(__package__), "PROG", PROG)


def fail(path, message):
    """Stop with 'natgrad_tools: PATH: message' and a non-zero exit status."""
    raise SystemExit(f"{prog()}: {path}: {message}")


def schema_version(f):
    """The root attribute schema_version of an open file; -1 when absent or not an integer."""
    try:
        return int(f.attrs.get("schema_version", -1))
    except (TypeError, ValueError):
        return -1


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
        version, newest = schema_version(f), SCHEMA_VERSIONS[fmt]
        if version > newest:
            fail(path, f"schema_version {version} is newer than this tool reads ({newest}); update the tools")
        if version < 1:
            fail(path, f"invalid schema_version {version}; this tool reads 1 to {newest}")
    except BaseException:
        f.close()
        raise
    return f


def attrs(obj):
    """HDF5 attributes as a dict of plain Python values."""
    out = {}
    for key, value in obj.attrs.items():
        if isinstance(value, (bytes, str)):
            value = text(value)
        elif isinstance(value, np.generic):
            value = value.item()
        out[key] = value
    return out


def require(f, path, what, names):
    """Refuse a file that lacks one of the objects names (paths below the root); what: 'lda natgrad.model' ..."""
    missing = [n for n in names if n not in f]
    if missing:
        fail(path, f"incomplete {what} file: missing {', '.join('/' + n for n in missing)}")


def require_format(f, path, fmt):
    """Refuse a file that lacks an object every file of its format has."""
    require(f, path, fmt, REQUIRED[fmt])


def check_shape(path, name, array, shape):
    """Refuse a dataset whose shape is not the expected one."""
    if array.shape != tuple(shape):
        fail(path, f"dataset /{name} has shape {list(array.shape)}; expected {list(shape)}")
    return array


def vocab(f):
    """The /vocab of an open corpus or lda model, as a list of str."""
    return [text(w) for w in f["vocab"][:]]


def doc_lengths(indptr, counts):
    """Tokens per document of a CSR corpus."""
    total = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])
    return total[indptr[1:]] - total[indptr[:-1]]


def read_dense(path):
    """A dense data file: dict with data [N, D], row_ids, labels and column_names (None when absent), attrs."""
    with open_checked(path, DENSE) as f:
        require_format(f, path, DENSE)
        return {"data": f["data"][:], "row_ids": f["row_ids"][:],
                "labels": f["labels"][:] if "labels" in f else None,
                "column_names": [text(c) for c in f["column_names"][:]] if "column_names" in f else None,
                "attrs": attrs(f)}
