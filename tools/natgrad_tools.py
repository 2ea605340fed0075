#!/usr/bin/env python3
"""Analysis tools for natgrad files: models, checkpoints, corpora and theta files.

usage: natgrad_tools.py summary FILE
       natgrad_tools.py topics MODEL [--top N] [--format table|csv|json]
       natgrad_tools.py plot FILE [FILE ...] --out PNG [--x step|seconds]
       natgrad_tools.py compare A B
       natgrad_tools.py export MODEL --out PREFIX [--theta THETA.h5] [--corpus CORPUS.h5]
                               [--format npz|csv] [--pyldavis JSON]

Every file is checked on opening: a file that is not HDF5, has another format
than expected, or a schema version newer than this tool reads is refused with
a message naming it, and the program exits with a non-zero status.
Also importable: open_checked, read_model, read_theta, summary, top_words,
align, history, metric_name, plot_convergence, export_topic_word,
export_doc_topic, export_pyldavis (and pyldavis_data, for pyLDAvis.prepare).
"""
import argparse
import csv
import json
import os
import sys
from dataclasses import dataclass, field

import h5py
import numpy as np

PROG = "natgrad_tools"
SCHEMA_VERSION = 1
MODEL, CORPUS, THETA = "natgrad.model", "natgrad.corpus", "natgrad.theta"
FORMATS = (MODEL, CORPUS, THETA)


def text(value):
    """An HDF5 string attribute or element as str."""
    return value.decode() if isinstance(value, bytes) else str(value)


def fail(path, message):
    """Stop with 'natgrad_tools: PATH: message' and a non-zero exit status."""
    raise SystemExit(f"{PROG}: {path}: {message}")


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
        try:
            version = int(f.attrs.get("schema_version", -1))
        except (TypeError, ValueError):
            version = -1
        if version > SCHEMA_VERSION:
            fail(path, f"schema_version {version} is newer than this tool reads ({SCHEMA_VERSION}); update the tools")
        if version < 1:
            fail(path, f"invalid schema_version {version}; this tool reads 1 to {SCHEMA_VERSION}")
    except BaseException:
        f.close()
        raise
    return f


def _attrs(obj):
    """HDF5 attributes as a dict of plain Python values."""
    out = {}
    for key, value in obj.attrs.items():
        if isinstance(value, (bytes, str)):
            value = text(value)
        elif isinstance(value, np.generic):
            value = value.item()
        out[key] = value
    return out


REQUIRED = {MODEL: ("model", "model/lambda", "model/alpha", "model/eta", "vocab", "config", "solver", "data", "history"),
            CORPUS: ("indptr", "indices", "counts", "doc_ids", "vocab"),
            THETA: ("theta", "gamma", "doc_ids", "doc_lengths")}


def _require(f, path, fmt):
    """Refuse a file that lacks an object its format has."""
    missing = [n for n in REQUIRED[fmt] if n not in f]
    if missing:
        fail(path, f"incomplete {fmt} file: missing {', '.join('/' + n for n in missing)}")


def _vocab(f):
    return [text(w) for w in f["vocab"][:]]


@dataclass
class Model:
    """A natgrad model or checkpoint, read whole."""
    path: str
    type: str
    lam: np.ndarray            # [K, V] Dirichlet parameters of q(beta)
    alpha: np.ndarray          # [K]
    eta: float
    vocab: list
    attrs: dict = field(default_factory=dict)     # root attributes
    config: dict = field(default_factory=dict)
    solver: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    history: np.ndarray = None

    @property
    def topics(self):
        return self.lam.shape[0]

    @property
    def vocab_size(self):
        return self.lam.shape[1]

    @property
    def beta(self):
        """E[beta] = lambda_kw / sum_w lambda_kw; rows sum to 1."""
        return self.lam / self.lam.sum(axis=1, keepdims=True)


def read_model(path):
    """Read a model file or checkpoint into a Model."""
    with open_checked(path, MODEL) as f:
        _require(f, path, MODEL)
        return Model(path=path, type=text(f["model"].attrs.get("type", "")), lam=f["model/lambda"][:],
                     alpha=f["model/alpha"][:], eta=float(f["model/eta"][()]), vocab=_vocab(f),
                     attrs=_attrs(f), config=_attrs(f["config"]), solver=_attrs(f["solver"]),
                     data=_attrs(f["data"]), history=f["history"][:])


def _model(m):
    return m if isinstance(m, Model) else read_model(m)


def top_words(model, n=10):
    """[(topic, [(word, weight), ...]), ...], weights E[beta_kw] in decreasing order."""
    model = _model(model)
    beta = model.beta
    order = np.argsort(-beta, axis=1, kind="stable")[:, :n]
    return [(k, [(model.vocab[w], float(beta[k, w])) for w in order[k]]) for k in range(model.topics)]


