#!/usr/bin/env python3
"""Benchmark natgrad against scikit-learn's and gensim's online LDA on one corpus.

usage: compare_peers.py CORPUS [--topics K] [--passes P] [--ranks 1 2] [--threads 1] [--repeats 3] [--data DIR] [--natgrad BIN]

CORPUS names a folder of the shared data (kos, nips, debdesc, ...) holding
docword.CORPUS.txt.gz and vocab.CORPUS.txt. The corpus is converted and split
with `natgrad convert --split-every 10`; every system then makes P passes over
the same training documents with the same K, alpha = eta = 1/K, batch size 256,
tau0 = 10 and kappa = 0.7, and every system's topic-word matrix is scored with
`natgrad evaluate` (document completion on the same held-out documents). Each
system runs in a process of its own, so that its peak memory can be read.
natgrad runs once for each number of ranks and each number of threads per
rank (solver.threads; with more than one, mpirun --bind-to none, so that a
rank's threads are not all bound to its one core).

Peers come from Debian's python3-sklearn and python3-gensim; a missing one is
skipped with a note. natgrad runs --repeats times (default 3; every run is
the same fit, bit for bit) and its median time is reported: a pass takes well
under a second, where one run's time is at the mercy of the machine's
noise; the peers, which take seconds, run once. Prints one table: system,
training seconds per pass,
tokens per second, peak memory, held-out perplexity, and ratios to the fastest
peer.

Then the floating-point rate of natgrad's local step (unless --no-flops): an
inner iteration of the local step costs 4·K flops per distinct word of the
document (2 in phinorm_w = Σ_k exp(E[log θ_k]) exp(E[log β_kw]), 2 in
t_k = Σ_w exp(E[log β_kw]) c_w / phinorm_w; the K-wide digamma and exp per
iteration are not counted, so the rate is a lower bound). Two 1-rank runs with
solver.local_tol = 1e-300, so that every document runs exactly
solver.local_max_iters = M iterations, M = 5 and 45, differ only in
40 · Σ_d n_d · 4K flops (n_d: document d's distinct words, from the corpus);
that over the difference of their training seconds (medians of 3) is the
achieved rate, printed against the peak of one core and of the machine:
cores × clock × FLOPs/cycle, with the clock from /proc/cpuinfo ('cpu MHz') and,
since the local step runs in single precision, 32 float FLOPs/cycle/core for
AVX2 + FMA (two 8-wide FMA pipes; AVX-512 on AMD Zen 4 runs 256 bits wide, so
32 there too), 16 for AVX, 8 for SSE2.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

from bench_common import mpi_env

ROOT = Path(__file__).resolve().parents[2]
BATCH, TAU0, KAPPA = 256, 10.0, 0.7


def run_child(cmd, **kwargs):
    """Runs cmd; returns (stdout, peak RSS in MB of the largest process it ran)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=mpi_env(), **kwargs).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return out, max(after, before) / 1024.0


def load_csr(path):
    with h5py.File(path, "r") as f:
        return (f["indptr"][:], f["indices"][:], f["counts"][:], int(f.attrs["num_docs"]),
                int(f.attrs["vocab_size"]), int(f.attrs["num_tokens"]))


def write_lambda_as_model(lam, path, template):
    """A natgrad model file holding another system's topic-word matrix (for natgrad evaluate)."""
    k, v = lam.shape
    with h5py.File(template, "r") as t, h5py.File(path, "w") as f:
        for name, value in t.attrs.items():
            f.attrs[name] = value
        for group in ("vocab", "config", "solver", "data", "history", "layout"):
            if group in t:
                t.copy(group, f)
        # The solver's form of lambda is natgrad's run's, not this system's: a file without it holds lambda alone.
        for name in ("lambda_offset", "lambda_offset_block_sum"):
            if name in f["solver"]:
                del f["solver"][name]
        if "lambda_scale" in f["solver"].attrs:
            del f["solver"].attrs["lambda_scale"]
        model = f.create_group("model")
        for name, value in t["model"].attrs.items():
            model.attrs[name] = value
        model.attrs["topics"] = k
        model["lambda"] = lam.astype(np.float64)
        model["alpha"] = np.full(k, 1.0 / k)
        model["eta"] = 1.0 / k


def build_flags(binary):
    """'native' when the binary's CMake cache says NATGRAD_NATIVE=ON, else 'portable' (or '?')."""
    cache = Path(binary).resolve().parent / "CMakeCache.txt"
    if not cache.exists():
        return "?"
    return "native" if "NATGRAD_NATIVE:BOOL=ON" in cache.read_text() else "portable"


