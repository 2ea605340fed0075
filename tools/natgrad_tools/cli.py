"""The command line: summary, plot, compare and export for every family, and each family's own subcommands
(add_commands: lda's topics, gmm's components)."""
import argparse
import sys

from . import registry
from .compare import align, comparable
from .export import export_assignments, export_model
from .formats import fail
from .model import Model, read_model
from .plots import plot_convergence
from .summaries import summary


def cmd_summary(args):
    for label, value in summary(args.file):
        if label.startswith("  "):
            print(f"{label} {value}")
        else:
            print(f"{label + ':':15} {value}".rstrip())


def cmd_plot(args):
    print(f"wrote {plot_convergence(args.files, args.out, args.x)}")


def cmd_compare(args):
    a, b = comparable(args.a), comparable(args.b)
    pairs, dist = align(a, b)
    fam = registry.family(a.type)
    side_b = f"{args.b} (B)" if isinstance(b, Model) else f"{args.b} (B, {b.source})"
    print(f"{fam.UNIT}s of {args.a} (A) matched one to one with those of {side_b} by the Hungarian algorithm")
    print(f"distance: {fam.DISTANCE}")
    for line in fam.compare_lines(a, b, pairs, dist):
        print(line)
    print(f"mean distance {dist.mean():.6f} (max {dist.max():.6f}) over {len(pairs)} {fam.UNIT}s")


def _flag_set(args, flag):
    return bool(getattr(args, flag.lstrip("-").replace("-", "_")))


def cmd_export(args):
    model = read_model(args.model)
    for fam in registry.families():
        if hasattr(fam, "check_export_args"):
            fam.check_export_args(args)
    for fam in registry.families():
        flags = getattr(fam, "EXPORT_FLAGS", ())
        if fam.TYPE != model.type and any(_flag_set(args, flag) for flag in flags):
            fail(args.model, f"is a {model.type} model; {' and '.join(flags)} are for {fam.TYPE} models")
    written = export_model(model, args.out, args.format)
    if args.theta:
        written += export_assignments(model, args.theta, args.out, args.format)
    fam = registry.family(model.type)
    if hasattr(fam, "export_extra"):
        written += fam.export_extra(model, args)
    for path in written:
        print(f"wrote {path}")


def parser():
    from . import __doc__ as doc
    fams = registry.families()
    p = argparse.ArgumentParser(prog="natgrad_tools.py", description=doc.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("summary", help="describe a model, checkpoint, corpus, dense data or theta file")
    s.add_argument("file")
    s.set_defaults(run=cmd_summary)
    for fam in fams:
        if hasattr(fam, "add_commands"):
            fam.add_commands(sub)
    s = sub.add_parser("plot", help="held-out metric and rho of one or more runs, as a PNG")
    s.add_argument("files", nargs="+", metavar="FILE")
    s.add_argument("--out", required=True, help="PNG to write")
    s.add_argument("--x", choices=("step", "seconds"), default="step")
    s.set_defaults(run=cmd_plot)
    units = " or ".join(f"{fam.UNIT}s" for fam in fams)
    s = sub.add_parser("compare", help=f"align the {units} of two models and report their distances")
    s.add_argument("a")
    s.add_argument("b", help="a second model" + "".join(f", or ({fam.TYPE}) {fam.REFERENCE_HELP}" for fam in fams
                                                         if hasattr(fam, "REFERENCE_HELP")))
    s.set_defaults(run=cmd_compare)
    s = sub.add_parser("export", help="model parameters and per-document/row results as npz/csv, and pyLDAvis JSON")
    s.add_argument("model")
    s.add_argument("--out", required=True, metavar="PREFIX",
                   help="; ".join(f"{fam.TYPE}: {fam.EXPORT_FILES}" for fam in fams))
    thetas = list(dict.fromkeys(["--theta"] + [f"--{fam.ASSIGNMENTS.key}" for fam in fams]))
    s.add_argument(*thetas, dest="theta", help="theta file from 'natgrad infer' ("
                   + "; ".join(f"{fam.TYPE}: {fam.ASSIGNMENTS.what}" for fam in fams) + ")")
    for fam in fams:
        if hasattr(fam, "add_export_arguments"):
            fam.add_export_arguments(s)
    s.add_argument("--format", choices=("npz", "csv"), default="npz")
    s.set_defaults(run=cmd_export)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except BrokenPipeError:
        sys.stderr.close()