def history(path):
    """The /history table of a model or checkpoint as a NumPy structured array."""
    with open_checked(path, MODEL) as f:
        _require(f, path, MODEL)
        return f["history"][:]


def metric_name(hist):
    """The held-out metric of a history table: its last field ('perplexity', 'loglik', ...)."""
    return hist.dtype.names[-1]


def hellinger(p, q):
    """Hellinger distances between the rows of p [K, V] and q [L, V] (rows sum to 1): [K, L] in [0, 1]."""
    sp, sq = np.sqrt(p), np.sqrt(q)
    d = np.empty((p.shape[0], q.shape[0]))
    for i in range(p.shape[0]):
        d[i] = np.sqrt(0.5 * ((sp[i] - sq) ** 2).sum(axis=1))
    return d


def align(model_a, model_b):
    """Match the topics of two models one to one, minimising the total Hellinger distance.

    Returns (pairs, distances): pairs [(k_a, k_b), ...] ordered by k_a, distances[i] of pair i.
    """
    a, b = _model(model_a), _model(model_b)
    if a.vocab_size != b.vocab_size:
        fail(b.path, f"vocabulary size V = {b.vocab_size} differs from {a.path}'s V = {a.vocab_size}; cannot compare")
    if a.vocab != b.vocab:
        w = next(i for i, (x, y) in enumerate(zip(a.vocab, b.vocab)) if x != y)
        fail(b.path, f"vocabulary differs from {a.path}'s (word {w}: '{b.vocab[w]}' vs '{a.vocab[w]}'); cannot compare")
    if a.topics != b.topics:
        fail(b.path, f"has K = {b.topics} topics and {a.path} has K = {a.topics}; compare needs the same K")
    try:
        from scipy.optimize import linear_sum_assignment
    except ImportError:
        raise SystemExit(f"{PROG}: compare needs SciPy (Debian: python3-scipy)") from None
    d = hellinger(a.beta, b.beta)
    rows, cols = linear_sum_assignment(d)
    return [(int(i), int(j)) for i, j in zip(rows, cols)], d[rows, cols]


def plot_convergence(paths, out, x="step"):
    """Held-out metric (top) and rho (bottom) against step or seconds, one line per file; writes a PNG."""
    if x not in ("step", "seconds"):
        raise ValueError(f"x must be 'step' or 'seconds', not {x!r}")
    hists = [(p, history(p)) for p in paths]
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(9, 7), dpi=120)
    names = [os.path.basename(p) for p in paths]
    if len(set(names)) < len(names):      # same file name in several directories: label by path
        names = list(paths)
    metrics = []
    for (path, h), label in zip(hists, names):
        name = metric_name(h)
        metrics.append(name)
        top.plot(h[x], h[name], marker="o", markersize=3, label=label)
        rows = ~np.isnan(h["rho"])
        bottom.plot(h[x][rows], h["rho"][rows], marker="o", markersize=3, label=label)
    metrics = sorted(set(metrics))
    top.set_ylabel("held-out " + " / ".join(metrics))
    if metrics == ["perplexity"]:
        top.set_yscale("log")
    top.set_title("convergence")
    bottom.set_ylabel("step size rho")
    bottom.set_xlabel("training seconds" if x == "seconds" else "step")
    for ax in (top, bottom):
        ax.grid(True, alpha=0.4)
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out


def _write_matrix_csv(path, header, row_labels, matrix):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for label, row in zip(row_labels, matrix):
            w.writerow([label] + [repr(float(v)) for v in row])


def export_topic_word(model, prefix, fmt="npz"):
    """Write E[beta] (K x V) and the vocabulary to PREFIX_topic_word.npz or .csv; returns the path."""
    model = _model(model)
    if fmt == "npz":
        path = f"{prefix}_topic_word.npz"
        np.savez_compressed(path, topic_word=model.beta, vocab=np.array(model.vocab, dtype=str))
    elif fmt == "csv":
        path = f"{prefix}_topic_word.csv"
        _write_matrix_csv(path, ["topic"] + model.vocab, range(model.topics), model.beta)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    return path


def read_theta(path):
    """The topic proportions of a theta file: dict with theta, doc_ids, doc_lengths and the root attributes."""
    with open_checked(path, THETA) as f:
        _require(f, path, THETA)
        theta = f["theta"][:]
        return {"theta": theta / theta.sum(axis=1, keepdims=True), "doc_ids": f["doc_ids"][:],
                "doc_lengths": f["doc_lengths"][:], "attrs": _attrs(f)}


