#!/usr/bin/env python3
"""Benchmark natgrad against scikit-learn's and gensim's online LDA on one corpus.

usage: compare_peers.py CORPUS [--topics K] [--passes P] [--ranks 1 2] [--threads 1] [--init-scales 1 auto]
                         [--repeats 3] [--data DIR] [--natgrad BIN]

CORPUS names a folder of the shared data (kos, nips, debdesc, ...) holding
docword.CORPUS.txt.gz and vocab.CORPUS.txt. The corpus is converted and split
with `natgrad convert --split-every 10`; every system then makes P passes over
the same training documents with the same K, alpha = eta = 1/K, batch size 256,
tau0 = 10 and kappa = 0.7, and every system's topic-word matrix is scored with
`natgrad evaluate` (document completion on the same held-out documents). Each
system runs in a process of its own, so that its peak memory can be read.
natgrad runs once for each number of ranks and each number of threads per
rank (solver.threads; with more than one, mpirun --bind-to none, so that a
rank's threads are not all bound to its one core), and for each start of λ
given (--init-scales: model.init_scale, 1 by default).

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
import itertools
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

from bench_common import convert_uci_split, mpi_env

ROOT = Path(__file__).resolve().parents[2]
BATCH, TAU0, KAPPA = 256, 10.0, 0.7


# Runs argv[1:] and prints, last, its wall seconds and the peak resident memory (MB) of the largest process it
# waited for: a wrapper of its own per command, since a process's RUSAGE_CHILDREN keeps the largest of all its
# children ever.
WRAPPER = ("import resource, subprocess, sys, time; t = time.perf_counter(); r = subprocess.run(sys.argv[1:]); "
           "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024); "
           "sys.exit(r.returncode)")


def run_child(cmd, **kwargs):
    """Runs cmd; returns (stdout, wall seconds, peak RSS in MB of the largest process it ran)."""
    out = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], check=True, capture_output=True, text=True,
                         env=mpi_env(), **kwargs).stdout
    *lines, last = out.rstrip("\n").split("\n")
    wall, peak = (float(x) for x in last.split())
    return "\n".join(lines), wall, peak


def load_csr(path):
    with h5py.File(path, "r") as f:
        return (f["indptr"][:], f["indices"][:], f["counts"][:], int(f.attrs["num_docs"]),
                int(f.attrs["vocab_size"]), int(f.attrs["num_tokens"]))


def write_lambda_as_model(lam, alpha, path, template):
    """A natgrad model file holding another system's topic-word matrix and its alpha (for natgrad evaluate), the
    rest copied from `template`, a natgrad model file (which holds lambda as tensors alone)."""
    k, v = lam.shape
    with h5py.File(template, "r") as t, h5py.File(path, "w") as f:
        for name, value in t.attrs.items():
            f.attrs[name] = value
        for name in ("vocab", "history", "layout"):
            if name in t:
                t.copy(name, f)
        # Groups of attributes, one by one (h5py's copy of a group of many string attributes crashes in HDF5 1.10.8).
        for name in ("config", "solver", "data"):
            group = f.create_group(name)
            for key, value in t[name].attrs.items():
                group.attrs[key] = value
        model = f.create_group("model")
        for name, value in t["model"].attrs.items():
            model.attrs[name] = value
        model.attrs["topics"] = k
        model["lambda"] = lam.astype(np.float64)
        model["alpha"] = alpha
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


# natgrad's variants: fixed priors (1/K) and the Robbins-Monro schedule; learned priors; the adaptive step.
VARIANTS = {
    "fixed": [],
    "learned": ["--model.alpha", "auto", "--model.eta", "auto"],
    "alpha": ["--model.alpha", "auto"],
    "adaptive": ["--solver.schedule", "adaptive"],
    "adaptive+alpha": ["--solver.schedule", "adaptive", "--model.alpha", "auto"],
}

PEERS = {
    "sklearn": "scikit-learn online LDA, n_jobs=1",
    "gensim": "gensim LdaMulticore, workers=1",
    "gensim-auto": "gensim LdaModel, alpha=eta='auto'",
}


def peer(name, train, lam_out, k, passes, seed):
    """Runs in a child process: fits one peer on the training documents in a shuffled order (a permutation
    drawn with the seed), saves its lambda and alpha, prints its training seconds."""
    indptr, indices, counts, d, v, _ = load_csr(train)
    order = np.random.default_rng(seed).permutation(d)
    if name == "sklearn":
        import scipy.sparse as sp
        from sklearn.decomposition import LatentDirichletAllocation
        x = sp.csr_matrix((counts.astype(np.float64), indices, indptr), shape=(d, v))[order]
        lda = LatentDirichletAllocation(n_components=k, doc_topic_prior=1.0 / k, topic_word_prior=1.0 / k,
                                        learning_method="online", learning_offset=TAU0, learning_decay=KAPPA,
                                        batch_size=BATCH, max_iter=passes, total_samples=d, n_jobs=1,
                                        evaluate_every=-1, max_doc_update_iter=100, mean_change_tol=1e-3,
                                        random_state=seed)
        start = time.perf_counter()
        lda.fit(x)
        seconds = time.perf_counter() - start
        lam, alpha = lda.components_, np.full(k, 1.0 / k)
    else:
        from gensim.models import LdaModel, LdaMulticore
        corpus = [list(zip(indices[indptr[i]:indptr[i + 1]].tolist(), counts[indptr[i]:indptr[i + 1]].tolist()))
                  for i in order]
        common = dict(num_topics=k, id2word={i: str(i) for i in range(v)}, chunksize=BATCH, passes=passes,
                      decay=KAPPA, offset=TAU0, iterations=100, gamma_threshold=1e-3, eval_every=None,
                      random_state=seed)
        start = time.perf_counter()
        if name == "gensim":
            lda = LdaMulticore(corpus, workers=1, alpha=np.full(k, 1.0 / k), eta=1.0 / k, **common)
        else:
            lda = LdaModel(corpus, alpha="auto", eta="auto", update_every=1, **common)
        seconds = time.perf_counter() - start
        lam, alpha = lda.state.get_lambda(), np.asarray(lda.alpha, dtype=np.float64)
    np.save(lam_out, lam)
    np.save(str(lam_out) + ".alpha.npy", alpha)
    print(json.dumps({"seconds": seconds}))


def run_vw(vw, train, k, passes, seed, work):
    """Fits Vowpal Wabbit's online LDA (vw --lda, the same algorithm) on the training documents in the shuffled
    order the other peers get: the same K, alpha (--lda_alpha), eta (--lda_rho), batch (--minibatch), schedule
    (-l 1 --initial_t tau0 --power_t kappa) and passes. Its input is written as text first (not timed: as natgrad's
    convert is not). Returns (lambda K x V from its readable model, training seconds, whole-process seconds,
    peak MB): whole is the process's wall time, reading its input and writing its model included; training is
    that less the same process doing nothing with the same input (vw --noop: reading and parsing it)."""
    indptr, indices, counts, d, v, _ = load_csr(train)
    order = np.random.default_rng(seed).permutation(d)
    data, model, cache = work / f"vw_s{seed}.txt", work / f"vw_s{seed}.model.txt", work / f"vw_s{seed}.cache"
    with open(data, "w") as out:
        for i in order:
            out.write(" | " + " ".join(f"{w}:{c}" for w, c in zip(indices[indptr[i]:indptr[i + 1]],
                                                                 counts[indptr[i]:indptr[i + 1]])) + "\n")
    bits = max(1, int(np.ceil(np.log2(v))))  # word w is feature w: rows 0 ... V - 1 of the model
    common = ["-b", str(bits), "-d", str(data), "--quiet"]
    if passes > 1:
        common += ["--passes", str(passes), "-c", "-k", "--holdout_off", "--cache_file", str(cache)]
    _, whole, rss = run_child([vw, *common, "--lda", str(k), "--lda_alpha", str(1.0 / k), "--lda_rho", str(1.0 / k),
                               "--lda_D", str(d), "--minibatch", str(BATCH), "-l", "1", "--initial_t", str(TAU0),
                               "--power_t", str(KAPPA), "--random_seed", str(seed), "--readable_model", str(model)])
    if cache.exists():
        cache.unlink()
    _, parse, _ = run_child([vw, *common, "--noop"])
    lam = np.zeros((k, v))
    with open(model) as f:
        for line in f:
            fields = line.split()
            if len(fields) == k + 1 and fields[0].isdigit() and int(fields[0]) < v:
                lam[:, int(fields[0])] = [float(x) for x in fields[1:]]
    return lam, whole - parse, whole, rss


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--topics", type=int, default=100)
    parser.add_argument("--passes", type=int, nargs="+", default=[1])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1],
                        help="solver.seed of natgrad's runs, and the peers' random_state and document order")
    parser.add_argument("--variants", nargs="+", default=["fixed"], choices=list(VARIANTS),
                        help="natgrad's settings (fixed: priors 1/K, Robbins-Monro; learned: model.alpha = "
                             "model.eta = auto; alpha: model.alpha = auto; adaptive: solver.schedule = adaptive)")
    parser.add_argument("--peers", nargs="*", default=["sklearn", "gensim"], choices=list(PEERS))
    parser.add_argument("--vw", help="a Vowpal Wabbit 9.x binary (vw) to run as a peer; not packaged for Debian, so "
                                     "built by hand from its public source (without it: skipped, with a note)")
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--threads", type=int, nargs="+", default=[1], help="solver.threads of each natgrad run")
    parser.add_argument("--init-scales", nargs="+", default=["1"],
                        help="model.init_scale of each natgrad run (a number or auto), each a row of its own")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--natgrad", default=str(ROOT / "build" / "natgrad"))
    parser.add_argument("--repeats", type=int, default=3,
                        help="natgrad runs per configuration and seed (the median time is reported; peers run once)")
    parser.add_argument("--no-flops", action="store_true", help="skip the local step's flop-rate measurement")
    parser.add_argument("--peer", help=argparse.SUPPRESS)
    parser.add_argument("--train", help=argparse.SUPPRESS)
    parser.add_argument("--lambda-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer:
        return peer(args.peer, args.train, args.lambda_out, args.topics, args.passes[0], args.seeds[0])

    name, k = args.corpus, args.topics
    data = Path(args.data) / name
    if not (data / f"docword.{name}.txt.gz").exists():
        data = ROOT / "jobs" / "data" / name
    work = Path(tempfile.mkdtemp(prefix=f"natgrad_bench_{name}_"))
    train, test = work / "train.h5", work / "test.h5"
    convert_uci_split(args.natgrad, str(data), name, train, test)
    _, _, _, d, v, tokens = load_csr(train)
    print(f"{name}: {d} training documents, {v} words, {tokens} tokens; K = {k}, batch {BATCH}, tau0 {TAU0}, "
          f"kappa {KAPPA}, alpha = eta = 1/K (but where learned), seeds {args.seeds}; the peers see the training "
          f"documents in a shuffled order (a permutation drawn with the seed), natgrad in its own (its minibatches "
          f"are drawn with the seed); machine: {os.cpu_count()} cores; natgrad build: {build_flags(args.natgrad)}")

    def evaluate(model):
        out = subprocess.run([args.natgrad, "evaluate", "--model", str(model), "--data", str(test)],
                             check=True, capture_output=True, text=True, env=mpi_env()).stdout
        return float(out.split("perplexity")[1].split()[0])

    for passes in args.passes:
        rows = []  # (label, [train seconds], [whole-process seconds], peak MB, [perplexities], is_peer)
        template = None
        for variant in args.variants:
            for ranks, threads, init_scale in itertools.product(args.ranks, args.threads, args.init_scales):
                binding = ["--bind-to", "none"] if threads > 1 else []
                train_s, whole_s, perplexities, rss = [], [], [], 0.0
                for seed in args.seeds:
                    model = work / f"natgrad_{variant}_np{ranks}_t{threads}_i{init_scale}_s{seed}.h5"
                    times, walls = [], []
                    for _ in range(args.repeats):
                        # One rank runs as a user would: natgrad alone (no MPI then), not under mpirun.
                        launcher = [] if ranks == 1 else ["mpirun", *binding, "-np", str(ranks)]
                        _, wall, peak = run_child([*launcher, args.natgrad, "fit",
                                                   "--model.topics", str(k), "--data.train", str(train),
                                                   "--solver.batch_size", str(BATCH), "--solver.tau0", str(TAU0),
                                                   "--solver.kappa", str(KAPPA), "--solver.epochs", str(passes),
                                                   "--solver.seed", str(seed), "--solver.threads", str(threads),
                                                   "--eval.every_steps", "0", "--model.init_scale", init_scale,
                                                   "--output.model", str(model), *VARIANTS[variant]])
                        walls.append(wall)
                        rss = max(rss, peak)
                        with h5py.File(model, "r") as f:
                            times.append(float(f["solver"].attrs["train_seconds"]))
                    train_s.append(float(np.median(times)))
                    whole_s.append(float(np.median(walls)))
                    perplexities.append(evaluate(model))
                    template = template or model
                label = f"natgrad {variant}, {ranks} rank{'s' if ranks > 1 else ''}"
                if len(args.threads) > 1 or threads > 1:
                    label += f" x {threads} thread{'s' if threads > 1 else ''}"
                if len(args.init_scales) > 1 or init_scale != "1":
                    label += f", init_scale {init_scale}"
                rows.append((label, train_s, whole_s, rss, perplexities, False))
        for peer_name in args.peers:
            module = "sklearn" if peer_name == "sklearn" else "gensim"
            try:
                __import__(module)
            except ImportError:
                print(f"skipping {peer_name}: python3-{module} is not installed (apt-get install python3-{module})")
                continue
            train_s, whole_s, perplexities, rss = [], [], [], 0.0
            for seed in args.seeds:
                lam_path = work / f"{peer_name}_s{seed}.npy"
                out, wall, peak = run_child([sys.executable, __file__, name, "--peer", peer_name, "--train",
                                             str(train), "--lambda-out", str(lam_path), "--topics", str(k),
                                             "--passes", str(passes), "--seeds", str(seed)])
                whole_s.append(wall)
                rss = max(rss, peak)
                train_s.append(json.loads(out.strip().splitlines()[-1])["seconds"])
                model = work / f"{peer_name}_s{seed}.h5"
                write_lambda_as_model(np.load(lam_path), np.load(str(lam_path) + ".alpha.npy"), model, template)
                perplexities.append(evaluate(model))
            rows.append((PEERS[peer_name], train_s, whole_s, rss, perplexities, True))
        if args.vw:
            train_s, whole_s, perplexities, rss = [], [], [], 0.0
            for seed in args.seeds:
                lam, seconds, whole, peak = run_vw(args.vw, train, k, passes, seed, work)
                train_s.append(seconds)
                whole_s.append(whole)
                rss = max(rss, peak)
                model = work / f"vw_s{seed}.h5"
                write_lambda_as_model(lam, np.full(k, 1.0 / k), model, template)
                perplexities.append(evaluate(model))
            version = subprocess.run([args.vw, "--version"], capture_output=True, text=True).stdout.split()[0]
            rows.append((f"Vowpal Wabbit {version} --lda", train_s, whole_s, rss, perplexities, True))
        else:
            print("skipping Vowpal Wabbit: no --vw PATH given (it is not packaged for Debian: build it from its "
                  "public source to compare)")

        peers = [r for r in rows if r[5]]
        fastest = min((np.mean(r[1]) for r in peers), default=None)
        fastest_whole = min((np.mean(r[2]) for r in peers), default=None)
        best = min((np.mean(r[4]) for r in peers), default=None)
        print(f"\n{passes} pass(es): mean over seeds {args.seeds} (perplexity: mean [min, max])")
        print("| system | s / pass (training) | whole process s | tokens / s | peak MB | held-out perplexity |"
              " speed vs fastest peer (training; whole) | perplexity vs best peer |")
        print("|---|---|---|---|---|---|---|---|")
        for label, train_s, whole_s, rss, perplexities, _ in rows:
            seconds, whole, perplexity = np.mean(train_s), np.mean(whole_s), np.mean(perplexities)
            speed = f"{fastest / seconds:.1f}x; {fastest_whole / whole:.1f}x" if fastest else "-"
            quality = f"{perplexity / best:.3f}" if best else "-"
            spread = f" [{min(perplexities):.1f}, {max(perplexities):.1f}]" if len(perplexities) > 1 else ""
            print(f"| {label} | {seconds / passes:.2f} | {whole:.2f} | {tokens * passes / seconds:,.0f} | {rss:.0f} |"
                  f" {perplexity:.1f}{spread} | {speed} | {quality} |")
        natgrad_rows = [r for r in rows if not r[5]]
        if len(args.ranks) > 1 and len(natgrad_rows) >= 2:
            print(f"\nnatgrad speed-up over {natgrad_rows[0][0]}: " +
                  ", ".join(f"{r[0]} {np.mean(natgrad_rows[0][1]) / np.mean(r[1]):.2f}x" for r in natgrad_rows[1:]))
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
