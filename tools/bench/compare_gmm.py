#!/usr/bin/env python3
"""Benchmark natgrad's Bayesian Gaussian mixture against scikit-learn's BayesianGaussianMixture.

usage: compare_gmm.py [--natgrad build/natgrad] [--ranks 1,2] [--components 10] [--covariance full|diag]
                      [--epochs 10] [--batch-size 256] [--points 1000000] [--dim 10] [--seed 1]
                      [--sklearn-max-iter matched,500] [--skip-digits] [--skip-synthetic] [--workdir DIR]

Data sets, each split with --split-every 10 (one row in ten held out):
  digits     ../shared/data/digits/digits.csv.gz (1797 x 64 pixels, label in the last column), by
             `natgrad convert csv FILE --label-column last`;
  synthetic  `natgrad synth gmm --components K --dim D --points N --seed S --covariance C`.
Systems, all with the same K, covariance type and prior (weight concentration 1/K, mean precision 1, prior
mean = the training data's mean, degrees of freedom D, Wishart inverse scale W0^-1 = the training data's
covariance (ddof 1) + 1e-6 I, its diagonal for 'diag'):
  natgrad    `mpirun -np P natgrad fit --config job.ini` for each P in --ranks (SVI: solver.epochs passes of
             minibatches of solver.batch_size points, Robbins-Monro steps tau0 = 10, kappa = 0.7; k-means++ start);
  sklearn    BayesianGaussianMixture(weight_concentration_prior_type='dirichlet_distribution', init k-means,
             n_init 1, reg_covar 0, random_state 0): batch (coordinate ascent) variational Bayes, one pass over
             the training data per iteration. Fairness of max_iter: 'matched' = --epochs, the same number of
             passes over the data as natgrad makes; a second row (default 500, tol 1e-3) runs it to convergence.
Every fitted model is scored by the same Python function (natgrad_tools.heldout_loglik): the average over the
held-out points of log sum_k E[pi_k] St(x | m_k, L_k, nu_k + 1 - D), L_k = ((nu_k + 1 - D) beta_k / (1 + beta_k)) W_k
(diag: a product of 1-D Student-t's with nu_k and W_kd), from natgrad's model file and from sklearn's
weight_concentration_, mean_precision_, means_, degrees_of_freedom_ and covariances_ (= W_k^-1 / nu_k). natgrad's own
last /history heldout_loglik must equal that score to 1e-6 (a warning is printed otherwise).
Each system runs in a child process of its own. Times: wall seconds of the whole child (natgrad: mpirun, start-up,
reading the data, evaluation at the start and the end, writing the model; sklearn: python start-up, reading the data,
fit), and fit seconds (natgrad's /solver train_seconds; the time of sklearn's fit()). points/s = training points x
passes / fit seconds. Peak MB: the largest process's maximum resident set (natgrad: getrusage(RUSAGE_CHILDREN) of a
small wrapper that runs mpirun, which covers mpirun and the ranks; sklearn: getrusage(RUSAGE_SELF) of its own process,
started by the same wrapper). Exits with status 1 after the tables when there were warnings.
"""
import argparse
import json
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

from bench_common import mpi_env

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import natgrad_tools as nt  # noqa: E402

LOGLIK_TOL = 1e-6


# A process forked from this one (numpy, h5py, the data loaded) would report this process's resident set as its
# own peak (Linux keeps the high-water mark across exec), so every child is started by this small wrapper, and the
# peak of the command is the wrapper's getrusage(RUSAGE_CHILDREN): the largest of the processes it reaped (mpirun
# and the ranks), with the wrapper's own few MB as the floor.
WRAPPER = ("import resource, subprocess, sys\n"
           "status = subprocess.call(sys.argv[2:])\n"
           "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
           "sys.exit(status)\n")


def run_measured(cmd, log):
    """Runs cmd with stdout and stderr to log; returns (wall seconds, peak RSS in MB of the largest process of it
    and its descendants). Stops the benchmark with the log's tail if cmd fails."""
    peak_file = Path(f"{log}.peak_kb")
    with open(log, "w") as out:
        start = time.perf_counter()
        status = subprocess.call([sys.executable, "-I", "-S", "-c", WRAPPER, str(peak_file), *cmd], stdout=out,
                                 stderr=subprocess.STDOUT, env=mpi_env())
        wall = time.perf_counter() - start
    if status != 0:
        tail = Path(log).read_text(errors="replace")[-3000:]
        raise SystemExit(f"compare_gmm: {' '.join(map(shlex.quote, cmd))} exited {status}:\n{tail}")
    return wall, int(peak_file.read_text()) / 1024.0