def _theta_for(model, theta_path):
    t = read_theta(theta_path)
    if t["theta"].shape[1] != model.topics:
        fail(theta_path, f"has {t['theta'].shape[1]} topics but {model.path} has K = {model.topics}")
    return t


def export_doc_topic(model, theta_path, prefix, fmt="npz"):
    """Write the document-topic proportions (D x K) of a theta file to PREFIX_doc_topic.npz or .csv."""
    t = _theta_for(_model(model), theta_path)
    if fmt == "npz":
        path = f"{prefix}_doc_topic.npz"
        np.savez_compressed(path, doc_topic=t["theta"], doc_ids=t["doc_ids"], doc_lengths=t["doc_lengths"])
    elif fmt == "csv":
        path = f"{prefix}_doc_topic.csv"
        k = t["theta"].shape[1]
        _write_matrix_csv(path, ["doc_id"] + [f"topic{i}" for i in range(k)], t["doc_ids"], t["theta"])
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    return path


def term_frequency(corpus_path, vocab=None):
    """Total count of each word in a corpus file [V]; checks the vocabulary against vocab if given."""
    with open_checked(corpus_path, CORPUS) as f:
        _require(f, corpus_path, CORPUS)
        words = _vocab(f)
        if vocab is not None and words != vocab:
            fail(corpus_path, f"vocabulary ({len(words)} words) differs from the model's ({len(vocab)} words)")
        return np.bincount(f["indices"][:], weights=f["counts"][:], minlength=len(words))


def pyldavis_data(model, theta_path, corpus_path):
    """The keyword arguments of pyLDAvis.prepare, as NumPy arrays and lists."""
    model = _model(model)
    t = _theta_for(model, theta_path)
    return {"topic_term_dists": model.beta, "doc_topic_dists": t["theta"], "doc_lengths": t["doc_lengths"],
            "vocab": model.vocab, "term_frequency": term_frequency(corpus_path, model.vocab)}


def export_pyldavis(model, theta_path, corpus_path, out):
    """Write pyldavis_data as JSON: pyLDAvis.prepare(**json.load(open(out)))."""
    data = pyldavis_data(model, theta_path, corpus_path)
    unseen = int((data["term_frequency"] == 0).sum())
    if unseen:
        print(f"{PROG}: warning: {corpus_path}: {unseen} of {len(data['vocab'])} words never occur, which pyLDAvis "
              "ranks oddly; the training corpus usually has them all", file=sys.stderr)
    with open(out, "w", encoding="utf-8") as f:
        json.dump({k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in data.items()}, f)
    return out


# ---- command line -----------------------------------------------------------------------------------------

def _fmt(value):
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def doc_lengths(indptr, counts):
    """Tokens per document of a CSR corpus."""
    total = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])
    return total[indptr[1:]] - total[indptr[:-1]]


def summary(path):
    """[(label, text), ...] describing a model, checkpoint, corpus or theta file."""
    with open_checked(path) as f:
        root = _attrs(f)
        fmt = root.pop("format")
        _require(f, path, fmt)
        rows = [("file", path), ("format", f"{fmt}, schema version {root.pop('schema_version')}")]
        if fmt == MODEL:
            m, s, d = _attrs(f["model"]), _attrs(f["solver"]), _attrs(f["data"])
            alpha = f["model/alpha"][:]
            rows += [("model", f"{m.get('type')}, K = {m.get('topics')} topics, V = {m.get('vocab_size')} words"),
                     ("priors", f"alpha mean {alpha.mean():.6g} (min {alpha.min():.6g}, max {alpha.max():.6g}), "
                                f"eta {float(f['model/eta'][()]):.6g}"),
                     ("solver", f"step {s.get('step')}, epoch {_fmt(s.get('epoch'))}, seed {s.get('seed')}, "
                                f"docs seen {s.get('docs_seen')}, training {_fmt(s.get('train_seconds'))} s"),
                     ("training data", f"{d.get('train')}: {d.get('num_docs')} docs, V = {d.get('vocab_size')}, "
                                       f"{d.get('num_tokens')} tokens, checksum {d.get('checksum')}")]
            rows += [(key, _fmt(value)) for key, value in root.items()]
            rows += [("configuration", "")] + [(f"  {k} =", v) for k, v in sorted(_attrs(f["config"]).items())]
            h = f["history"][:]
            last = ", ".join(f"{n} {_fmt(h[-1][n].item())}" for n in h.dtype.names) if len(h) else "none"
            rows.append(("history", f"{len(h)} evaluations; last: {last}"))
        elif fmt == CORPUS:
            lengths = doc_lengths(f["indptr"][:], f["counts"][:])
            rows.append(("corpus", f"D = {root.pop('num_docs', '?')} documents, V = {root.pop('vocab_size', '?')} "
                                   f"words, {root.pop('num_tokens', '?')} tokens, {len(f['indices'])} nonzeros"))
            if len(lengths):
                rows.append(("doc lengths", f"mean {lengths.mean():.1f}, min {lengths.min()}, max {lengths.max()}, "
                                            f"{int((lengths == 0).sum())} empty"))
            rows += [(key, _fmt(value)) for key, value in root.items()]
        else:
            theta = f["theta"][:]
            rows.append(("theta", f"D = {theta.shape[0]} documents, K = {theta.shape[1]} topics"))
            rows += [(key, _fmt(value)) for key, value in root.items()]
            if len(theta):
                rows += [("doc lengths", f"mean {f['doc_lengths'][:].mean():.1f} tokens"),
                         ("mean theta", " ".join(f"{v:.3f}" for v in theta.mean(axis=0)))]
    return rows


