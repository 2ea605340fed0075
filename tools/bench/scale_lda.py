#!/usr/bin/env python3
"""The scale run: LDA on 10^6 synthetic documents (10^8 tokens, V = 10^5, K = 100), and its cost model.

usage: scale_lda.py [--ranks 2] [--threads 1] [--natgrad BIN] [--bandwidth GB/s] [--latency us]
                    [--predict 64 1024] [-- --section.key value ...]

Runs `bash jobs/local_fit.sh synthetic RANKS` (which draws the corpus of
jobs/synthetic.ini once into build/jobs/synthetic/: 1,009,800 training
documents, about 1.02·10^8 tokens) for one pass with fresh checkpoints, and
prints the training and wall seconds, the peak memory of each rank (natgrad's
summary), and where a step's time went on rank 0: the local step, the
allgather and allreduce, and the rest (the λ update of the touched columns and
the refresh of exp(E[log β]) for them), with the number |U| of distinct words
a step touched.

Then the cost model, per step with B documents of n̄ tokens, P ranks:

    t(P) = c·B·n̄/P                    local step: tokens · K · inner iterations / P
         + r·|U|                      the rest: K·|U| on every rank
         + 2·log2(P)·α + 2·(P−1)/P · 8K|U|/β     allreduce (Rabenseifner: reduce-scatter + allgather)
         + log2(P)·α + 8·B·n̄/β                  allgather of the touched word ids (at most one per token)

with c and r from this run, |U| of a minibatch from the corpus (drawn at
random, as the solver's minibatches are), and a stated network (α latency,
β bandwidth; default 100 Gb/s InfiniBand: 12 GB/s, 1.5 µs). A recursive-doubling
allreduce costs log2(P)·(α + 8K|U|/β) instead, the bound K·|U|·log P. It
predicts the step time at 64 and 1024 ranks with the same minibatch (strong
scaling) and with the same documents per rank (weak scaling, |U| measured for
the larger minibatch).
"""
import argparse
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def distinct_words(corpus, batch, samples=3, seed=0):
    """Mean number of distinct words in `samples` random minibatches of `batch` documents."""
    with h5py.File(corpus, "r") as f:
        indptr = f["indptr"][:]
        indices = f["indices"]
        d = len(indptr) - 1
        rng = np.random.default_rng(seed)
        counts = []
        for _ in range(samples):
            docs = np.sort(rng.choice(d, size=min(batch, d), replace=False))
            # Read runs of documents in blocks of the file, then keep the chosen ones.
            seen = np.zeros(int(f.attrs["vocab_size"]), dtype=bool)
            for lo in range(0, len(docs), 4096):
                part = docs[lo:lo + 4096]
                chunk = indices[indptr[part[0]]:indptr[part[-1] + 1]]
                base = indptr[part[0]]
                for doc in part:
                    seen[chunk[indptr[doc] - base:indptr[doc + 1] - base]] = True
            counts.append(int(seen.sum()))
    return float(np.mean(counts))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--natgrad", default=str(ROOT / "build" / "natgrad"))
    parser.add_argument("--bandwidth", type=float, default=12.0, help="network bandwidth, GB/s")
    parser.add_argument("--latency", type=float, default=1.5, help="network latency, microseconds")
    parser.add_argument("--predict", type=int, nargs="+", default=[64, 1024])
    parser.add_argument("overrides", nargs=argparse.REMAINDER, help="-- --section.key value ...")
    args = parser.parse_args()
    extra = [a for a in args.overrides if a != "--"]

    work = ROOT / "build" / "jobs" / "synthetic"
    checkpoints = tempfile.mkdtemp(prefix="natgrad_scale_ckpt_")
    env = dict(os.environ, NATGRAD=args.natgrad)
    cmd = ["bash", str(ROOT / "jobs" / "local_fit.sh"), "synthetic", str(args.ranks),
           "--checkpoint.path", checkpoints, "--output.model", str(work / "scale_model.h5"),
           "--solver.threads", str(args.threads), *extra]
    print("$ " + " ".join(cmd), flush=True)
    run = subprocess.run(cmd, env=env, capture_output=True, text=True)
    shutil.rmtree(checkpoints, ignore_errors=True)
    sys.stdout.write(run.stdout)
    if run.returncode != 0:
        sys.stderr.write(run.stderr)
        sys.exit(f"the fit failed with status {run.returncode}")

    head = re.search(r"K = (\d+), (\d+) documents, (\d+) words, (\d+) tokens, (\d+) ranks?; (\d+) steps of (\d+)",
                     run.stdout)
    done = re.search(r"done: .*?, ([\d.]+) s \(([\d.]+) s training\).*peak memory per rank (\d+)–(\d+) MB",
                     run.stdout)
    prof = re.search(r"per step \(rank 0, (\d+) steps\): ([\d.]+) s = local step ([\d.]+) s \+ allgather and "
                     r"allreduce ([\d.]+) s \+ the rest ([\d.]+) s; (\d+) blocks", run.stdout)
    if not (head and done and prof):
        sys.exit("could not read natgrad's summary lines")
    k, docs, v, tokens, ranks, steps, batch = (int(x) for x in head.groups())
    wall, train, rss_min, rss_max = float(done[1]), float(done[2]), int(done[3]), int(done[4])
    step_s, local_s, comm_s, rest_s, touched = (float(x) for x in prof.groups()[1:])

    print(f"\nscale run: {docs:,} documents, {tokens:,} tokens, V = {v:,}, K = {k}, {ranks} ranks x "
          f"{args.threads} thread(s), {steps} steps of {batch}: {train:.1f} s training, {wall:.1f} s wall; "
          f"peak memory per rank {rss_min}-{rss_max} MB")
    n_bar = tokens / docs
    c = local_s * ranks / (batch * n_bar)  # seconds per token on one rank
    r = rest_s / touched                   # seconds per touched word, on every rank
    print(f"per step on rank 0: {step_s:.4f} s = local {local_s:.4f} + communication {comm_s:.4f} + rest "
          f"{rest_s:.4f}; |U| = {touched:.0f} words, {8 * k * touched / 1e6:.1f} MB allreduced")
    print(f"model constants: c = {c * 1e9:.1f} ns per token (K = {k}), r = {r * 1e9:.0f} ns per touched word")

    alpha, beta = args.latency * 1e-6, args.bandwidth * 1e9
    corpus = work / "synthetic.h5"

    def predict(p, b, u):
        local = c * b * n_bar / p
        rest = r * u
        allreduce = 2 * math.log2(p) * alpha + 2 * (p - 1) / p * 8 * k * u / beta
        allgather = math.log2(p) * alpha + 8 * b * n_bar / beta
        return local, rest, allreduce + allgather

    print(f"\npredicted step times on a network of {args.bandwidth:g} GB/s and {args.latency:g} us latency "
          f"(local + rest + communication):")
    print("| ranks | minibatch | |U| | local s | rest s | communication s | step s | docs / s |")
    print("|---|---|---|---|---|---|---|---|")
    per_rank = batch // ranks
    rows = [(ranks, batch, touched)]
    for p in args.predict:
        rows.append((p, batch, touched))
        b = min(per_rank * p, docs)
        rows.append((p, b, distinct_words(corpus, b)))
    for p, b, u in rows:
        local, rest, comm = predict(p, b, u)
        total = local + rest + comm
        print(f"| {p} | {b:,} | {u:,.0f} | {local:.4f} | {rest:.4f} | {comm:.4f} | {total:.4f} | {b / total:,.0f} |")


if __name__ == "__main__":
    main()
