#!/usr/bin/env python3
"""Raw text to a bag of words, natgrad against its peers on the same work: the 61,486 Debian descriptions of
../shared/data/debdesc/descriptions.debdesc.jsonl.gz (JSON lines, gzip), lowercased, tokens [a-z]{3,}, the English
stop words dropped, words in at least 3 documents kept, to a natgrad corpus file. natgrad convert text does it in
one command; scikit-learn's CountVectorizer and gensim's Dictionary (with doc2bow) read the same lines with Python's
json and gzip, and their matrix goes to the same kind of file through nt.write_corpus. Prints wall seconds, peak
memory and the corpus each made (documents, words, tokens), which must agree.

usage: python3 tools/bench/convert_text.py [--natgrad build/natgrad] [--data ../shared/data] [--repeats 3]
"""
import argparse
import gzip
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import natgrad_tools as nt  # noqa: E402


def peers(system, data, out):
    """Runs one peer in this (child) process; prints seconds and peak MB."""
    start = time.perf_counter()
    with open(os.path.join(data, "stopwords", "english.txt"), encoding="utf-8") as f:
        stop = f.read().split()
    texts = (json.loads(line)["text"] for line in gzip.open(os.path.join(data, "debdesc", "descriptions.debdesc.jsonl.gz"),
                                                             "rt", encoding="utf-8"))
    if system == "scikit-learn":
        from sklearn.feature_extraction.text import CountVectorizer
        cv = CountVectorizer(token_pattern=r"[a-z]{3,}", stop_words=stop, min_df=3)
        x = cv.fit_transform(texts)
        vocab = cv.get_feature_names_out()
    else:
        from gensim.corpora import Dictionary
        from gensim.matutils import corpus2csc
        stopped = set(stop)
        docs = [[w for w in re.findall(r"[a-z]{3,}", t.lower()) if w not in stopped] for t in texts]
        d = Dictionary(docs)
        d.filter_extremes(no_below=3, no_above=1.0, keep_n=None)
        bow = [d.doc2bow(doc) for doc in docs]
        x = corpus2csc(bow, num_terms=len(d), num_docs=len(bow)).T.tocsr()
        order = sorted(range(len(d)), key=lambda i: d[i])  # natgrad's order: words sorted
        x, vocab = x[:, order], [d[i] for i in order]
    nt.write_corpus(x, vocab, out)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{time.perf_counter() - start:.3f} {peak:.0f}")


def measure(cmd):
    start = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True, check=True)
    return time.perf_counter() - start, int(r.stderr.strip().splitlines()[-1]) / 1024, r.stdout


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--natgrad", default=os.path.join(HERE, "..", "..", "build", "natgrad"))
    p.add_argument("--data", default=os.path.join(HERE, "..", "..", "..", "shared", "data"))
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--peer", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.peer:
        return peers(args.peer, args.data, args.out)
    work = tempfile.mkdtemp(prefix="natgrad_bench_text_")
    source = os.path.join(args.data, "debdesc", "descriptions.debdesc.jsonl.gz")
    natgrad = [args.natgrad, "convert", "text", source, "--field", "text", "--token-pattern", "[a-z]{3,}",
               "--stop-words", os.path.join(args.data, "stopwords", "english.txt"), "--min-df", "3"]
    rows = []
    for system in ("natgrad", "scikit-learn", "gensim"):
        out = os.path.join(work, f"{system}.h5")
        times, peaks = [], []
        for _ in range(args.repeats):
            if system == "natgrad":
                seconds, peak, _ = measure(natgrad + ["--out", out])
            else:
                try:
                    r = subprocess.run([sys.executable, __file__, "--peer", system, "--data", args.data, "--out", out],
                                       capture_output=True, text=True, check=True)
                except subprocess.CalledProcessError as e:
                    print(f"{system}: skipped ({e.stderr.strip().splitlines()[-1]})")
                    break
                seconds, peak = map(float, r.stdout.split())
            times.append(seconds)
            peaks.append(peak)
        if not times:
            continue
        with nt.open_checked(out, nt.CORPUS) as f:
            sizes = (int(f.attrs["num_docs"]), int(f.attrs["vocab_size"]), int(f.attrs["num_tokens"]))
        rows.append((system, sorted(times)[len(times) // 2], max(peaks), sizes))
    base = rows[0][1]
    print(f"{'system':14} {'median s':>9} {'peak MB':>8} {'vs natgrad':>10}  documents, words, tokens")
    for system, seconds, peak, sizes in rows:
        print(f"{system:14} {seconds:9.2f} {peak:8.0f} {seconds / base:9.1f}x  {sizes}")
    if len({r[3] for r in rows}) != 1:
        sys.exit("the systems made different corpora")


if __name__ == "__main__":
    main()
