"""Model files and checkpoints of any family: the per-type checks, the generic reader of lambda (read_parameters)
and read_model, which hands the tensors to the family module of the file's type."""
from dataclasses import dataclass, field

import numpy as np

from . import registry
from .formats import LAYOUT_SCHEMA, MODEL, THETA, attrs, fail, open_checked, require, require_format, schema_version, \
    text
from .layout import Layout, parameters


def model_type(f, path, fmt, generic=False):
    """The model type of an open model or checkpoint (/model attribute 'type') or theta file (root attribute
    'model_type'; registry.UNTYPED_THETA when absent, as in files written before mixtures); None for other formats. A type without a
    family module is refused, except (generic) in a model file of schema 2, whose /layout describes lambda."""
    if fmt == MODEL:
        kind = text(f["model"].attrs.get("type", ""))
    elif fmt == THETA:
        kind = text(f.attrs.get("model_type", registry.UNTYPED_THETA))
    else:
        return None
    if registry.family(kind) is None and not (generic and fmt == MODEL and schema_version(f) >= LAYOUT_SCHEMA):
        fail(path, f"model type '{kind}' is not one this tool reads ({', '.join(registry.types())}); update the tools")
    return kind


def check_file(f, path, fmt, generic=False):
    """Refuse a file that lacks an object its format, schema version and model type have; returns the model type
    (None for corpora and dense data). generic: see model_type."""
    require_format(f, path, fmt)
    kind = model_type(f, path, fmt, generic)
    if fmt == MODEL and schema_version(f) >= LAYOUT_SCHEMA:
        require(f, path, f"{fmt} schema version {schema_version(f)}", ["layout"])
    fam = registry.family(kind) if kind else None
    if fam is not None:
        # A checkpoint of schema 3 holds lambda in the solver's form, not as the family's tensors.
        tensors = {"model/" + n for n in getattr(fam, "TENSORS", ())} if "solver/lambda_base" in f else set()
        require(f, path, f"{kind} {fmt}", [r for r in fam.REQUIRED.get(fmt, ()) if r not in tensors])
    return kind


@dataclass
class Model:
    """What every natgrad model or checkpoint has; read_model returns the family's subclass (LdaModel, GmmModel)."""
    path: str
    type: str
    attrs: dict = field(default_factory=dict)     # root attributes
    config: dict = field(default_factory=dict)
    solver: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    history: np.ndarray = None
    layout: Layout = None                         # where lambda's tensors sit in the flat lambda


def read_parameters(path):
    """lambda of a model file or checkpoint of any type, from its stored layout: Parameters(tensors, layout), tensors
    {name: array} the /model datasets named by /layout (schema 2; a type this tool has no module for too) or by the
    type's family (schema 1), layout a Layout (names, shapes, offsets, strides, size; gather, indices)."""
    with open_checked(path, MODEL) as f:
        return parameters(f, path, check_file(f, path, MODEL, generic=True))


def read_model(path):
    """Read a model file or checkpoint whole: the Model subclass of its /model type (LdaModel, GmmModel)."""
    with open_checked(path, MODEL) as f:
        kind = check_file(f, path, MODEL)
        fam = registry.family(kind)
        params = parameters(f, path, kind)
        missing = [n for n in getattr(fam, "TENSORS", ()) if n not in params.tensors]
        if missing:
            fail(path, f"/layout/names {list(params.layout.names)} lacks {', '.join(missing)}, which a {kind} model "
                       "has")
        common = dict(path=path, type=kind, attrs=attrs(f), config=attrs(f["config"]), solver=attrs(f["solver"]),
                      data=attrs(f["data"]), history=f["history"][:], layout=params.layout)
        return fam.build(f, path, params.tensors, common)


def as_model(m, kind=None, use=""):
    """A Model from a Model or a path; refuses one of another type than kind (if given), naming use."""
    m = m if isinstance(m, Model) else read_model(m)
    if kind is not None and m.type != kind:
        fail(m.path, f"is a {m.type} model; {use} reads {kind} models only ({registry.family(m.type).HINT})")
    return m
