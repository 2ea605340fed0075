#!/usr/bin/env python3
"""Benchmark natgrad's hierarchical Poisson factorization against scikit-learn's NMF and a popularity baseline.

usage: compare_hpf.py [--natgrad build/natgrad] [--ranks 1,2] [--factors 50] [--epochs 5] [--batch-size 1024]
                      [--natgrad-option KEY=VALUE ...]
                      [--data debdeps,nips,debdesc,synthetic] [--synthetic-users 60000] [--synthetic-items 2000]
                      [--synthetic-counts 300] [--synthetic-factors 10] [--nmf-max-iter 100] [--skip-nmf DATA,...]
                      [--workdir DIR]
       compare_hpf.py --item-scaling [--natgrad ...] [--ranks 2] [--factors 50]

Data sets, users x items counts, each split by `--holdout-fraction 0.2 --seed 1` (a fifth of each user's non-zeros
held out; users with fewer than 5 stay whole in training):
  debdeps    ../shared/data/debdeps (Debian packages x the packages they depend on), `natgrad convert triples`;
  nips       ../shared/data/nips as documents x words counts, `natgrad convert uci`;
  debdesc    ../shared/data/debdesc as packages x words of their descriptions, `natgrad convert uci`;
  synthetic  `natgrad synth hpf --users U --items I --factors K --counts-per-user C` (true factors stored), fitted
             by every system with its own K (--synthetic-factors). Its defaults make the true factors findable: at
             25 counts per user and K = 50, batch VB started at the true factors leaves them (a mean Hellinger
             distance of 0.64 after 20 iterations: variational inference's own optimum lies elsewhere), so no
             recovery can be asked of a fit there; at 300 counts per user they stay within 0.13 (K = 50), and at
             K = 10 natgrad's start finds them; 60,000 users give 10^7 training non-zeros (see the README).
Systems, all with the same K and the same split:
  natgrad    `mpirun -np P natgrad fit` (SVI, solver.epochs passes of minibatches of solver.batch_size users,
             tau0 = 10, kappa = 0.7, Gopalan et al.'s priors 0.3/0.3/1; on the synthetic set the priors that drew
             it, from its /truth attributes), then `natgrad infer` on the training file
             for every user's E[theta_u] (the local step on its training entries with beta fixed, as evaluate does);
  nmf        sklearn.decomposition.NMF(beta_loss='kullback-leibler', solver='mu', init='nndsvda', max_iter,
             random_state=0): maximum-likelihood Poisson factorization, one pass over the data per iteration;
  popularity the rate of user u and item i is n_u c_i / C (n_u: the user's training total, c_i: the item's, C: all);
  truth      (synthetic only) the theta and beta that drew the counts, scored like the fits: a bound (theta as
             drawn, where a fit infers each user's from the training entries).
Every system's rates E[y_ui] = theta_u . beta_i are scored by the same function (score below): the held-out Poisson
log-likelihood per held-out non-zero, sum over held-out non-zeros of log Poisson(y_ui | max(rate, 1e-10)) divided by
their number; and over the users with held-out items that are multiples of ceil(U / 1000) (natgrad's
model.ranking_users = 1000, so that its own figures cross-check), all items not in the user's training entries
ranked by rate (ties by item id): precision@20 (hits / min(20, held-out items), Gopalan et al.'s normalisation),
recall@20 (hits / held-out items) and NDCG@20 (binary relevance), averaged over those users.
Times: fit seconds (natgrad: /solver train_seconds of the model file; NMF: its fit_transform) and wall seconds of
the whole child (natgrad: fit and infer, start-up, reading, evaluation and writing included). Peak MB: the largest
process's maximum resident set (getrusage of a wrapper's children: mpirun and the ranks; NMF its own process).
Recovery (synthetic): the true and fitted factors (natgrad's E[beta_k], NMF's rows of H; normalised over the items)
matched one to one by the Hungarian algorithm on their Hellinger distances (natgrad_tools compare), mean and max
distance reported; recovered means a mean distance of at most RECOVERY_TOLERANCE (two true factors are some 0.7
apart; tests/models/hpf's HpfRecovery holds natgrad to the same bound on a small set).

--item-scaling: training seconds per step as the items grow (10^4, 10^5, 10^6 items, 20,000 users of 20 counts
drawn by synth hpf, 30 steps of 1024 users), and the items a step touches: the cost the exact step's pass over
every item adds (see the README, "Hierarchical Poisson factorization").
"""
import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

