#!/usr/bin/env python3
"""Print the top words of each topic of a natgrad LDA model or checkpoint.

usage: natgrad_topics.py MODEL.h5 [--top N]

Also prints the last held-out perplexity of the run's history. Refuses files
that are not natgrad models, or that have a newer schema than this tool reads.
"""
import argparse
import sys

import h5py
import numpy as np

FORMAT = "natgrad.model"
SCHEMA_VERSION = 1


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def open_model(path):
    """Open a model file read-only after checking its format and schema version."""
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        sys.exit(f"natgrad_topics: {path}: cannot open as HDF5 ({e})")
    fmt = text(f.attrs.get("format", ""))
    if fmt != FORMAT:
        sys.exit(f"natgrad_topics: {path}: format '{fmt}', expected '{FORMAT}'")
    version = int(f.attrs.get("schema_version", -1))
    if version > SCHEMA_VERSION or version < 1:
        sys.exit(f"natgrad_topics: {path}: schema_version {version}; this tool reads up to {SCHEMA_VERSION}")
    return f


def top_words(f, n):
    """[(topic, [(word, weight), ...]), ...] with weight = E[beta_kw] = lambda_kw / sum_w lambda_kw."""
    lam = f["model/lambda"][:]
    vocab = [text(w) for w in f["vocab"][:]]
    beta = lam / lam.sum(axis=1, keepdims=True)
    order = np.argsort(-beta, axis=1)[:, :n]
    return [(k, [(vocab[w], beta[k, w]) for w in order[k]]) for k in range(lam.shape[0])]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--top", type=int, default=10, help="words per topic (default 10)")
    args = parser.parse_args()
    with open_model(args.model) as f:
        for k, words in top_words(f, args.top):
            print(f"topic {k:3d}: " + " ".join(w for w, _ in words))
        history = f["history"][:]
        name = history.dtype.names[-1]
        last = history[-1]
        print(f"held-out {name} {last[name]:.2f} after {int(last['step'])} steps ({last['epoch']:.2f} epochs)")


if __name__ == "__main__":
    main()
