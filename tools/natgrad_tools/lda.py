"""The LDA family (type 'lda'): topics over a vocabulary. q(beta_k) = Dir(lambda_k); lambda [K, V] is one tensor,
word-major in the flat vector (entry w K + k)."""
import csv
import json
import sys
from dataclasses import dataclass

import numpy as np

from .export import check_format, export_assignments, theta_for, write_matrix_csv
from .formats import CORPUS, MODEL, THETA, attrs, fail, open_checked, prog, require_format
from .formats import vocab as read_vocab
from .metrics import hellinger
from .model import Model, as_model
from .registry import Assignments

__all__ = ["LDA", "LdaModel", "top_words", "top_word_ids", "coherence", "COHERENCE_MEASURES", "export_topic_word",
           "export_doc_topic", "term_frequency", "pyldavis_data", "export_pyldavis"]

LDA = TYPE = "lda"
TENSORS = ("lambda",)
REQUIRED = {MODEL: ("model/lambda", "model/alpha", "model/eta", "vocab"),
            THETA: ("theta", "gamma", "doc_ids", "doc_lengths")}
ASSIGNMENTS = Assignments("theta", "doc_topic", "doc_id", "topic", ("doc_ids", "doc_lengths"), "D", "documents",
                          "doc-topic proportions")
UNIT = "topic"
HINT = "for lda models see 'topics'"
DISTANCE = "Hellinger distance between rows of E[beta], 0 = same topic, 1 = disjoint support"
EXPORT_FILES = "PREFIX_topic_word.*, PREFIX_doc_topic.*"
EXPORT_FLAGS = ("--pyldavis", "--corpus")


@dataclass
class LdaModel(Model):
    """An LDA model or checkpoint, read whole."""
    lam: np.ndarray = None     # [K, V] Dirichlet parameters of q(beta)
    alpha: np.ndarray = None   # [K]
    eta: float = 0.0
    vocab: list = None

    @property
    def components(self):
        return self.lam.shape[0]

    topics = components

    @property
    def vocab_size(self):
        return self.lam.shape[1]

    @property
    def beta(self):
        """E[beta] = lambda_kw / sum_w lambda_kw; rows sum to 1."""
        return self.lam / self.lam.sum(axis=1, keepdims=True)


def flat_layout(shapes):
    """lambda [K, V] at offset 0, entry (k, w) at w K + k."""
    k = shapes[0][0] if len(shapes[0]) == 2 else 0
    return (0,), ((1, k),)


def build(f, path, tensors, common):
    return LdaModel(lam=tensors["lambda"], alpha=f["model/alpha"][:], eta=float(f["model/eta"][()]),
                    vocab=read_vocab(f),
                    **common)


# ---- summary ------------------------------------------------------------------------------------------------

def summary_rows(f, path, tensors):
    m, alpha = attrs(f["model"]), f["model/alpha"][:]
    return [("model", f"lda, K = {m.get('topics')} topics, V = {m.get('vocab_size')} words"),
            ("priors", f"alpha mean {alpha.mean():.6g} (min {alpha.min():.6g}, max {alpha.max():.6g}), "
                       f"eta {float(f['model/eta'][()]):.6g}")]


def data_row(d):
    return (f"{d.get('train')}: {d.get('num_docs')} docs, V = {d.get('vocab_size')}, {d.get('num_tokens')} tokens, "
            f"checksum {d.get('checksum')}")


def theta_rows(f, theta):
    return [("doc lengths", f"mean {f['doc_lengths'][:].mean():.1f} tokens"),
            ("mean theta", " ".join(f"{v:.3f}" for v in theta.mean(axis=0)))]


# ---- topics -------------------------------------------------------------------------------------------------

def top_word_ids(model, n=10):
    """[K, n] word ids: each topic's in decreasing lambda_kw (so E[beta_kw]), ties to the lower id (lda)."""
    model = as_model(model, LDA, "topics")
    return np.argsort(-model.lam, axis=1, kind="stable")[:, :n]


def top_words(model, n=10):
    """[(topic, [(word, weight), ...]), ...], weights E[beta_kw] in decreasing order (lda)."""
    model = as_model(model, LDA, "topics")
    beta, order = model.beta, top_word_ids(model, n)
    return [(k, [(model.vocab[w], float(beta[k, w])) for w in order[k]]) for k in range(model.topics)]


COHERENCE_MEASURES = ("umass", "npmi")
EPSILON = 1e-12  # as natgrad's and gensim's