from bench_common import mpi_env

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "tools"))
import natgrad_tools as nt  # noqa: E402
from natgrad_tools.hpf import Factors  # noqa: E402

TOP_K = 20
RANKING_USERS = 1000
RATE_FLOOR = 1e-10
RECOVERY_TOLERANCE = 0.15
TRUTH = "truth (the generating theta, beta)"


def factors(name, args):
    """The K that draws (synthetic) and fits data set `name`, the same for every system."""
    return args.synthetic_factors if name == "synthetic" else args.factors


def run_logged(cmd, log):
    with open(log, "w") as out:
        subprocess.run(cmd, check=True, stdout=out, stderr=subprocess.STDOUT, env=mpi_env())


def csr(path):
    with h5py.File(path, "r") as f:
        import scipy.sparse as sp
        return sp.csr_matrix((f["counts"][:].astype(np.float64), f["indices"][:], f["indptr"][:]),
                             shape=(int(f.attrs["num_docs"]), int(f.attrs["vocab_size"])))


def score(theta, beta, train, test):
    """The held-out figures of rates theta [U, K] . beta [I, K]: (loglik per held-out non-zero, precision@20,
    recall@20, NDCG@20, users ranked)."""
    from scipy.special import gammaln
    test = test.tocoo()
    rate = np.maximum(np.einsum("nk,nk->n", theta[test.row], beta[test.col]), RATE_FLOOR)
    loglik = float((test.data * np.log(rate) - rate - gammaln(test.data + 1)).sum() / test.nnz)
    test = test.tocsr()
    users = test.shape[0]
    stride = max(1, math.ceil(users / RANKING_USERS))
    ranked = [u for u in range(0, users, stride) if test.indptr[u + 1] > test.indptr[u]]
    discount = 1.0 / np.log2(np.arange(TOP_K) + 2.0)
    sums = np.zeros(3)
    for chunk in range(0, len(ranked), 256):
        us = ranked[chunk:chunk + 256]
        scores = theta[us] @ beta.T
        for row, u in enumerate(us):
            s = scores[row]
            s[train.indices[train.indptr[u]:train.indptr[u + 1]]] = -np.inf
            top = np.argsort(-s, kind="stable")[:TOP_K]
            held = test.indices[test.indptr[u]:test.indptr[u + 1]]
            hit = np.isin(top, held)
            n = len(held)
            sums += [hit.sum() / min(TOP_K, n), hit.sum() / n, (hit * discount).sum() / discount[:min(TOP_K, n)].sum()]
    p, r, ndcg = sums / len(ranked)
    return loglik, p, r, ndcg, len(ranked)


def prepare(name, args, work):
    """(train.h5, test.h5) of a data set, made once in work."""
    train, test = work / f"{name}.h5", work / f"{name}_test.h5"
    if train.exists() and test.exists():
        return train, test
    split = ["--holdout-fraction", "0.2", "--seed", "1", "--heldout-out", str(test), "--out", str(train)]
    ng = args.natgrad
    if name == "debdeps":
        cmd = [ng, "convert", "triples", str(SHARED / "debdeps/triples.debdeps.tsv.gz")] + split
    elif name in ("nips", "debdesc"):
        cmd = [ng, "convert", "uci", str(SHARED / f"{name}/docword.{name}.txt.gz"),
               str(SHARED / f"{name}/vocab.{name}.txt")] + split
    else:
        cmd = [ng, "synth", "hpf", "--users", str(args.synthetic_users), "--items", str(args.synthetic_items),
               "--factors", str(factors(name, args)), "--counts-per-user", str(args.synthetic_counts)] + split  # --seed: both
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return train, test


