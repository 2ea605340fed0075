"""The hierarchical Poisson factorization family (type 'hpf'): K factors of users x items counts. q(beta_ik) =
Gamma(shape_ik, rate_item_i + rate_shared_k): lambda is three tensors, shape [I, K], rate_item [I] and rate_shared
[K]; theta files hold each user's E[theta_u] and top items."""
import csv
import json
import sys
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .export import check_format, write_matrix_csv
from .formats import CORPUS, MODEL, THETA, attrs, fail, open_checked, require_format, text
from .formats import vocab as read_vocab
from .metrics import hellinger
from .model import Model, as_model
from .registry import Assignments

__all__ = ["HPF", "HpfModel", "Factors", "read_factors_truth", "top_items", "recommendations"]

HPF = TYPE = "hpf"
TENSORS = ("shape", "rate_item", "rate_shared")
REQUIRED = {MODEL: ("model/shape", "model/rate_item", "model/rate_shared", "model/popularity", "model/prior"),
            THETA: ("theta", "user_ids", "recommended", "recommended_scores")}
ASSIGNMENTS = Assignments("theta", "user_factors", "user_id", "factor", ("user_ids",), "U", "users",
                          "users' preferences E[theta_u]")
UNIT = "factor"
HINT = "for hpf models see 'factors'"
DISTANCE = "Hellinger distance between the factors' E[beta_k] over the items, normalised to sum to 1"
EXPORT_FILES = "PREFIX_item_factors.* (E[beta], items x K)"


@dataclass
class Factors:
    """Item factors to compare: E[beta] [I, K] with the item names, from a model or a synthetic set's /truth."""
    path: str
    beta: np.ndarray
    vocab: list = None
    type: ClassVar[str] = HPF
    source: ClassVar[str] = "/truth"

    @property
    def components(self):
        return self.beta.shape[1]

    @property
    def factors(self):
        """[K, I]: each factor's E[beta_k] over the items, normalised to sum to 1."""
        b = self.beta.T
        return b / b.sum(axis=1, keepdims=True)


@dataclass
class HpfModel(Model):
    """An HPF model or checkpoint, read whole."""
    shape: np.ndarray = None        # [I, K] shapes of q(beta_ik)
    rate_item: np.ndarray = None    # [I] the item part of the rates
    rate_shared: np.ndarray = None  # [K] the part every item shares
    popularity: np.ndarray = None   # [I] E[eta_i]
    prior: dict = None              # a, a_prime, b_prime, c, c_prime, d_prime
    vocab: list = None

    @property
    def components(self):
        return self.shape.shape[1]

    factors_count = components

    @property
    def items(self):
        return self.shape.shape[0]

    @property
    def beta(self):
        """E[beta] [I, K] = shape_ik / (rate_item_i + rate_shared_k)."""
        return self.shape / (self.rate_item[:, None] + self.rate_shared[None, :])

    @property
    def factors(self):
        return Factors(self.path, self.beta, self.vocab).factors


def build(f, path, tensors, common):
    return HpfModel(shape=tensors["shape"], rate_item=tensors["rate_item"], rate_shared=tensors["rate_shared"],
                    popularity=f["model/popularity"][:], prior=attrs(f["model/prior"]), vocab=read_vocab(f), **common)


def read_factors_truth(path):
    """The true factors of a corpus from 'natgrad synth hpf' (/truth/beta [I, K]), as Factors."""
    with open_checked(path, CORPUS) as f:
        require_format(f, path, CORPUS)
        if "truth/beta" not in f:
            fail(path, "has no /truth/beta (only counts drawn by 'natgrad synth hpf' have one)")
        return Factors(path, f["truth/beta"][:], read_vocab(f))


REFERENCES = {CORPUS: read_factors_truth}
REFERENCE_HELP = "a corpus with /truth from 'natgrad synth hpf'"


# ---- summary ------------------------------------------------------------------------------------------------

def summary_rows(f, path, tensors):
    m, p = attrs(f["model"]), attrs(f["model/prior"])
    pop = f["model/popularity"][:]
    return [("model", f"hpf, K = {m.get('factors')} factors, {m.get('items')} items, {m.get('users')} users"),
            ("priors", ", ".join(f"{k} {p[k]:.6g}" for k in ("a", "a_prime", "b_prime", "c", "c_prime", "d_prime"))),
            ("popularity", f"E[eta] mean {pop.mean():.6g} (min {pop.min():.6g}, max {pop.max():.6g})")]


def data_row(d):
    return (f"{d.get('train')}: {d.get('num_docs')} users, {d.get('vocab_size')} items, total count "
            f"{d.get('num_tokens')}, checksum {d.get('checksum')}")


def theta_rows(f, theta):
    return [("mean theta", " ".join(f"{v:.3g}" for v in f["theta"][:].mean(axis=0))),
            ("recommended", f"top {f['recommended'].shape[1]} items of each user")]


