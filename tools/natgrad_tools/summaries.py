"""'summary': a description of any natgrad file, as (label, text) rows; the rows of a model's type come from its
family (summary_rows, data_row, theta_rows, dense_rows), and a schema 2 model of a type without a module is
described from its /layout."""
import numpy as np

from . import registry
from .formats import CORPUS, DENSE, LAYOUT_SCHEMA, MODEL, attrs, doc_lengths, open_checked, schema_version, text
from .layout import parameters
from .metrics import metric_goal, metric_name
from .model import check_file


def fmt(value):
    """A value for a summary row: floats to 6 significant digits."""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def values(a, most=12):
    """A short text of the values of an array: all of them, or the first few."""
    a = np.asarray(a).ravel()
    s = " ".join(f"{v:.4g}" for v in a[:most])
    return s + (f" ... ({len(a)} values)" if len(a) > most else "")


def _listing(d, skip=()):
    return ", ".join(f"{key.replace('_', ' ')} {fmt(value)}" for key, value in d.items() if key not in skip)


def layout_rows(params):
    """lambda's layout (schema 2 files): one row, then one per tensor with its place in the flat vector."""
    lay = params.layout
    rows = [("layout", f"{len(lay.names)} tensors of lambda, n = {lay.size} entries of the flat lambda")]
    for name, shape, offset, strides in zip(lay.names, lay.shapes, lay.offsets, lay.strides):
        t = params.tensors[name]
        rng = f", min {t.min():.6g}, max {t.max():.6g}" if t.size and np.issubdtype(t.dtype, np.number) else ""
        rows.append((f"  /model/{name}", f"{t.dtype} {list(shape)}, offset {offset}, strides {list(strides)}{rng}"))
    return rows


def _model_rows(f, path, kind):
    fam = registry.family(kind)
    params = parameters(f, path, kind)
    s, d = attrs(f["solver"]), attrs(f["data"])
    if fam is not None:
        rows = fam.summary_rows(f, path, params.tensors)
    else:
        m = attrs(f["model"])
        rows = [("model", f"{kind} (a type these tools have no module for: lambda as /layout records it)")]
        if len(m) > 1:
            rows.append(("model attrs", _listing(m, ("type",))))
    if schema_version(f) >= LAYOUT_SCHEMA:
        rows += layout_rows(params)
    extra = _listing(s, ("step", "epoch", "seed", "train_seconds"))
    rows.append(("solver", f"step {s.get('step')}, epoch {fmt(s.get('epoch'))}, seed {s.get('seed')}, "
                           + (extra + ", " if extra else "") + f"training {fmt(s.get('train_seconds'))} s"))
    rows.append(("training data", fam.data_row(d) if fam is not None else f"{d.get('train')}: "
                 + _listing(d, ("train",))))
    return rows


def _model(f, path, kind, root):
    rows = _model_rows(f, path, kind)
    rows += [(key, fmt(value)) for key, value in root.items()]
    rows += [("configuration", "")] + [(f"  {k} =", v) for k, v in sorted(attrs(f["config"]).items())]
    h = f["history"][:]
    last = ", ".join(f"{n} {fmt(h[-1][n].item())}" for n in h.dtype.names) if len(h) else "none"
    rows.append(("history", f"{len(h)} evaluations; last: {last}"))
    if len(h):
        name = metric_name(h)
        rows.append(("held-out", f"{name} {fmt(h[-1][name].item())} at step {h[-1]['step']} "
                                 f"({metric_goal(name)} is better)"))
    return rows


def _corpus(f, root):
    lengths = doc_lengths(f["indptr"][:], f["counts"][:])
    rows = [("corpus", f"D = {root.pop('num_docs', '?')} documents, V = {root.pop('vocab_size', '?')} "
                       f"words, {root.pop('num_tokens', '?')} tokens, {len(f['indices'])} nonzeros")]
    if len(lengths):
        rows.append(("doc lengths", f"mean {lengths.mean():.1f}, min {lengths.min()}, max {lengths.max()}, "
                                    f"{int((lengths == 0).sum())} empty"))
    return rows + [(key, fmt(value)) for key, value in root.items()]


def _dense(f, path, root):
    x = f["data"]
    n, d = x.shape if x.ndim == 2 else (x.shape[0], "?")
    root.pop("num_rows", None), root.pop("num_cols", None)
    rows = [("data", f"N = {n} rows, D = {d} columns, {x.dtype}")]
    if n and x.ndim == 2:
        v = x[:]
        rows.append(("values", f"min {v.min():.6g}, max {v.max():.6g}, mean {v.mean():.6g}, "
                               f"{int((v.std(axis=0) == 0).sum())} constant columns"))
    if "labels" in f:
        rows.append(("labels", f"{len(np.unique(f['labels'][:]))} distinct values"))
    if "column_names" in f:
        rows.append(("column names", " ".join(text(c) for c in f["column_names"][:12])
                     + (" ..." if len(f["column_names"]) > 12 else "")))
    for fam in registry.families():
        if hasattr(fam, "dense_rows"):
            rows += fam.dense_rows(f, path)
    return rows + [(key, fmt(value)) for key, value in root.items()]


def _theta(f, kind, root):
    fam = registry.family(kind)
    a = fam.ASSIGNMENTS
    theta = f[a.key][:]
    rows = [(a.key, f"{a.symbol} = {theta.shape[0]} {a.rows}, K = {theta.shape[1]} {a.unit}s")]
    rows += [(k, fmt(value)) for k, value in root.items()]
    return rows + (fam.theta_rows(f, theta) if len(theta) else [])


def summary(path):
    """[(label, text), ...] describing a model, checkpoint, corpus, dense data or theta file."""
    with open_checked(path) as f:
        root = attrs(f)
        form = root.pop("format")
        kind = check_file(f, path, form)
        rows = [("file", path), ("format", f"{form}, schema version {root.pop('schema_version')}")]
        if form == MODEL:
            return rows + _model(f, path, kind, root)
        if form == CORPUS:
            return rows + _corpus(f, root)
        if form == DENSE:
            return rows + _dense(f, path, root)
        return rows + _theta(f, kind, root)