def fit_natgrad(np_, train, test, args, work, tag):
    model, theta = work / f"{tag}_np{np_}.h5", work / f"{tag}_np{np_}_theta.h5"
    mpirun = ["mpirun", "-np", str(np_), args.natgrad]
    fit = mpirun + ["fit", "--model.type", "hpf", "--model.factors", str(factors(tag, args)), "--data.train", str(train),
                    "--data.heldout", str(test), "--solver.batch_size", str(args.batch_size), "--solver.epochs",
                    str(args.epochs), "--solver.seed", "1", "--eval.every_steps", "0", "--output.model", str(model)]
    if tag == "synthetic":  # the priors that drew the data (natgrad's defaults are Gopalan et al.'s, for real data)
        with h5py.File(train, "r") as f:
            drawn = f["truth"].attrs
            for key in ("a", "a_prime", "b_prime", "c", "c_prime", "d_prime"):
                fit += [f"--model.{key}", repr(float(drawn[key]))]
    for option in args.natgrad_option:  # KEY=VALUE: a job key, e.g. solver.schedule=adaptive
        key, _, value = option.partition("=")
        fit += [f"--{key}", value]
    infer = mpirun + ["infer", "--model", str(model), "--data", str(train), "--out", str(theta), "--top", "1"]
    code = ("import resource, subprocess, sys, json, time; t = time.perf_counter(); "
            f"[subprocess.run(c, check=True, stdout=open(sys.argv[1], 'a')) for c in {json.dumps([fit, infer])}]; "
            "print(json.dumps([time.perf_counter() - t, "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024]))")
    out = subprocess.run([sys.executable, "-c", code, str(work / f"{tag}_np{np_}.log")], check=True,
                         capture_output=True, text=True, env=mpi_env()).stdout
    wall, peak = json.loads(out)
    m = nt.read_model(str(model))
    with h5py.File(theta, "r") as f:
        th = f["theta"][:]
    own = m.history[-1]
    return dict(system=f"natgrad, {np_} rank{'s' if np_ > 1 else ''}", fit=float(m.solver["train_seconds"]),
                wall=wall, peak=peak, theta=th, beta=m.beta, model=str(model),
                own=(float(own["heldout_loglik"]), float(own[f"precision_at_{TOP_K}"])))


NMF_CHILD = r"""
import json, resource, sys, time
import h5py, numpy as np, scipy.sparse as sp
from sklearn.decomposition import NMF
with h5py.File(sys.argv[1], "r") as f:
    x = sp.csr_matrix((f["counts"][:].astype(np.float64), f["indices"][:], f["indptr"][:]),
                      shape=(int(f.attrs["num_docs"]), int(f.attrs["vocab_size"])))
t = time.perf_counter()
m = NMF(n_components=int(sys.argv[3]), beta_loss="kullback-leibler", solver="mu", init="nndsvda",
        max_iter=int(sys.argv[4]), random_state=0)
w = m.fit_transform(x)
fit = time.perf_counter() - t
np.savez(sys.argv[2], theta=w, beta=m.components_.T)
print(json.dumps([fit, int(m.n_iter_), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]))
"""


def fit_nmf(train, args, work, tag):
    out = work / f"{tag}_nmf.npz"
    start = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", NMF_CHILD, str(train), str(out), str(factors(tag, args)),
                          str(args.nmf_max_iter)], check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - start
    fit, iters, peak = json.loads(res.splitlines()[-1])
    z = np.load(out)
    return dict(system=f"sklearn NMF (KL, mu), {iters} iterations", fit=fit, wall=wall, peak=peak, theta=z["theta"],
                beta=z["beta"])


def popularity(train):
    n_u = np.asarray(train.sum(axis=1)).ravel()
    c_i = np.asarray(train.sum(axis=0)).ravel()
    return dict(system="popularity", fit=0.0, wall=0.0, peak=0.0, theta=n_u[:, None], beta=(c_i / c_i.sum())[:, None])


def truth(train):
    """The rates that drew a synthetic set (its /truth), scored as a fit would be: a bound for the fits."""
    with h5py.File(train, "r") as f:
        return dict(system=TRUTH, fit=0.0, wall=0.0, peak=0.0,
                    theta=f["truth/theta"][:], beta=f["truth/beta"][:])