# ---- factors and recommendations ----------------------------------------------------------------------------

def top_items(model, n=10):
    """[(factor, [(item, E[beta_ik]), ...]), ...]: each factor's items by decreasing E[beta_ik] (hpf)."""
    model = as_model(model, HPF, "factors")
    beta = model.beta
    names = model.vocab or [str(i) for i in range(model.items)]
    order = np.argsort(-beta, axis=0, kind="stable")[:n]
    return [(k, [(names[i], float(beta[i, k])) for i in order[:, k]]) for k in range(model.components)]


def _print_ranked(rows, head, args):
    """rows [(key, [(name, value), ...])], printed as a table, CSV or JSON."""
    if args.format == "table":
        for key, items in rows:
            print(f"{head} {key}: " + "  ".join(f"{name} ({x:.4g})" for name, x in items))
    elif args.format == "csv":
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow([head, "rank", "item", "value"])
        for key, items in rows:
            for rank, (name, x) in enumerate(items):
                w.writerow([key, rank, name, repr(x)])
    else:
        json.dump([{head: key, "items": [{"item": name, "value": x} for name, x in items]} for key, items in rows],
                  sys.stdout, indent=1)
        print()


def cmd_factors(args):
    _print_ranked(top_items(args.model, args.top), "factor", args)


def recommendations(theta_path, user, n=None):
    """[(item, E[y_ui]), ...]: the top n recommendations of a user (by name, or by id when the file has no names)
    in a theta file of 'natgrad infer' on an hpf model, best first."""
    with open_checked(theta_path, THETA) as f:
        require_format(f, theta_path, THETA)
        if text(f.attrs.get("model_type", "")) != HPF:
            fail(theta_path, "is not a theta file of an hpf model; recommend reads those")
        names = [text(x) for x in f["user_names"][:]] if "user_names" in f else [str(x) for x in f["user_ids"][:]]
        try:
            row = names.index(user)
        except ValueError:
            fail(theta_path, f"has no user '{user}' ({len(names)} users, e.g. {', '.join(names[:3])})")
        items = f["recommended_names"][row] if "recommended_names" in f else f["recommended"][row]
        scores = f["recommended_scores"][row]
    have = [(text(i), float(s)) for i, s in zip(items, scores) if not np.isnan(s)]
    if n is not None and n > len(have):
        print(f"{theta_path}: holds {len(have)} recommendations of each user (natgrad infer --top N for more)",
              file=sys.stderr)
    return have if n is None else have[:n]


def cmd_recommend(args):
    _print_ranked([(args.user, recommendations(args.theta, args.user, args.top))], "user", args)


def add_commands(sub):
    p = sub.add_parser("factors", help="top items of each factor by E[beta_ik], with their names (hpf)")
    p.add_argument("model")
    p.add_argument("--top", type=int, default=10, help="items per factor (default 10)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(run=cmd_factors)
    p = sub.add_parser("recommend", help="a user's top items, from a theta file of 'natgrad infer' (hpf)")
    p.add_argument("theta", metavar="THETA.h5")
    p.add_argument("--user", required=True, help="the user's name (or id, in files without names)")
    p.add_argument("--top", type=int, default=None, help="how many (default: all the file holds)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(run=cmd_recommend)


# ---- compare ------------------------------------------------------------------------------------------------

def distances(a, b):
    """Hellinger distances between the normalised factors of two hpf models (or a synthetic set's /truth) of the
    same items."""
    fa, fb = (x.factors for x in (a, b))
    if fa.shape[1] != fb.shape[1]:
        fail(b.path, f"has {fb.shape[1]} items and {a.path} has {fa.shape[1]}; cannot compare")
    if a.vocab and b.vocab and a.vocab != b.vocab:
        i = next(i for i, (x, y) in enumerate(zip(a.vocab, b.vocab)) if x != y)
        fail(b.path, f"items differ from {a.path}'s (item {i}: '{b.vocab[i]}' vs '{a.vocab[i]}'); cannot compare")
    return hellinger(fa, fb)


def compare_lines(a, b, pairs, dist):
    return [f"A {i:3d} -> B {j:3d}  {d:.6f}" for (i, j), d in zip(pairs, dist)]


# ---- export -------------------------------------------------------------------------------------------------

def export(model, prefix, fmt):
    """E[beta] (items x K) with the item names, to PREFIX_item_factors.npz or .csv."""
    check_format(fmt)
    path = f"{prefix}_item_factors.{fmt}"
    names = model.vocab or [str(i) for i in range(model.items)]
    if fmt == "npz":
        np.savez_compressed(path, item_factors=model.beta, popularity=model.popularity,
                            items=np.array(names, dtype=str))
    else:
        write_matrix_csv(path, ["item"] + [f"factor{k}" for k in range(model.components)], names, model.beta)
    return [path]