def coherence(model, reference, measures=COHERENCE_MEASURES, n=10):
    """{measure: [K] coherence of each topic's top n words} over document co-occurrence in the corpus file
    `reference` (with the model's vocabulary), as `natgrad evaluate --coherence` computes it (README, Topic
    coherence): UMass, the mean over word pairs j < i of log((D(w_i, w_j)/D + eps) / (D(w_j)/D)); NPMI, the mean
    over pairs of log((P_ij + eps) / (P_i P_j)) / -log(P_ij + eps); a pair with a word no document holds counts 0."""
    import scipy.sparse
    model = as_model(model, LDA, "coherence")
    unknown = [m for m in measures if m not in COHERENCE_MEASURES]
    if unknown:
        raise ValueError(f"unknown coherence measure {unknown[0]!r}; expected {' or '.join(COHERENCE_MEASURES)}")
    if not 2 <= n <= model.vocab_size:
        fail(model.path, f"coherence of the top {n} words: expected 2 to V = {model.vocab_size}")
    with open_checked(reference, CORPUS) as f:
        require_format(f, reference, CORPUS)
        if read_vocab(f) != model.vocab:
            fail(reference, f"vocabulary differs from {model.path}'s; convert it with --vocab {model.path}")
        indptr, indices = f["indptr"][:], f["indices"][:]
    docs = len(indptr) - 1
    top = top_word_ids(model, n)
    words, slot = np.unique(top, return_inverse=True)
    slot = slot.reshape(top.shape)
    held = scipy.sparse.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(docs, model.vocab_size))[:, words]
    together = (held.T @ held).toarray()  # documents holding both of two top words; the diagonal: one
    i, j = np.triu_indices(n, 1)          # pairs i < j: j the later word, conditioned on the earlier i (UMass)
    out = {m: np.zeros(model.topics) for m in measures}
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(model.topics):
            s = slot[k]
            single, joint = np.diag(together)[s] / docs, together[np.ix_(s, s)][i, j] / docs
            if "umass" in out:
                v = np.log((joint + EPSILON) / single[i])
                out["umass"][k] = np.where(single[i] > 0, v, 0.0).mean()
            if "npmi" in out:
                v = np.log((joint + EPSILON) / (single[i] * single[j])) / -np.log(joint + EPSILON)
                out["npmi"][k] = np.where((single[i] > 0) & (single[j] > 0), v, 0.0).mean()
    return out


def cmd_topics(args):
    topics = top_words(args.model, args.top)
    measures = {}
    if args.reference:
        names = () if args.coherence == "none" else tuple(args.coherence.split(",")) if args.coherence else \
            COHERENCE_MEASURES
        if any(m not in COHERENCE_MEASURES for m in names):
            raise SystemExit(f"{prog()}: --coherence {args.coherence}: expected umass, npmi, umass,npmi or none")
        measures = coherence(args.model, args.reference, names, args.coherence_top)
    elif args.coherence:
        raise SystemExit(f"{prog()}: --coherence needs --reference CORPUS.h5")
    if args.pyldavis:
        if not (args.theta and args.reference):
            raise SystemExit(f"{prog()}: --pyldavis needs --theta THETA.h5 and --reference CORPUS.h5 (the training "
                             "corpus)")
        print(f"wrote {export_pyldavis(args.model, args.theta, args.reference, args.pyldavis)}", file=sys.stderr)
    if args.format == "table":
        for k, words in topics:
            scores = "".join(f"  {m} {v[k]:.4f}" for m, v in measures.items())
            print(f"topic {k:3d}{scores}: " + "  ".join(f"{w} ({x:.4f})" for w, x in words))
        if measures:
            print("mean     " + "".join(f"  {m} {v.mean():.4f}" for m, v in measures.items())
                  + f"  (top {args.coherence_top} words, over the documents of {args.reference})")
    elif args.format == "csv":
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(["topic", "rank", "word", "weight"] + list(measures))
        for k, words in topics:
            for rank, (word, weight) in enumerate(words):
                w.writerow([k, rank, word, repr(weight)] + [repr(float(v[k])) for v in measures.values()])
    else:
        json.dump([{"topic": k, "words": [{"word": w, "weight": x} for w, x in words],
                    **{m: float(v[k]) for m, v in measures.items()}} for k, words in topics], sys.stdout, indent=1)
        print()


