"""Deterministic data for W2 and W3 (fixed seeds), reused while its manifest
(scratch/<name>.json: parameters, sizes, SHA-256) still matches."""
import os

import lib

W2_ROWS = 1_000_000
W2L_ROWS = 10_000_000  # W2-large: the same generator, 10x the rows (about 1.95 GB)
W2_SEED, W2_WEIGHT_SEED = 20240601, 7
W2_LOGIT_SD = 1.98   # total logit spread: puts the true rule's accuracy near 0.776
W3_BIG = 1 << 30
W3_FILES, W3_FILE_SIZE = 1000, 1 << 20
W3_SEED = 3
CHUNK_ROWS = 100_000


def _w2_model(np):
    """The fixed logistic model: 20 feature weights, 10 category offsets, a bias."""
    cat_offsets = np.linspace(-0.6, 0.6, 10)
    w = np.random.default_rng(W2_WEIGHT_SEED).standard_normal(20)
    w *= np.sqrt(W2_LOGIT_SD ** 2 - cat_offsets.var()) / np.linalg.norm(w)
    return w, cat_offsets, 0.1


def _w2_write(path, rows):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(W2_SEED)
    w, offsets, bias = _w2_model(np)
    names = np.array([f"c{k}" for k in range(10)])
    hits = 0
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        for start in range(0, rows, CHUNK_ROWS):
            x = rng.standard_normal((CHUNK_ROWS, 20))
            cat = rng.integers(0, 10, CHUNK_ROWS)
            logit = x @ w + offsets[cat] + bias
            y = (rng.random(CHUNK_ROWS) < 1 / (1 + np.exp(-logit))).astype(np.int8)
            hits += int(((logit > 0) == (y == 1)).sum())
            df = pd.DataFrame(x, columns=[f"x{j}" for j in range(20)])
            df["cat"] = names[cat]
            df["y"] = y
            df.to_csv(f, index=False, header=start == 0, float_format="%.6f",
                      lineterminator="\n")
    os.replace(tmp, path)
    return {"true_rule_accuracy": round(hits / rows, 4)}


def _w2_data(name, rows):
    path = os.path.join(lib.scratch(name), "data.csv")
    params = {"rows": rows, "seed": W2_SEED, "weight_seed": W2_WEIGHT_SEED,
              "logit_sd": W2_LOGIT_SD, "format": "%.6f", "version": 1}
    extra = lib.ensure_data(name, params, [path], lambda: _w2_write(path, rows))
    return path, extra


def w2_csv():
    """Path of the W2 CSV and its manifest extras (the true rule's accuracy)."""
    return _w2_data("w2", W2_ROWS)


def w2_large_csv():
    """W2-large: scratch/w2l/data.csv, W2's columns and rule over W2L_ROWS rows
    (the first W2_ROWS are W2's: same seed, same chunks)."""
    return _w2_data("w2l", W2L_ROWS)


def _w3_write(big, folder, paths):
    import numpy as np

    rng = np.random.default_rng(W3_SEED)
    with open(big + ".tmp", "wb") as f:
        for _ in range(W3_BIG // (64 << 20)):
            f.write(rng.bytes(64 << 20))
    os.replace(big + ".tmp", big)
    os.makedirs(folder, exist_ok=True)
    for p in paths:
        with open(p, "wb") as f:
            f.write(rng.bytes(W3_FILE_SIZE))


def w3_files():
    """(path of the 1 GiB file, list of the 1,000 1 MiB files)."""
    base = lib.scratch("w3")
    big = os.path.join(base, "big.bin")
    folder = os.path.join(base, "files")
    paths = [os.path.join(folder, f"f{i:04d}.bin") for i in range(W3_FILES)]
    params = {"big": W3_BIG, "files": W3_FILES, "file_size": W3_FILE_SIZE,
              "seed": W3_SEED, "version": 1}
    lib.ensure_data("w3", params, [big] + paths, lambda: _w3_write(big, folder, paths))
    return big, folder, paths
