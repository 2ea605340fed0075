"""Convergence plots (matplotlib, imported only here)."""
import os

import numpy as np

from .metrics import history, metric_label, metric_name


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
    top.set_ylabel(" / ".join(metric_label(n) for n in metrics))
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
