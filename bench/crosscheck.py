#!/usr/bin/python3
"""Cross-check zenml's built-in trainers against scikit-learn on the same splits.

zenml trains each case with its Training pipeline and exports the exact raw
train/eval splits it used; scikit-learn then fits the matching model
(z-scored features, one-hot strings) on the same train rows and scores the
same eval rows. Reports both metrics and the difference; the target is
within 1 percentage point (accuracy) or 0.01 (R^2).

Usage: bench/crosscheck.py   (uses $ZENML or build/zenml; Debian's python3-sklearn)
"""
import csv, json, os, random, shutil, subprocess, sys, tempfile

import lib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def make_binary(path, n=20000, seed=3):
    rng = random.Random(seed)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([f"x{i}" for i in range(8)] + ["cat", "y"])
        for _ in range(n):
            xs = [rng.gauss(0, 1) for _ in range(8)]
            cat = rng.choice("abcde")
            z = 0.9 * xs[0] - 0.7 * xs[1] + 0.4 * xs[2] + {"a": 0.5, "b": -0.5}.get(cat, 0) + rng.gauss(0, 1)
            w.writerow([f"{x:.6f}" for x in xs] + [cat, 1 if z > 0 else 0])


def sklearn_case(case, out):
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.neural_network import MLPClassifier
    train = pd.read_csv(os.path.join(out, f"{case['case']}-train.csv"))
    ev = pd.read_csv(os.path.join(out, f"{case['case']}-eval.csv"))
    label = case["label"]
    feats = [c for c in train.columns if c != label]
    def design(df, ref):
        parts = []
        for c in feats:
            if ref[c].dtype == object:
                for v in sorted(ref[c].unique()):
                    parts.append((df[c] == v).astype(float).to_numpy())
            else:
                mu, sd = ref[c].mean(), ref[c].std(ddof=0) or 1.0
                parts.append(((df[c] - mu) / sd).to_numpy())
        return np.column_stack(parts)
    Xtr, Xev = design(train, train), design(ev, train)
    if case["task"] == "regression":
        model = LinearRegression().fit(Xtr, train[label])
        return "r2", r2_score(ev[label], model.predict(Xev))
    if case["case"].endswith("ffn"):
        model = MLPClassifier(hidden_layer_sizes=(16,), max_iter=20, random_state=1)
    else:
        model = LogisticRegression(max_iter=2000)
    model.fit(Xtr, train[label])
    return "accuracy", accuracy_score(ev[label], model.predict(Xev))


def main():
    lib.ensure_peers(["numpy", "pandas", "sklearn"])
    zenml = lib.zenml()
    work = tempfile.mkdtemp(prefix="zenml-crosscheck-")
    try:
        os.makedirs(os.path.join(work, "data"))
        shutil.copy(os.path.join(ROOT, "tests", "data", "iris.csv"), os.path.join(work, "data", "iris.csv"))
        reg = os.path.join(ROOT, "examples", "regression", "data")
        shutil.copy(os.path.join(reg, sorted(os.listdir(reg))[0]), os.path.join(work, "data", "regression.csv"))
        make_binary(os.path.join(work, "data", "binary.csv"))
        shutil.copy(os.path.join(HERE, "zenml", "crosscheck.lua"), work)
        env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@e", GIT_COMMITTER_NAME="b",
                   GIT_COMMITTER_EMAIL="b@e")
        for cmd in (["git", "init", "-q", "-b", "main"], [zenml, "init"], ["git", "add", "-A"],
                    ["git", "commit", "-qm", "crosscheck"]):
            subprocess.run(cmd, cwd=work, env=env, check=True, stdout=subprocess.DEVNULL)
        out = os.path.join(work, "out")
        os.makedirs(out)
        res = subprocess.run([zenml, "crosscheck.lua", out], cwd=work, env=env, check=True,
                             capture_output=True, text=True)
        rows = [json.loads(l) for l in res.stdout.splitlines() if l.startswith("{")]
        print("| case | metric | zenml | scikit-learn | difference | within target |")
        print("|---|---|---|---|---|---|")
        ok = True
        for case in rows:
            metric, theirs = sklearn_case(case, out)
            ours = case[metric]
            diff = ours - theirs
            within = abs(diff) <= 0.01
            ok = ok and within
            print(f"| {case['case']} | {metric} | {ours:.4f} | {theirs:.4f} | {diff:+.4f} | {'yes' if within else 'no'} |")
        print("all within target" if ok else "some cases differ by more than the target")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