def cmd_summary(args):
    for label, value in summary(args.file):
        if label.startswith("  "):
            print(f"{label} {value}")
        else:
            print(f"{label + ':':15} {value}".rstrip())


def cmd_topics(args):
    topics = top_words(args.model, args.top)
    if args.format == "table":
        for k, words in topics:
            print(f"topic {k:3d}: " + "  ".join(f"{w} ({x:.4f})" for w, x in words))
    elif args.format == "csv":
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(["topic", "rank", "word", "weight"])
        for k, words in topics:
            for rank, (word, weight) in enumerate(words):
                w.writerow([k, rank, word, repr(weight)])
    else:
        json.dump([{"topic": k, "words": [{"word": w, "weight": x} for w, x in words]} for k, words in topics],
                  sys.stdout, indent=1)
        print()


def cmd_plot(args):
    print(f"wrote {plot_convergence(args.files, args.out, args.x)}")


def cmd_compare(args):
    pairs, dist = align(args.a, args.b)
    print(f"topics of {args.a} (A) matched one to one with those of {args.b} (B) by the Hungarian algorithm")
    print("distance: Hellinger distance between rows of E[beta], 0 = same topic, 1 = disjoint support")
    for (i, j), d in zip(pairs, dist):
        print(f"A {i:3d} -> B {j:3d}  {d:.6f}")
    print(f"mean distance {dist.mean():.6f} (max {dist.max():.6f}) over {len(pairs)} topics")


def cmd_export(args):
    model = read_model(args.model)
    if args.pyldavis and not (args.theta and args.corpus):
        raise SystemExit(f"{PROG}: --pyldavis needs --theta THETA.h5 and --corpus CORPUS.h5")
    written = [export_topic_word(model, args.out, args.format)]
    if args.theta:
        written.append(export_doc_topic(model, args.theta, args.out, args.format))
    if args.pyldavis:
        written.append(export_pyldavis(model, args.theta, args.corpus, args.pyldavis))
    for path in written:
        print(f"wrote {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="natgrad_tools.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("summary", help="describe a model, checkpoint, corpus or theta file")
    p.add_argument("file")
    p.set_defaults(run=cmd_summary)
    p = sub.add_parser("topics", help="top words of each topic with their weights E[beta]")
    p.add_argument("model")
    p.add_argument("--top", type=int, default=10, help="words per topic (default 10)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(run=cmd_topics)
    p = sub.add_parser("plot", help="held-out metric and rho of one or more runs, as a PNG")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--out", required=True, help="PNG to write")
    p.add_argument("--x", choices=("step", "seconds"), default="step")
    p.set_defaults(run=cmd_plot)
    p = sub.add_parser("compare", help="align the topics of two models and report their distances")
    p.add_argument("a")
    p.add_argument("b")
    p.set_defaults(run=cmd_compare)
    p = sub.add_parser("export", help="topic-word and doc-topic matrices as npz/csv, and pyLDAvis JSON")
    p.add_argument("model")
    p.add_argument("--out", required=True, metavar="PREFIX", help="writes PREFIX_topic_word.*, PREFIX_doc_topic.*")
    p.add_argument("--theta", help="theta file from 'natgrad infer' (doc-topic proportions)")
    p.add_argument("--corpus", help="corpus file, for pyLDAvis term frequencies")
    p.add_argument("--format", choices=("npz", "csv"), default="npz")
    p.add_argument("--pyldavis", metavar="JSON", help="write the arguments of pyLDAvis.prepare to JSON")
    p.set_defaults(run=cmd_export)
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except BrokenPipeError:
        sys.stderr.close()


if __name__ == "__main__":
    main()