def has_truth(path):
    with h5py.File(path, "r") as f:
        return "truth" in f


def machine():
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mem = ""
    try:
        kb = int(next(l for l in open("/proc/meminfo") if l.startswith("MemTotal")).split()[1])
        mem = f", {kb / 2**20:.0f} GiB memory"
    except (OSError, StopIteration, ValueError):
        pass
    return f"nproc {cores}, {model}{mem}"


def prior_of(x, k, covariance):
    """The prior both systems use (natgrad's defaults), computed from the training data x [N, D]."""
    d = x.shape[1]
    scale = np.cov(x, rowvar=False, ddof=1).reshape(d, d) + 1e-6 * np.eye(d)
    return {"weight_concentration": 1.0 / k, "mean_precision": 1.0, "mean": x.mean(axis=0),
            "degrees_of_freedom": float(d), "scale": scale if covariance == "full" else np.diag(scale).copy()}


# ---- scikit-learn, in a child process ------------------------------------------------------------------------

def sklearn_child(args):
    """Fits BayesianGaussianMixture on args.train; saves its variational parameters to args.params; prints JSON."""
    from sklearn.mixture import BayesianGaussianMixture
    with h5py.File(args.train, "r") as f:
        x = f["data"][:]
    prior = prior_of(x, args.components, args.covariance)
    est = BayesianGaussianMixture(
        n_components=args.components, covariance_type=args.covariance,
        weight_concentration_prior_type="dirichlet_distribution",
        weight_concentration_prior=prior["weight_concentration"], mean_precision_prior=prior["mean_precision"],
        mean_prior=prior["mean"], degrees_of_freedom_prior=prior["degrees_of_freedom"],
        covariance_prior=prior["scale"], max_iter=args.max_iter, tol=1e-3, reg_covar=0.0, n_init=1,
        init_params="kmeans", random_state=0)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # ConvergenceWarning when max_iter is reached: reported below
        start = time.perf_counter()
        est.fit(x)
        seconds = time.perf_counter() - start
    np.savez(args.params, weight_concentration=est.weight_concentration_, mean_precision=est.mean_precision_,
             means=est.means_, degrees_of_freedom=est.degrees_of_freedom_, covariances=est.covariances_)
    print(json.dumps({"seconds": seconds, "n_iter": int(est.n_iter_), "converged": bool(est.converged_),
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))


def sklearn_model(params_path, covariance):
    """natgrad_tools.GmmModel of sklearn's fit: W_k^-1 = covariances_ * nu_k."""
    p = np.load(params_path)
    nu = p["degrees_of_freedom"]
    inv_scale = p["covariances"] * (nu[:, None, None] if covariance == "full" else nu[:, None])
    return nt.GmmModel.from_state(p["weight_concentration"], p["mean_precision"], nu, p["means"], inv_scale,
                                  covariance, path=str(params_path))


# ---- one data set ---------------------------------------------------------------------------------------------

def bench(name, train, test, args, work, sklearn_ok):
    x = nt.read_dense(train)["data"]
    x_test = nt.read_dense(test)["data"]
    n, d = x.shape
    k = args.components
    print(f"\n== {name}: {n} training and {len(x_test)} held-out points, D = {d}; K = {k}, {args.covariance} "
          f"covariances; natgrad {args.epochs} epoch(s) of batches of {args.batch_size}")
    prior = prior_of(x, k, args.covariance)
    rows, warnings = [], []
    for ranks in args.ranks:
        model = work / f"{name}_natgrad_np{ranks}.h5"
        job = work / f"{name}_np{ranks}.ini"
        job.write_text("\n".join([
            "[model]", "type = gmm", f"components = {k}", f"covariance = {args.covariance}",
            "[data]", f"train = {train}", f"heldout = {test}",
            "[solver]", f"batch_size = {args.batch_size}", f"epochs = {args.epochs}",
            "[eval]", "every_steps = 0",
            "[output]", f"model = {model}", ""]))
        wall, peak = run_measured(args.mpirun + ["-np", str(ranks), args.natgrad, "fit", "--config", str(job)],
                                  work / f"{name}_np{ranks}.log")
        m = nt.read_model(str(model))
        fit_seconds = float(m.solver["train_seconds"])
        score = nt.heldout_loglik(m, x_test)
        h = m.history
        own = float(h["heldout_loglik"][-1])
        if int(h["step"][-1]) != int(m.solver["step"]):
            warnings.append(f"{model}: the last /history row is step {int(h['step'][-1])}, the model step "
                            f"{m.solver['step']}; its heldout_loglik is not of the final model")
        if not abs(own - score) <= LOGLIK_TOL * max(1.0, abs(score)):
            warnings.append(f"{model}: natgrad's own heldout_loglik {own!r} differs from the Python score {score!r} "
                            f"by {abs(own - score):.3g} (> {LOGLIK_TOL:g})")
        else:
            print(f"natgrad at {ranks} rank(s): its own last heldout_loglik {own:.10g} equals the Python score "
                  f"{score:.10g} (difference {abs(own - score):.2g})")
        for key in ("mean", "scale"):            # natgrad's default prior is the one sklearn is given
            if not np.allclose(m.prior[key], prior[key], rtol=1e-9, atol=1e-12):
                warnings.append(f"{model}: prior {key} differs from the data's (max difference "
                                f"{np.abs(m.prior[key] - prior[key]).max():.3g}); sklearn's prior is not natgrad's")
        rows.append({"system": "natgrad SVI", "ranks": ranks, "wall": wall, "fit": fit_seconds,
                     "passes": float(m.solver["epoch"]), "peak": peak, "loglik": score, "note": ""})
    if sklearn_ok:
        for max_iter in args.sklearn_max_iter:
            params = work / f"{name}_sklearn_{max_iter}.npz"
            log = work / f"{name}_sklearn_{max_iter}.log"
            wall, _ = run_measured([sys.executable, __file__, "--sklearn-child", "--train", str(train),
                                    "--params", str(params), "--components", str(k), "--covariance",
                                    args.covariance, "--max-iter", str(max_iter)], log)
            out = json.loads(Path(log).read_text().strip().splitlines()[-1])
            score = nt.heldout_loglik(sklearn_model(params, args.covariance), x_test)
            note = (f"max_iter {max_iter}: {out['n_iter']} iterations, "
                    + ("converged (tol 1e-3)" if out["converged"] else "not converged"))
            rows.append({"system": "sklearn BayesianGMM", "ranks": 1, "wall": wall, "fit": out["seconds"],
                         "passes": out["n_iter"], "peak": out["peak_mb"], "loglik": score, "note": note})
    ref = next((r for r in rows if r["system"].startswith("sklearn")), None)
    print(f"\n| system | ranks | wall s | fit s | passes | points/s | peak MB | held-out avg loglik |"
          f" fit speed vs sklearn | peak MB vs sklearn | loglik - sklearn | note |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        rate = n * r["passes"] / r["fit"] if r["fit"] > 0 else float("inf")
        if ref:
            ratios = (f"{ref['fit'] / r['fit']:.2f}x | {r['peak'] / ref['peak']:.2f} | "
                      f"{r['loglik'] - ref['loglik']:+.4f}")
        else:
            ratios = "- | - | -"
        print(f"| {r['system']} | {r['ranks']} | {r['wall']:.2f} | {r['fit']:.3f} | {r['passes']:g} | {rate:,.0f} |"
              f" {r['peak']:.0f} | {r['loglik']:.6f} | {ratios} | {r['note']} |")
    if ref:
        print(f"(ratios against the first sklearn row, {ref['note']}; the held-out log-likelihood is compared as a "
              "difference in nats per point, higher is better)")
    else:
        print("(scikit-learn missing: no ratios)")
    for w in warnings:
        print(f"WARNING: {w}")
    return rows, warnings


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--natgrad", default=str(ROOT / "build" / "natgrad"))
    parser.add_argument("--mpirun", default="mpirun", help="launcher and its options (default mpirun)")
    parser.add_argument("--ranks", default="1,2", help="comma-separated rank counts (default 1,2)")
    parser.add_argument("--components", type=int, default=10, help="K, for both data sets (default 10)")
    parser.add_argument("--covariance", choices=("full", "diag"), default="full")
    parser.add_argument("--epochs", type=int, default=10, help="natgrad's passes over the data (default 10)")
    parser.add_argument("--batch-size", type=int, default=256, help="natgrad's points per step (default 256)")
    parser.add_argument("--points", type=int, default=1_000_000, help="synthetic points N (default 10^6)")
    parser.add_argument("--dim", type=int, default=10, help="synthetic dimension D (default 10)")
    parser.add_argument("--seed", type=int, default=1, help="seed of natgrad synth gmm (default 1)")
    parser.add_argument("--sklearn-max-iter", default="matched,500",
                        help="comma-separated max_iter of sklearn's fits, 'matched' = --epochs (default matched,500)")
    parser.add_argument("--digits", default=str(ROOT.parent / "shared" / "data" / "digits" / "digits.csv.gz"))
    parser.add_argument("--skip-digits", action="store_true")
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--workdir", help="folder for data, job files, models and logs (default: a new temporary one)")
    parser.add_argument("--sklearn-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--train", help=argparse.SUPPRESS)
    parser.add_argument("--params", help=argparse.SUPPRESS)
    parser.add_argument("--max-iter", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sklearn_child:
        return sklearn_child(args)

    args.ranks = [int(r) for r in args.ranks.split(",") if r]
    args.sklearn_max_iter = [args.epochs if v.strip() == "matched" else int(v) for v in args.sklearn_max_iter.split(",")
                             if v.strip()]
    args.mpirun = shlex.split(args.mpirun)
    args.natgrad = str(Path(args.natgrad).resolve())
    if not os.access(args.natgrad, os.X_OK):
        raise SystemExit(f"compare_gmm: no natgrad binary at {args.natgrad} (--natgrad)")
    help_text = subprocess.run([args.natgrad, "fit", "--help"], capture_output=True, text=True).stdout
    if "components" not in help_text:
        raise SystemExit(f"compare_gmm: {args.natgrad} has no gmm model ('fit --help' does not mention components)")
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="natgrad_bench_gmm_"))
    work.mkdir(parents=True, exist_ok=True)
    work = work.resolve()

    try:
        import sklearn
        sklearn_ok = True
        sk = f"scikit-learn {sklearn.__version__}"
    except ImportError:
        sklearn_ok = False
        sk = "scikit-learn missing (apt-get install python3-sklearn): skipped"
    print(f"machine: {machine()}; {sk}; numpy {np.__version__}; natgrad {args.natgrad}")
    print(f"sklearn max_iter: {', '.join(map(str, args.sklearn_max_iter))} (natgrad makes {args.epochs} passes)")

    def natgrad(*cmd):
        subprocess.run([args.natgrad, *cmd], check=True, cwd=work, stdout=subprocess.DEVNULL)

    all_warnings = []
    if not args.skip_digits:
        if Path(args.digits).exists():
            natgrad("convert", "csv", args.digits, "--label-column", "last", "--out", "digits_train.h5",
                    "--split-every", "10", "--heldout-out", "digits_test.h5")
            all_warnings += bench("digits", work / "digits_train.h5", work / "digits_test.h5", args, work,
                                  sklearn_ok)[1]
        else:
            print(f"\nskipping digits: {args.digits} does not exist (--digits)")
    if not args.skip_synthetic:
        name = f"synthetic_N{args.points}_D{args.dim}_K{args.components}"
        start = time.perf_counter()
        natgrad("synth", "gmm", "--components", str(args.components), "--dim", str(args.dim), "--points",
                str(args.points), "--seed", str(args.seed), "--covariance", args.covariance, "--out",
                f"{name}_train.h5", "--split-every", "10", "--heldout-out", f"{name}_test.h5")
        print(f"\n(natgrad synth gmm: {time.perf_counter() - start:.1f} s)")
        rows, warnings = bench(name, work / f"{name}_train.h5", work / f"{name}_test.h5", args, work, sklearn_ok)
        all_warnings += warnings
        truth = next(p for p in (work / f"{name}_train.h5", work / f"{name}_test.h5") if has_truth(p))
        for ranks in args.ranks:
            pairs, dist = nt.align(str(work / f"{name}_natgrad_np{ranks}.h5"), str(truth))
            print(f"natgrad at {ranks} rank(s) vs the true components: 2-Wasserstein distance mean {dist.mean():.4f},"
                  f" max {dist.max():.4f}")
        if sklearn_ok:
            for max_iter in args.sklearn_max_iter:
                m = sklearn_model(work / f"{name}_sklearn_{max_iter}.npz", args.covariance)
                pairs, dist = nt.align(m, str(truth))
                print(f"sklearn max_iter {max_iter} vs the true components: 2-Wasserstein distance mean "
                      f"{dist.mean():.4f}, max {dist.max():.4f}")
    print(f"\n(work files in {work})")
    if all_warnings:
        print(f"{len(all_warnings)} warning(s), above")
        sys.exit(1)


if __name__ == "__main__":
    main()
