#!/usr/bin/env python3
"""From 1 rank to P: rank 0's split of an LDA step (K = 100, default schedule, seed 1) at 1 and P ranks, per
corpus and batch size. Each corpus of ../shared/data is converted and split as compare_peers.py does it
(--split-every 10); a fit makes as many passes as give at least 20 steps of the largest batch. Each round runs
every binary given at 1 and P ranks in turn, and again at P ranks with each --env given (so that a slow moment
of the machine falls on all of them). Prints, per corpus, batch and run, the medians over the rounds of rank 0's
milliseconds a step (natgrad's own summary line): the whole step at 1 rank, at P ranks with its local step,
communication (the allgather of the touched words and the allreduce of the statistics, waiting for the slower
rank included) and the rest (the update of λ), and the ratio of the two step times.

usage: python3 tools/bench/rank_split.py [--natgrad build/natgrad [BIN ...]] [--data ../shared/data]
                                         [--corpora nips debdesc] [--batches 256 1024] [--ranks 2]
                                         [--rounds 4] [--env OMPI_MCA_btl_vader_single_copy_mechanism=none]
"""
import argparse
import math
import os
import re
import statistics
import subprocess
import tempfile

import h5py

from bench_common import convert_uci_split, mpi_env  # the script's folder is on sys.path

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SPLIT = re.compile(r"^per step \(rank 0, \d+ steps\): ([0-9.]+) s = local step ([0-9.]+) s \+ allgather and "
                   r"allreduce ([0-9.]+) s \+ the rest ([0-9.]+) s", re.M)


def make_corpus(natgrad, data, work, name):
    """The training part of corpus `name`, as a natgrad corpus file in work, and its number of documents."""
    out = os.path.join(work, name + ".h5")
    convert_uci_split(natgrad, os.path.join(data, name), name, out, os.path.join(work, name + "_test.h5"))
    with h5py.File(out, "r") as f:
        return out, int(f.attrs["num_docs"])


def step_split(natgrad, ranks, train, batch, passes, model, extra_env):
    """Rank 0's seconds a step: (step, local, communication, rest)."""
    env = mpi_env()
    env.update(extra_env)
    cmd = ["mpirun", "-np", str(ranks), natgrad, "fit", "--model.type", "lda", "--model.topics", "100",
           "--data.train", train, "--solver.batch_size", str(batch), "--solver.epochs", str(passes),
           "--solver.seed", "1", "--eval.every_steps", "0", "--output.model", model]
    r = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    os.remove(model)
    return [float(x) for x in SPLIT.search(r.stdout).groups()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--natgrad", nargs="+", default=[os.path.join(ROOT, "build", "natgrad")])
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--corpora", nargs="+", default=["nips", "debdesc"])
    ap.add_argument("--batches", nargs="+", type=int, default=[256, 1024])
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--env", nargs="*", default=[], metavar="KEY=VALUE",
                    help="a further run at P ranks with this in the environment, per binary")
    args = ap.parse_args()
    variants = [("", {})] + [(e, dict([e.split("=", 1)])) for e in args.env]
    with tempfile.TemporaryDirectory() as work:
        corpora = {c: make_corpus(args.natgrad[0], args.data, work, c) for c in args.corpora}
        runs = {}
        for _ in range(args.rounds):
            for c, (train, docs) in corpora.items():
                passes = max(1, math.ceil(20 * max(args.batches) / docs))
                for batch in args.batches:
                    for b in args.natgrad:
                        model = os.path.join(work, "model.h5")
                        runs.setdefault((c, batch, b, 1, ""), []).append(
                            step_split(b, 1, train, batch, passes, model, {}))
                        for label, extra in variants:
                            runs.setdefault((c, batch, b, args.ranks, label), []).append(
                                step_split(b, args.ranks, train, batch, passes, model, extra))
    p = args.ranks
    print(f"K = 100, rank 0's ms a step, medians of {args.rounds} rounds")
    print(f"| corpus | batch | binary | 1 rank | {p} ranks: local, communication, rest | 1 → {p} ranks |")
    print("|---|---|---|---|---|---|")
    for c in corpora:
        for batch in args.batches:
            for b in args.natgrad:
                one = statistics.median(r[0] for r in runs[(c, batch, b, 1, "")]) * 1e3
                for label, _ in variants:
                    rows = runs[(c, batch, b, p, label)]
                    step, local, comm, rest = (statistics.median(r[i] for r in rows) * 1e3 for i in range(4))
                    name = b + (f", {label}" if label else "")
                    print(f"| {c} | {batch} | {name} | {one:.1f} | {step:.1f}: {local:.1f}, {comm:.1f}, {rest:.1f} "
                          f"| {one / step:.2f}× |")


if __name__ == "__main__":
    main()
