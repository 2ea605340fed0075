"""Theta files of 'natgrad infer' and exporting models and their per-row results as npz or csv; what a family
exports and what its theta files hold come from its module (export, ASSIGNMENTS)."""
import csv

import numpy as np

from . import registry
from .formats import THETA, attrs, fail, open_checked
from .model import as_model, check_file


def write_matrix_csv(path, header, row_labels, matrix):
    """A CSV file: header, then one row per label: the label and the row's values (repr, exact)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for label, row in zip(row_labels, matrix):
            w.writerow([label] + [repr(float(v)) for v in np.atleast_1d(row)])


def check_format(fmt):
    if fmt not in ("npz", "csv"):
        raise ValueError(f"unknown export format {fmt!r}")


def export_model(model, prefix, fmt="npz"):
    """The model's parameters, as its family exports them (lda: export_topic_word; gmm: export_components).
    Returns the paths."""
    model = as_model(model)
    check_format(fmt)
    return registry.family(model.type).export(model, prefix, fmt)


def read_theta(path):
    """A theta file of 'natgrad infer': dict with model_type, the matrix (lda: 'theta', topic proportions; gmm:
    'responsibilities'), rows normalised to sum to 1, the id datasets (lda: doc_ids, doc_lengths; gmm: row_ids) and
    the root attributes ('attrs')."""
    with open_checked(path, THETA) as f:
        kind = check_file(f, path, THETA)
        a = registry.family(kind).ASSIGNMENTS
        matrix = f[a.key][:]
        out = {"model_type": kind, a.key: matrix / matrix.sum(axis=1, keepdims=True), "attrs": attrs(f)}
        for name in a.extras:
            out[name] = f[name][:]
        return out


def theta_for(model, theta_path):
    """read_theta of a theta file, refused unless it holds results of model's type and K."""
    t = read_theta(theta_path)
    a = registry.family(t["model_type"]).ASSIGNMENTS
    if t["model_type"] != model.type:
        fail(theta_path, f"holds {t['model_type']} results ({a.key}) but {model.path} is a {model.type} model")
    if t[a.key].shape[1] != model.components:
        fail(theta_path, f"has {t[a.key].shape[1]} {a.unit}s but {model.path} has K = {model.components}")
    return t


def export_assignments(model, theta_path, prefix, fmt="npz"):
    """Write the rows of a theta file of the model: lda, the document-topic proportions (D x K) with doc_ids and
    doc_lengths, to PREFIX_doc_topic.npz or .csv; gmm, the responsibilities (N x K) with row_ids, to
    PREFIX_responsibilities.npz or .csv. Returns [path]."""
    model = as_model(model)
    check_format(fmt)
    t = theta_for(model, theta_path)
    a = registry.family(model.type).ASSIGNMENTS
    path = f"{prefix}_{a.name}.{fmt}"
    if fmt == "npz":
        np.savez_compressed(path, **{a.name: t[a.key]}, **{e: t[e] for e in a.extras})
    else:
        write_matrix_csv(path, [a.id_label] + [f"{a.unit}{i}" for i in range(model.components)], t[a.extras[0]],
                         t[a.key])
    return [path]