def add_commands(sub):
    p = sub.add_parser("topics", help="top words of each topic with their weights E[beta], their coherence, and a "
                                      "pyLDAvis file (lda)")
    p.add_argument("model")
    p.add_argument("--top", type=int, default=10, help="words per topic (default 10)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument("--reference", metavar="CORPUS.h5",
                   help="corpus (the model's vocabulary) whose documents coherence counts co-occurrences in; with "
                        "--pyldavis, whose word counts pyLDAvis shows (give the training corpus)")
    p.add_argument("--coherence", default="", help="umass, npmi, umass,npmi (the default with --reference) or none")
    p.add_argument("--coherence-top", type=int, default=10, help="top words of a topic its coherence looks at "
                                                                  "(default 10, as natgrad evaluate --top)")
    p.add_argument("--theta", metavar="THETA.h5", help="theta file of the training corpus (natgrad infer, or the "
                                                         "fit's output.theta), for --pyldavis")
    p.add_argument("--pyldavis", metavar="JSON", help="also write the arguments of pyLDAvis.prepare to JSON")
    p.set_defaults(run=cmd_topics)


# ---- compare ------------------------------------------------------------------------------------------------

def distances(a, b):
    """Hellinger distances between the topics of two lda models of the same vocabulary."""
    if a.vocab_size != b.vocab_size:
        fail(b.path, f"vocabulary size V = {b.vocab_size} differs from {a.path}'s V = {a.vocab_size}; cannot compare")
    if a.vocab != b.vocab:
        w = next(i for i, (x, y) in enumerate(zip(a.vocab, b.vocab)) if x != y)
        fail(b.path, f"vocabulary differs from {a.path}'s (word {w}: '{b.vocab[w]}' vs '{a.vocab[w]}'); cannot compare")
    return hellinger(a.beta, b.beta)


def compare_lines(a, b, pairs, dist):
    return [f"A {i:3d} -> B {j:3d}  {d:.6f}" for (i, j), d in zip(pairs, dist)]


# ---- export -------------------------------------------------------------------------------------------------

def export_topic_word(model, prefix, fmt="npz"):
    """Write E[beta] (K x V) and the vocabulary to PREFIX_topic_word.npz or .csv; returns the path."""
    model = as_model(model, LDA, "export_topic_word")
    check_format(fmt)
    path = f"{prefix}_topic_word.{fmt}"
    if fmt == "npz":
        np.savez_compressed(path, topic_word=model.beta, vocab=np.array(model.vocab, dtype=str))
    else:
        write_matrix_csv(path, ["topic"] + model.vocab, range(model.topics), model.beta)
    return path


def export(model, prefix, fmt):
    return [export_topic_word(model, prefix, fmt)]


def export_doc_topic(model, theta_path, prefix, fmt="npz"):
    """export_assignments for an lda model; returns the path."""
    return export_assignments(as_model(model, LDA, "export_doc_topic"), theta_path, prefix, fmt)[0]


def term_frequency(corpus_path, vocab=None):
    """Total count of each word in a corpus file [V]; checks the vocabulary against vocab if given."""
    with open_checked(corpus_path, CORPUS) as f:
        require_format(f, corpus_path, CORPUS)
        words = read_vocab(f)
        if vocab is not None and words != vocab:
            fail(corpus_path, f"vocabulary ({len(words)} words) differs from the model's ({len(vocab)} words)")
        return np.bincount(f["indices"][:], weights=f["counts"][:], minlength=len(words))


def pyldavis_data(model, theta_path, corpus_path):
    """The keyword arguments of pyLDAvis.prepare, as NumPy arrays and lists."""
    model = as_model(model, LDA, "--pyldavis")
    t = theta_for(model, theta_path)
    return {"topic_term_dists": model.beta, "doc_topic_dists": t["theta"], "doc_lengths": t["doc_lengths"],
            "vocab": model.vocab, "term_frequency": term_frequency(corpus_path, model.vocab)}


def export_pyldavis(model, theta_path, corpus_path, out):
    """Write pyldavis_data as JSON: pyLDAvis.prepare(**json.load(open(out)))."""
    data = pyldavis_data(model, theta_path, corpus_path)
    unseen = int((data["term_frequency"] == 0).sum())
    if unseen:
        print(f"{prog()}: warning: {corpus_path}: {unseen} of {len(data['vocab'])} words never occur, which pyLDAvis "
              "ranks oddly; the training corpus usually has them all", file=sys.stderr)
    with open(out, "w", encoding="utf-8") as f:
        json.dump({k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in data.items()}, f)
    return out


def add_export_arguments(p):
    p.add_argument("--corpus", help="corpus file, for pyLDAvis term frequencies (lda)")
    p.add_argument("--pyldavis", metavar="JSON", help="write the arguments of pyLDAvis.prepare to JSON (lda)")


def check_export_args(args):
    if args.pyldavis and not (args.theta and args.corpus):
        raise SystemExit(f"{prog()}: --pyldavis needs --theta THETA.h5 and --corpus CORPUS.h5")


def export_extra(model, args):
    return [export_pyldavis(model, args.theta, args.corpus, args.pyldavis)] if args.pyldavis else []
