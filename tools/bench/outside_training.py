#!/usr/bin/env python3
"""The time outside training of a one-pass fit: LDA, K = 100, batch 256, seed 1, one rank, no held-out data, on
two corpora made here from ../shared/data:
  debdesc   the Debian descriptions (V = 13,184), split as compare_peers.py splits them (--split-every 10);
  text68k   the same descriptions from raw text with natgrad convert text's defaults and the English stop words
            (V = 68,623: λ of 55 MB), split the same way.
Each round runs every binary given once on each corpus, in turn (so that a slow moment of the machine falls on
all of them). Prints per binary and corpus the medians over the rounds of: the whole process's wall seconds
(measured here), training (the model file's train_seconds), natgrad's own split of the rest (reading the data,
building the model, writing the model file; binaries that predate the split print "-") and what is left (the
process's start and exit), and the share of all that is not training in the training time.
Then, per corpus, the floor that this machine sets under the time outside training, measured in the same rounds:
a process's start and exit (natgrad --version), and writing the model file's bytes and syncing them (the first
binary's file, written from Python); and what 10 % of the first binary's training time leaves for all the rest
(reading the data and building the model).

usage: python3 tools/bench/outside_training.py [--natgrad build/natgrad [BIN ...]] [--data ../shared/data]
                                               [--runs 7] [--corpora debdesc text68k]
"""
import argparse
import os
import re
import statistics
import subprocess
import tempfile
import time

import h5py

from bench_common import convert_uci_split, mpi_env  # the script's folder is on sys.path

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PARTS = re.compile(r"^outside training \(rank 0\): reading the data ([0-9.]+) s, building the model ([0-9.]+) s, "
                   r"evaluations and checkpoints [0-9.]+ s, writing the model ([0-9.]+) s", re.M)


def make_corpora(natgrad, data, work, names):
    """The training part of each corpus named, as a natgrad corpus file in work."""
    made = {}
    for name in names:
        out, heldout = os.path.join(work, name + ".h5"), os.path.join(work, name + "_test.h5")
        if name == "debdesc":
            convert_uci_split(natgrad, os.path.join(data, "debdesc"), "debdesc", out, heldout)
        else:
            subprocess.run([natgrad, "convert", "text", os.path.join(data, "debdesc", "descriptions.debdesc.jsonl.gz"),
                            "--field", "text", "--stop-words", os.path.join(data, "stopwords", "english.txt"),
                            "--split-every", "10", "--out", out, "--heldout-out", heldout], check=True,
                           stdout=subprocess.DEVNULL, env=mpi_env())
        made[name] = out
    return made


def fit(natgrad, train, model):
    """One fit: (wall, training, [reading, building, writing] or None, the model file's size in bytes)."""
    cmd = [natgrad, "fit", "--model.type", "lda", "--model.topics", "100", "--data.train", train,
           "--solver.batch_size", "256", "--solver.epochs", "1", "--solver.seed", "1", "--eval.every_steps", "0",
           "--output.model", model]
    start = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, check=True, env=mpi_env())
    wall = time.perf_counter() - start
    with h5py.File(model, "r") as f:
        training = float(f["solver"].attrs["train_seconds"])
    size = os.path.getsize(model)
    os.remove(model)
    m = PARTS.search(r.stdout)
    return wall, training, [float(x) for x in m.groups()] if m else None, size


def floor(natgrad, size, path):
    """Seconds of a process's start and exit, and of writing `size` bytes to a new file and syncing them."""
    start = time.perf_counter()
    subprocess.run([natgrad, "--version"], check=True, stdout=subprocess.DEVNULL, env=mpi_env())
    process = time.perf_counter() - start
    block = bytes(1 << 20)
    start = time.perf_counter()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    for at in range(0, size, len(block)):
        os.write(fd, block[:min(len(block), size - at)])
    os.fsync(fd)
    os.close(fd)
    writing = time.perf_counter() - start
    os.remove(path)
    return process, writing


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--natgrad", nargs="+", default=[os.path.join(ROOT, "build", "natgrad")])
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--corpora", nargs="+", default=["debdesc", "text68k"], choices=["debdesc", "text68k"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as work:
        corpora = make_corpora(args.natgrad[0], args.data, work, args.corpora)
        runs = {(b, c): [] for b in args.natgrad for c in corpora}
        floors = {c: [] for c in corpora}
        for _ in range(args.runs):
            for c, train in corpora.items():
                for b in args.natgrad:
                    runs[(b, c)].append(fit(b, train, os.path.join(work, "model.h5")))
                floors[c].append(floor(args.natgrad[0], runs[(args.natgrad[0], c)][-1][3],
                                       os.path.join(work, "bytes")))
    print(f"one pass, K = 100, batch 256, 1 rank; medians of {args.runs} runs, seconds")
    print("| binary | corpus | wall | training | reading | building | writing | start and exit | outside / training |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (b, c), rows in runs.items():
        wall = statistics.median(r[0] for r in rows)
        training = statistics.median(r[1] for r in rows)
        outside = statistics.median(r[0] - r[1] for r in rows)
        if all(r[2] is not None for r in rows):
            parts = [statistics.median(r[2][i] for r in rows) for i in range(3)]
            rest = statistics.median(r[0] - r[1] - sum(r[2]) for r in rows)
            split = [f"{x:.3f}" for x in parts + [rest]]
        else:
            split = ["-"] * 4
        print(f"| {b} | {c} | {wall:.3f} | {training:.3f} | " + " | ".join(split) +
              f" | {outside:.3f} ({100 * outside / training:.0f} %) |")
    print()
    print(f"the floor under it on this machine, {args.natgrad[0]}'s model files; medians, seconds")
    print("| corpus | model file MB | start and exit | writing the file's bytes and syncing | 10 % of training |"
          " left for reading and building |")
    print("|---|---|---|---|---|---|")
    for c, rows in floors.items():
        process = statistics.median(r[0] for r in rows)
        writing = statistics.median(r[1] for r in rows)
        budget = 0.1 * statistics.median(r[1] for r in runs[(args.natgrad[0], c)])
        size = runs[(args.natgrad[0], c)][0][3] / 1e6
        print(f"| {c} | {size:.1f} | {process:.3f} | {writing:.3f} | {budget:.3f} | {budget - process - writing:.3f} |")


if __name__ == "__main__":
    main()
