"""The natgrad file formats: names, schema versions, checked opening, and what every file of a format has.

Nothing here knows a model family; model.py adds the per-type checks (registry.py).
"""
import os
import sys
import zlib

import h5py
import numpy as np

PROG = "natgrad_tools"
MODEL, CORPUS, THETA, DENSE = "natgrad.model", "natgrad.corpus", "natgrad.theta", "natgrad.dense"
FORMATS = (MODEL, CORPUS, THETA, DENSE)
SCHEMA_VERSION = 3                    # of the model/checkpoint format; 2 added /layout, 3 stores lambda once
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


class Checked:
    """An open file, group or dataset whose reads name the file and the object when they fail: a chunk that fails
    its Fletcher-32 checksum (natgrad writes every dataset with one; h5py verifies it on reading), a truncated
    file. Everything else is the h5py object's."""

    def __init__(self, obj, path):
        self._obj, self._path = obj, path

    def __getattr__(self, name):
        return getattr(self._obj, name)

    def __contains__(self, name):
        return name in self._obj

    def __iter__(self):
        return iter(self._obj)

    def __len__(self):
        return len(self._obj)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._obj.close()

    def __getitem__(self, key):
        try:
            value = self._obj[key]
        except OSError as e:
            fail(self._path, f"{self._obj.name} fails its checksum or cannot be read (damaged file?): {e}")
        return Checked(value, self._path) if isinstance(value, (h5py.Group, h5py.Dataset)) else value


def strings_crc(values):
    """natgrad's checksum of a string dataset (its attribute crc32): CRC-32 of each string's UTF-8 bytes and a 0."""
    crc = 0
    for v in values:
        crc = zlib.crc32(v.encode() + b"\0", crc)
    return crc


def strings(f, path, name):
    """The strings of dataset `name` of an open file, their checksum verified where natgrad stored one."""
    d = f[name]
    values = [text(v) for v in d[()]]
    if "crc32" in d.attrs and int(d.attrs["crc32"]) != strings_crc(values):
        fail(path, f"/{name} fails its checksum (damaged file?)")
    return values


def open_checked(path, expected=None):
    """Open an HDF5 file read-only after checking its format and schema version; a Checked file.

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
    return Checked(f, path)


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
    """The /vocab of an open corpus or model (a Checked file), as a list of str."""
    return strings(f, f._path, "vocab")


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
                "column_names": strings(f, path, "column_names") if "column_names" in f else None,
                "attrs": attrs(f)}
