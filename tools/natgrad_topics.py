#!/usr/bin/env python3
"""Print the top words of each topic of a natgrad LDA model or checkpoint.

usage: natgrad_topics.py MODEL.h5 [--top N]

Also prints the last held-out metric of the run's history. Refuses files
that are not natgrad models, or that have a newer schema than this tool reads.
A thin wrapper over natgrad_tools.py (which see for more).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import natgrad_tools as nt  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--top", type=int, default=10, help="words per topic (default 10)")
    args = parser.parse_args()
    nt.PROG = "natgrad_topics"
    model = nt.read_model(args.model)
    for k, words in nt.top_words(model, args.top):
        print(f"topic {k:3d}: " + " ".join(w for w, _ in words))
    h = model.history
    name = nt.metric_name(h)
    last = h[-1]
    print(f"held-out {name} {last[name]:.2f} after {int(last['step'])} steps ({last['epoch']:.2f} epochs)")


if __name__ == "__main__":
    main()