def machine_peak():
    """(cores, GHz, single-precision FLOPs/cycle/core, assumption) from /proc/cpuinfo."""
    cores, mhz, flags = os.cpu_count(), None, set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "cpu MHz" and mhz is None:
                mhz = float(value)
            elif key.strip() == "flags" and not flags:
                flags = set(value.split())
    except OSError:
        pass
    if {"avx2", "fma"} <= flags:
        per_cycle, why = 32, "AVX2+FMA: 2 FMA pipes x 8 floats x 2"
    elif "avx" in flags:
        per_cycle, why = 16, "AVX: 8-wide add + 8-wide mul"
    else:
        per_cycle, why = 8, "SSE2: 4-wide add + 4-wide mul"
    return cores, (mhz or 0.0) / 1000.0, per_cycle, why


def local_step_rate(natgrad, train, k, work):
    """Achieved GFLOP/s of the local step's inner iterations, from two runs of known iteration counts."""
    indptr, _, _, d, _, _ = load_csr(train)
    words = int(indptr[-1] - indptr[0])  # Σ_d n_d over the training documents, each visited once per pass
    low, high, repeats = 5, 45, 3
    seconds = {}
    for iters in (low, high):
        times = []
        for _ in range(repeats):
            model = work / f"flops_{iters}.h5"
            subprocess.run([natgrad, "fit", "--model.topics", str(k), "--data.train", str(train),
                            "--solver.batch_size", str(BATCH), "--solver.tau0", str(TAU0),
                            "--solver.kappa", str(KAPPA), "--solver.epochs", "1", "--eval.every_steps", "0",
                            "--solver.local_max_iters", str(iters), "--solver.local_tol", "1e-300",
                            "--output.model", str(model)], check=True, capture_output=True, env=mpi_env())
            with h5py.File(model, "r") as f:
                times.append(float(f["solver"].attrs["train_seconds"]))
        seconds[iters] = float(np.median(times))
    flops = (high - low) * words * 4.0 * k
    return flops, seconds[high] - seconds[low], seconds