def compare(args, work):
    rows = []
    for name in args.data.split(","):
        train, test = prepare(name, args, work)
        xtr, xte = csr(train), csr(test)
        print(f"{name}: {xtr.shape[0]} users, {xtr.shape[1]} items, {xtr.nnz} training and {xte.nnz} held-out "
              f"non-zeros", flush=True)
        runs = [fit_natgrad(int(p), train, test, args, work, name) for p in args.ranks.split(",")]
        if name not in args.skip_nmf.split(","):
            runs.append(fit_nmf(train, args, work, name))
        runs.append(popularity(xtr))
        if name == "synthetic":
            runs.append(truth(train))
        for r in runs:
            ll, p, rec, ndcg, users = score(r["theta"], r["beta"], xtr, xte)
            row = dict(data=name, system=r["system"], fit=r["fit"], wall=r["wall"], peak=r["peak"], loglik=ll,
                       precision=p, recall=rec, ndcg=ndcg, users=users)
            if "own" in r and abs(r["own"][0] - ll) > 1e-6 * abs(ll):
                print(f"  warning: natgrad's own held-out log-likelihood {r['own'][0]:.6f} differs from {ll:.6f}")
            # A fit of K factors (not the truth, which is what it is compared with). NMF may leave a factor all
            # zero: floored, it compares as the uniform distribution.
            if name == "synthetic" and r["system"] != TRUTH and r["beta"].shape[1] == factors(name, args):
                fitted = Factors(r["system"], np.maximum(r["beta"], 1e-12))
                pairs, dist = nt.align(fitted, str(train))
                row["recovery"] = (float(dist.mean()), float(dist.max()))
            rows.append(row)
            print("  " + json.dumps({k: (round(v, 6) if isinstance(v, float) else v) for k, v in row.items()}),
                  flush=True)
    print(f"\nK = {args.factors} (synthetic: {args.synthetic_factors}); natgrad: {args.epochs} passes, batch {args.batch_size} {' '.join(args.natgrad_option)}; NMF max_iter "
          f"{args.nmf_max_iter}; ranking metrics at {TOP_K} over the users of every ceil(U / {RANKING_USERS})-th row")
    print("| data | system | fit s | wall s | peak MB | held-out loglik | precision@20 | recall@20 | NDCG@20 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['data']} | {r['system']} | {r['fit']:.2f} | {r['wall']:.1f} | {r['peak']:.0f} | "
              f"{r['loglik']:.4f} | {r['precision']:.4f} | {r['recall']:.4f} | {r['ndcg']:.4f} |")
    for r in rows:
        if "recovery" in r:
            verdict = "recovered" if r["recovery"][0] <= RECOVERY_TOLERANCE else "NOT recovered"
            print(f"recovery ({r['system']}): mean Hellinger distance {r['recovery'][0]:.4f}, "
                  f"max {r['recovery'][1]:.4f} between the true and fitted factors matched one to one: {verdict} "
                  f"(tolerance: a mean of {RECOVERY_TOLERANCE})")


def item_scaling(args, work):
    np_ = args.ranks.split(",")[-1]
    print(f"K = {args.factors}, 20,000 users of ~20 counts, 30 steps of 1024 users, {np_} ranks")
    print("|  items | s/step | items touched / step | λ MB |")
    print("|---|---|---|---|")
    for items in (10_000, 100_000, 1_000_000):
        data = work / f"scale_{items}.h5"
        subprocess.run([args.natgrad, "synth", "hpf", "--users", "20000", "--items", str(items), "--factors", "20",
                        "--counts-per-user", "20", "--seed", "1", "--out", str(data)], check=True,
                       stdout=subprocess.DEVNULL)
        model = work / "scale_model.h5"
        log = work / "scale.log"
        run_logged(["mpirun", "-np", np_, args.natgrad, "fit", "--model.type", "hpf", "--model.factors",
                      str(args.factors), "--data.train", str(data), "--solver.batch_size", "1024",
                      "--solver.max_steps", "30", "--eval.every_steps", "0", "--output.model", str(model)], log)
        m = nt.read_model(str(model))
        touched = [line for line in open(log) if "blocks of λ touched" in line][-1]
        blocks = touched.split(";")[-1].split("blocks")[0].strip()
        print(f"| {items:,} | {float(m.solver['train_seconds']) / 30:.4f} | {blocks} | "
              f"{items * (args.factors + 1) * 8 / 1e6:.0f} |", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--natgrad", default=str(ROOT / "build" / "natgrad"))
    p.add_argument("--ranks", default="1,2")
    p.add_argument("--factors", type=int, default=50)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--natgrad-option", action="append", default=[], metavar="KEY=VALUE",
                   help="a further job key of natgrad's fit, e.g. solver.schedule=adaptive (repeatable)")
    p.add_argument("--data", default="debdeps,nips,debdesc,synthetic")
    p.add_argument("--synthetic-users", type=int, default=60_000)
    p.add_argument("--synthetic-items", type=int, default=2_000)
    p.add_argument("--synthetic-counts", type=float, default=300.0)
    p.add_argument("--synthetic-factors", type=int, default=10, help="K of the synthetic set, drawn and fitted")
    p.add_argument("--nmf-max-iter", type=int, default=100)
    p.add_argument("--skip-nmf", default="", help="data sets (comma-separated) to fit without NMF")
    p.add_argument("--item-scaling", action="store_true")
    p.add_argument("--workdir")
    args = p.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="compare_hpf_"))
    work.mkdir(parents=True, exist_ok=True)
    (item_scaling if args.item_scaling else compare)(args, work)


if __name__ == "__main__":
    main()
