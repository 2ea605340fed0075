"""Checks a model file written by `natgrad fit` against the documented layout.

usage: check_model.py MODEL.h5 TRAIN.h5 HELDOUT.h5
"""
import sys

import h5py
import numpy as np


def check(condition, message):
    if not condition:
        sys.exit(f"FAIL: {message}")


model_path, train_path, heldout_path = sys.argv[1:4]
with h5py.File(train_path, "r") as train:
    d = int(train.attrs["num_docs"])
    v = int(train.attrs["vocab_size"])
    check(train.attrs["format"] == "natgrad.corpus", "corpus format attribute")
    check(train["indptr"].dtype == np.int64 and train["indptr"].shape == (d + 1,), "corpus indptr int64 [D+1]")
    check(train["indices"].dtype == np.int32, "corpus indices int32")
    check(int(train["counts"][:].sum()) == int(train.attrs["num_tokens"]), "corpus num_tokens")
    vocab = [w.decode() if isinstance(w, bytes) else w for w in train["vocab"][:]]
with h5py.File(heldout_path, "r") as test:
    check(int(test.attrs["num_docs"]) * 9 <= d <= int(test.attrs["num_docs"]) * 9 + 9, "split-every 10 sizes")

with h5py.File(model_path, "r") as f:
    check(f.attrs["format"] == "natgrad.model", "root attribute format")
    check(int(f.attrs["schema_version"]) == 3, "root attribute schema_version")
    # A model file holds lambda once, as the family's tensors; the solver's form is a checkpoint's.
    check("lambda_offset" not in f["solver"] and "lambda_base" not in f["solver"], "no solver's form of lambda")
    k = int(f["model"].attrs["topics"])
    check(f["model"].attrs["type"] == "lda", "model type")
    lam = f["model/lambda"][:]
    check(lam.shape == (k, v) and lam.dtype == np.float64, f"lambda shape {lam.shape}, expected {(k, v)}")
    check(np.all(lam > 0) and np.all(np.isfinite(lam)), "lambda positive and finite")
    check(f["model/alpha"].shape == (k,), "alpha [K]")
    eta = float(f["model/eta"][()])
    check(eta > 0, "eta > 0")
    # After one epoch, λ_k sums to about η·V plus the corpus's tokens spread over the topics.
    tokens = float(f["data"].attrs["num_tokens"])
    check(abs(lam.sum() - k * v * eta - tokens) < 0.5 * tokens, "lambda mass is eta*K*V + about the tokens")
    file_vocab = [w.decode() if isinstance(w, bytes) else w for w in f["vocab"][:]]
    check(file_vocab == vocab, "vocabulary copied from the corpus")
    config = dict(f["config"].attrs)
    for key in ("model.topics", "model.alpha", "solver.kappa", "solver.tau0", "data.train", "output.model"):
        check(key in config, f"config key {key}")
    check(config["model.topics"] == str(k), "config model.topics")
    solver = f["solver"].attrs
    check(int(solver["step"]) == 13 and abs(float(solver["epoch"]) - 1.0) < 1e-12, "solver step and epoch")
    history = f["history"][:]
    check(list(history.dtype.names) == ["step", "epoch", "seconds", "rho", "perplexity"], "history columns")
    check(list(history["step"]) == [0, 5, 10, 13], f"history steps {list(history['step'])}")
    first, last = history["perplexity"][0], history["perplexity"][-1]
    check(np.isnan(history["rho"][0]) and np.all(history["rho"][1:] > 0), "rho column")
    check(np.all(np.diff(history["seconds"]) >= 0), "seconds increase")
    # Step 0 is a random λ (perplexity near V); one epoch must be far better.
    check(last < 0.5 * first, f"held-out perplexity {first:.1f} at step 0 and {last:.1f} after one epoch")
    print(f"model ok: K={k} V={v}, perplexity {first:.1f} -> {last:.1f}")