def peer(name, train, lam_out, k, passes):
    """Runs in a child process: fits one peer, saves its lambda, prints its training seconds."""
    indptr, indices, counts, d, v, _ = load_csr(train)
    if name == "sklearn":
        import scipy.sparse as sp
        from sklearn.decomposition import LatentDirichletAllocation
        x = sp.csr_matrix((counts.astype(np.float64), indices, indptr), shape=(d, v))
        lda = LatentDirichletAllocation(n_components=k, doc_topic_prior=1.0 / k, topic_word_prior=1.0 / k,
                                        learning_method="online", learning_offset=TAU0, learning_decay=KAPPA,
                                        batch_size=BATCH, max_iter=passes, total_samples=d, n_jobs=1,
                                        evaluate_every=-1, max_doc_update_iter=100, mean_change_tol=1e-3,
                                        random_state=0)
        start = time.perf_counter()
        lda.fit(x)
        seconds = time.perf_counter() - start
        lam = lda.components_
    else:
        from gensim.models import LdaMulticore
        corpus = [list(zip(indices[indptr[i]:indptr[i + 1]].tolist(), counts[indptr[i]:indptr[i + 1]].tolist()))
                  for i in range(d)]
        start = time.perf_counter()
        lda = LdaMulticore(corpus, num_topics=k, id2word={i: str(i) for i in range(v)}, workers=1,
                           chunksize=BATCH, passes=passes, alpha=np.full(k, 1.0 / k), eta=1.0 / k,
                           decay=KAPPA, offset=TAU0, iterations=100, gamma_threshold=1e-3,
                           eval_every=None, random_state=0)
        seconds = time.perf_counter() - start
        lam = lda.state.get_lambda()
    np.save(lam_out, lam)
    print(json.dumps({"seconds": seconds}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--topics", type=int, default=100)
    parser.add_argument("--passes", type=int, default=1)
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--threads", type=int, nargs="+", default=[1], help="solver.threads of each natgrad run")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--natgrad", default=str(ROOT / "build" / "natgrad"))
    parser.add_argument("--repeats", type=int, default=3,
                        help="natgrad runs per configuration (the median time is reported; peers run once)")
    parser.add_argument("--no-flops", action="store_true", help="skip the local step's flop-rate measurement")
    parser.add_argument("--peer", help=argparse.SUPPRESS)
    parser.add_argument("--train", help=argparse.SUPPRESS)
    parser.add_argument("--lambda-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer:
        return peer(args.peer, args.train, args.lambda_out, args.topics, args.passes)

    name, k = args.corpus, args.topics
    data = Path(args.data) / name
    if not (data / f"docword.{name}.txt.gz").exists():
        data = ROOT / "jobs" / "data" / name
    work = Path(tempfile.mkdtemp(prefix=f"natgrad_bench_{name}_"))
    train, test = work / "train.h5", work / "test.h5"
    subprocess.run([args.natgrad, "convert", "uci", str(data / f"docword.{name}.txt.gz"),
                    str(data / f"vocab.{name}.txt"), "--out", str(train), "--split-every", "10",
                    "--heldout-out", str(test)], check=True, capture_output=True)
    _, _, _, d, v, tokens = load_csr(train)
    print(f"{name}: {d} training documents, {v} words, {tokens} tokens; K = {k}, {args.passes} pass(es), "
          f"batch {BATCH}, tau0 {TAU0}, kappa {KAPPA}, alpha = eta = 1/K; machine: {os.cpu_count()} cores; "
          f"natgrad build: {build_flags(args.natgrad)}")

    def evaluate(model):
        out = subprocess.run([args.natgrad, "evaluate", "--model", str(model), "--data", str(test)],
                             check=True, capture_output=True, text=True, env=mpi_env()).stdout
        return float(out.split("perplexity")[1].split()[0])

    rows = []
    template = None
    for ranks in args.ranks:
        for threads in args.threads:
            model = work / f"natgrad_np{ranks}_t{threads}.h5"
            binding = ["--bind-to", "none"] if threads > 1 else []
            times, rss = [], 0.0
            for _ in range(args.repeats):
                _, peak = run_child(["mpirun", *binding, "-np", str(ranks), args.natgrad, "fit",
                                     "--model.topics", str(k), "--data.train", str(train),
                                     "--solver.batch_size", str(BATCH), "--solver.tau0", str(TAU0),
                                     "--solver.kappa", str(KAPPA), "--solver.epochs", str(args.passes),
                                     "--solver.threads", str(threads), "--eval.every_steps", "0",
                                     "--output.model", str(model)])
                rss = max(rss, peak)
                with h5py.File(model, "r") as f:
                    times.append(float(f["solver"].attrs["train_seconds"]))
            seconds = float(np.median(times))
            label = f"natgrad, {ranks} rank{'s' if ranks > 1 else ''}"
            if len(args.threads) > 1 or threads > 1:
                label += f" x {threads} thread{'s' if threads > 1 else ''}"
            rows.append((label, seconds, rss, evaluate(model), False))
            template = template or model
    for peer_name, module in (("sklearn", "sklearn"), ("gensim", "gensim")):
        try:
            __import__(module)
        except ImportError:
            print(f"skipping {peer_name}: python3-{peer_name} is not installed (apt-get install python3-{peer_name})")
            continue
        lam_path = work / f"{peer_name}.npy"
        out, rss = run_child([sys.executable, __file__, name, "--peer", peer_name, "--train", str(train),
                              "--lambda-out", str(lam_path), "--topics", str(k), "--passes", str(args.passes)])
        seconds = json.loads(out.strip().splitlines()[-1])["seconds"]
        model = work / f"{peer_name}.h5"
        write_lambda_as_model(np.load(lam_path), model, template)
        label = "scikit-learn 1.2 online LDA, n_jobs=1" if peer_name == "sklearn" else "gensim LdaMulticore, workers=1"
        rows.append((label, seconds, rss, evaluate(model), True))

    peers = [r for r in rows if r[4]]
    fastest = min((r[1] for r in peers), default=None)
    best = min((r[3] for r in peers), default=None)
    print(f"\n| system | s / pass | tokens / s | peak MB (largest process) | held-out perplexity |"
          f" speed vs fastest peer | perplexity vs best peer |")
    print("|---|---|---|---|---|---|---|")
    for label, seconds, rss, perplexity, _ in rows:
        per_pass = seconds / args.passes
        speed = f"{fastest / seconds:.1f}x" if fastest else "-"
        quality = f"{perplexity / best:.3f}" if best else "-"
        print(f"| {label} | {per_pass:.2f} | {tokens * args.passes / seconds:,.0f} | {rss:.0f} | {perplexity:.1f} |"
              f" {speed} | {quality} |")
    natgrad_rows = [r for r in rows if not r[4]]
    if len(natgrad_rows) >= 2:
        print(f"\nnatgrad speed-up over {natgrad_rows[0][0]}: " +
              ", ".join(f"{r[0]} {natgrad_rows[0][1] / r[1]:.2f}x" for r in natgrad_rows[1:]))
    if not args.no_flops:
        flops, seconds, runs = local_step_rate(args.natgrad, train, k, work)
        cores, ghz, per_cycle, why = machine_peak()
        core_peak = ghz * per_cycle
        rate = flops / seconds / 1e9 if seconds > 0 else float("nan")
        print(f"\nlocal step, 1 rank: {flops / 1e9:.2f} GFLOP more in the run with 45 inner iterations per document "
              f"than with 5 ({runs[45]:.3f} s and {runs[5]:.3f} s training, medians of 3): {rate:.1f} GFLOP/s = "
              f"{100 * rate / core_peak:.0f} % of one core's peak {core_peak:.1f} GFLOP/s "
              f"({ghz:.2f} GHz x {per_cycle} FLOPs/cycle, {why}); machine peak {cores} x {core_peak:.1f} = "
              f"{cores * core_peak:.1f} GFLOP/s")
    print(f"(work files in {work})")


if __name__ == "__main__":
    main()
