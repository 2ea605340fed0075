"""Writing natgrad corpus files from Python: a document-term matrix (scikit-learn's CountVectorizer, gensim's
corpora through gensim.matutils.corpus2csc, any scipy.sparse matrix or dense array) and its vocabulary."""
import os
import socket

import h5py
import numpy as np

from .formats import CORPUS, SCHEMA_VERSIONS, strings_crc

__all__ = ["write_corpus"]

INT32_MAX = 2 ** 31 - 1


def vocabulary_hash(words):
    """natgrad's hash of a vocabulary (a corpus's vocab_hash): 64-bit FNV-1a of each word's UTF-8 bytes and a 0
    byte, in order, as 16 hex digits."""
    h = 0xcbf29ce484222325
    for w in words:
        for b in w.encode() + b"\0":
            h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def write_corpus(X, vocab, path, doc_names=None, doc_ids=None, source="natgrad_tools.write_corpus"):
    """Write the documents x words count matrix X with its vocabulary as a natgrad corpus file (format
    natgrad.corpus, schema version 1, as `natgrad convert` writes it: numbers in chunks with Fletcher-32 checksums,
    strings with their CRC-32), atomically: a temporary name unique to the process, synced and renamed when complete.

    X: anything scipy.sparse.csr_matrix takes, D x V, of whole non-negative counts (explicit zeros and repeated
    entries of a COO matrix are fine: repeats are summed, zeros dropped). vocab: V words (str). doc_names: D
    names (str) for /doc_names, optional; doc_ids: D source indices for /doc_ids (default 0 .. D-1).
    Returns the path. Raises ValueError naming what is wrong (then no file is left).
    """
    import scipy.sparse
    m = scipy.sparse.csr_matrix(X)
    m.sum_duplicates()
    m.eliminate_zeros()
    m.sort_indices()
    d, v = m.shape
    vocab = [str(w) for w in vocab]
    if len(vocab) != v:
        raise ValueError(f"{path}: the matrix has {v} columns (words) but the vocabulary {len(vocab)} words")
    if not 1 <= v <= INT32_MAX:
        raise ValueError(f"{path}: {v} words; a corpus has 1 to 2^31 - 1")
    counts = m.data
    if counts.size and not (np.all(np.isfinite(counts)) and np.all(counts >= 1) and np.all(counts <= INT32_MAX)
                            and np.all(counts == np.floor(counts))):
        bad = counts[~(np.isfinite(counts) & (counts >= 1) & (counts <= INT32_MAX) & (counts == np.floor(counts)))][0]
        raise ValueError(f"{path}: count {bad!r} is not a whole number from 1 to 2^31 - 1")
    ids = np.arange(d, dtype=np.int64) if doc_ids is None else np.asarray(doc_ids, dtype=np.int64)
    if ids.shape != (d,):
        raise ValueError(f"{path}: {ids.size} doc_ids for {d} documents")
    if doc_names is not None and len(doc_names) != d:
        raise ValueError(f"{path}: {len(doc_names)} doc_names for {d} documents")
    tmp = f"{path}.{socket.gethostname()}-{os.getpid()}.tmp"
    string = h5py.string_dtype(encoding="utf-8")

    def numbers(f, name, data):
        f.create_dataset(name, data=data, fletcher32=data.size > 0)  # an empty dataset has nothing to check

    def strings(f, name, values):
        f.create_dataset(name, data=values, dtype=string)
        f[name].attrs["crc32"] = np.int64(strings_crc(values))

    try:
        with h5py.File(tmp, "w", libver=("v108", "v108")) as f:
            numbers(f, "indptr", m.indptr.astype(np.int64))
            numbers(f, "indices", m.indices.astype(np.int32))
            numbers(f, "counts", counts.astype(np.int32))
            numbers(f, "doc_ids", ids)
            strings(f, "vocab", vocab)
            if doc_names is not None:
                strings(f, "doc_names", [str(n) for n in doc_names])
            f.attrs["format"] = CORPUS
            f.attrs["schema_version"] = np.int64(SCHEMA_VERSIONS[CORPUS])
            f.attrs["num_docs"] = np.int64(d)
            f.attrs["vocab_size"] = np.int64(v)
            f.attrs["num_tokens"] = np.int64(counts.astype(np.int64).sum())
            f.attrs["vocab_hash"] = vocabulary_hash(vocab)
            f.attrs["source"] = source
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path
