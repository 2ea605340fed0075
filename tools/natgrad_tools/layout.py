"""lambda's layout: which /model datasets hold the variational parameters and where each entry sits in the
solver's flat vector (/solver/lambda_offset). Schema 2 model files record it in /layout; for schema 1 files the
model family supplies the tensor names (and, where it knows it, the flat layout)."""
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import registry
from .formats import LAYOUT_SCHEMA, MODEL, fail, require, schema_version, strings, text

LAYOUT_DATASETS = ("names", "ranks", "dims", "offsets", "strides")
CHUNK = 1 << 22          # flat indices made at a time when checking that the tensors cover lambda once


@dataclass(frozen=True)
class Layout:
    """T tensors: names[t] (the dataset /model/<name>), shapes[t], and in the flat lambda of size entries, entry
    (i_0, ..., i_{r-1}) of tensor t at offsets[t] + sum_j i_j strides[t][j]. offsets and strides are None when
    unknown (a schema 1 file of a family that does not supply them)."""
    names: tuple
    shapes: tuple
    offsets: tuple = None
    strides: tuple = None
    size: int = None

    @property
    def ranks(self):
        return tuple(len(s) for s in self.shapes)

    def problem(self):
        """None for a layout in which every flat index in [0, size) is exactly one tensor entry; else what is wrong,
        naming the /layout dataset."""
        if self.offsets is None or self.strides is None or self.size is None:
            return "the flat layout is unknown (no offsets, strides or size)"
        n = self.size
        if not len(self.names) == len(self.shapes) == len(self.offsets) == len(self.strides) or any(
                len(s) != len(d) for s, d in zip(self.strides, self.shapes)):
            return "/layout: names, shapes, offsets and strides do not match in number"
        if n < 0:
            return f"/layout attribute size = {n} is negative"
        for name, shape, offset, strides in zip(self.names, self.shapes, self.offsets, self.strides):
            if any(d < 0 for d in shape):
                return f"/layout/dims of tensor '{name}' {list(shape)} has a negative dimension"
            if math.prod(shape) and not 0 <= offset < n:
                return f"/layout/offsets of tensor '{name}' = {offset} is outside [0, {n}) (/layout attribute size)"
            bad = [s for d, s in zip(shape, strides) if s < 0 or d > 1 and s >= n]   # extent 1: its stride unused
            if bad:
                return f"/layout/strides of tensor '{name}' {list(strides)} has {bad[0]}, outside [0, {n})"
            last = offset + sum((d - 1) * s for d, s in zip(shape, strides))
            if math.prod(shape) and last >= n:
                return (f"/layout/strides of tensor '{name}' {list(strides)}: its last entry would be flat index "
                        f"{last}, outside [0, {n})")
        total = sum(math.prod(s) for s in self.shapes)
        if total != n:
            return f"/layout attribute size = {n}, but the tensors of /layout/dims have {total} entries"
        seen = np.zeros(n, dtype=bool)
        for t in range(len(self.names)):
            for idx in self._index_chunks(t):
                seen[idx] = True
        if not seen.all():
            return (f"/layout/offsets and /layout/strides: flat index {int(np.argmin(seen))} is no tensor's entry "
                    "(tensors overlap)")
        return None

    def check(self):
        """Raise ValueError when problem() finds one; returns self."""
        p = self.problem()
        if p:
            raise ValueError(p)
        return self

    def _index_chunks(self, t):
        """The flat indices of tensor t, a block of its leading index at a time (each at most about CHUNK)."""
        shape, strides, offset = self.shapes[t], self.strides[t], self.offsets[t]
        if not shape:
            yield np.array([offset])
            return
        inner = offset + sum(np.arange(d).reshape((-1,) + (1,) * (len(shape) - 2 - j)) * s
                             for j, (d, s) in enumerate(zip(shape[1:], strides[1:])))
        inner = np.asarray(inner, dtype=np.int64).ravel()
        step = max(1, CHUNK // max(1, inner.size))
        for start in range(0, shape[0], step):
            rows = np.arange(start, min(shape[0], start + step), dtype=np.int64) * strides[0]
            yield (rows[:, None] + inner[None, :]).ravel()

    def indices(self, name):
        """The flat index of each entry of tensor name, as an int64 array of its shape."""
        t = self.names.index(name)
        return np.concatenate(list(self._index_chunks(t))).reshape(self.shapes[t])

    def gather(self, flat):
        """The tensors of a flat vector of this layout (e.g. /solver/lambda_offset): {name: array of its shape}."""
        self.check()
        flat = np.ascontiguousarray(flat)
        if flat.shape != (self.size,):
            raise ValueError(f"the flat vector has shape {list(flat.shape)}; the layout has size {self.size}")
        out = {}
        for name, shape, offset, strides in zip(self.names, self.shapes, self.offsets, self.strides):
            view = np.lib.stride_tricks.as_strided(flat[offset:], shape, [s * flat.itemsize for s in strides])
            out[name] = view.copy()
        return out

    def scatter(self, tensors, dtype=np.float64):
        """The flat vector of this layout holding tensors {name: array} (the inverse of gather)."""
        self.check()
        flat = np.empty(self.size, dtype=dtype)
        for name in self.names:
            flat[self.indices(name)] = tensors[name]
        return flat


class Parameters(NamedTuple):
    """What read_parameters returns: lambda's tensors {name: array} (the /model datasets) and their Layout."""
    tensors: dict
    layout: Layout


def _ints(f, path, name):
    d = f["layout/" + name]
    a = d[()]
    if not np.issubdtype(np.asarray(a).dtype, np.integer) or np.ndim(a) != 1:
        fail(path, f"/layout/{name} is {d.dtype} {list(d.shape)}; expected a 1-D array of integers")
    return [int(x) for x in a]


def read_layout(f, path):
    """The Layout recorded in /layout of an open schema 2 model file, checked against /model and itself."""
    require(f, path, f"{MODEL} schema version {schema_version(f)}",
            ["layout"] + [f"layout/{n}" for n in LAYOUT_DATASETS])
    names = strings(f, path, "layout/names")
    ranks, dims, offsets, strides = (_ints(f, path, n) for n in LAYOUT_DATASETS[1:])
    size = f["layout"].attrs.get("size")
    if size is None or not np.issubdtype(np.asarray(size).dtype, np.integer) or np.ndim(size) != 0:
        fail(path, f"/layout attribute size is {'missing' if size is None else repr(size)}; expected an integer")
    for name, values, want in (("ranks", ranks, len(names)), ("offsets", offsets, len(names))):
        if len(values) != want:
            fail(path, f"/layout/{name} has {len(values)} entries; /layout/names has {want}")
    if any(r < 0 for r in ranks):
        fail(path, f"/layout/ranks {ranks} has a negative rank")
    for name, values in (("dims", dims), ("strides", strides)):
        if len(values) != sum(ranks):
            fail(path, f"/layout/{name} has {len(values)} entries; the ranks of /layout/ranks sum to {sum(ranks)}")
    if len(set(names)) != len(names):
        fail(path, f"/layout/names {names} names a tensor twice")
    ends = np.cumsum([0] + ranks)
    shapes = tuple(tuple(dims[a:b]) for a, b in zip(ends[:-1], ends[1:]))
    solver_form = "solver/lambda_base" in f  # a checkpoint of schema 3: lambda = B + a M, no tensors
    for t, (name, shape) in enumerate(zip(names, shapes)):
        obj = f["model"].get(name) if name else None
        if obj is None and solver_form and name:
            continue
        if obj is None or not hasattr(obj, "shape"):
            fail(path, f"/layout/names[{t}] = '{name}' names no dataset /model/{name}")
        if obj.shape != shape:
            fail(path, f"/layout/dims: tensor '{name}' has shape {list(shape)} there, but dataset /model/{name} "
                       f"has {list(obj.shape)}")
    layout = Layout(tuple(names), shapes, tuple(offsets),
                    tuple(tuple(strides[a:b]) for a, b in zip(ends[:-1], ends[1:])), int(size))
    p = layout.problem()
    if p:
        fail(path, p)
    if "solver/lambda_offset" in f and f["solver/lambda_offset"].shape != (layout.size,):
        fail(path, f"/solver/lambda_offset has shape {list(f['solver/lambda_offset'].shape)}; /layout attribute "
                   f"size is {layout.size}")
    return layout


def legacy_layout(f, path, kind):
    """The Layout of a schema 1 file (no /layout), from its family: the TENSORS datasets, and where the family supplies
    them (flat_layout) their offsets and strides (not checked: the family checks the shapes on reading)."""
    fam = registry.family(kind)
    names = tuple(getattr(fam, "TENSORS", ()))
    require(f, path, f"{kind} {MODEL}", [f"model/{n}" for n in names])
    shapes = tuple(f["model/" + n].shape for n in names)
    flat = getattr(fam, "flat_layout", None)
    offsets, strides = flat(shapes) if flat else (None, None)
    return Layout(names, shapes, offsets, strides, sum(math.prod(s) for s in shapes))


def solver_lambda(f, path, layout):
    """lambda = B + a M of a checkpoint of schema 3 (which holds no tensors), flat: M is /solver/lambda_offset, a the
    /solver attribute lambda_scale, B /solver/lambda_base, one block (the size of /solver/lambda_offset_block_sum)
    and the tail (/solver attribute lambda_tail_size) when it is the same in every block, else all of lambda."""
    s = f["solver"]
    offset, base = s["lambda_offset"][()], s["lambda_base"][()]
    block, tail = s["lambda_offset_block_sum"].shape[0], int(s.attrs.get("lambda_tail_size", 0))
    if offset.shape != (layout.size,):
        fail(path, f"/solver/lambda_offset has shape {list(offset.shape)}; /layout attribute size is {layout.size}")
    if base.shape[0] != layout.size:
        if base.shape[0] != block + tail or (layout.size - tail) % block:
            fail(path, f"/solver/lambda_base has {base.shape[0]} values; expected {block + tail} or {layout.size}")
        base = np.concatenate([np.tile(base[:block], (layout.size - tail) // block), base[block:]])
    return float(s.attrs["lambda_scale"]) * offset + base


def parameters(f, path, kind):
    """Parameters of an open model file of type kind: /layout for schema 2 and later (any type), the family's for
    schema 1; the tensors are the /model datasets, or, in a checkpoint of schema 3, formed from the solver's form."""
    layout = read_layout(f, path) if schema_version(f) >= LAYOUT_SCHEMA else legacy_layout(f, path, kind)
    if all(("model/" + n) in f for n in layout.names):
        return Parameters({n: f["model/" + n][()] for n in layout.names}, layout)
    return Parameters(layout.gather(solver_lambda(f, path, layout)), layout)
