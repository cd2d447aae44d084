#!/usr/bin/python3
"""W2 tabular: 1,000,000 rows (x0..x19 ~ N(0,1), `cat` with 10 levels, binary
`y` from a fixed logistic model). The whole pipeline (CSV -> 80/20 random
split -> z-score + one-hot -> logistic regression, 5 epochs -> accuracy on
the 20%) against pandas + scikit-learn, and the CSV read alone against
pandas.read_csv."""
import os

import gen
import lib

PEERS = ["time", "numpy", "pandas", "sklearn", "git"]

READ_LUA = ('local f = assert(zenml.frame.read_csv(os.getenv("BENCH_CSV"))) '
            'print(f:nrow(), f:ncol())')


def accuracy(stdout):
    for line in stdout.splitlines():
        words = line.split()
        if len(words) == 2 and words[0] == "accuracy":
            try:
                return f"accuracy {float(words[1]):.4f}"
            except ValueError:
                pass
    return "accuracy not printed"


def zenml_argv(*args):
    try:
        return [lib.zenml()] + list(args)
    except lib.Failed:
        return ["false"]


def pipeline_tools(csv):
    repo = os.path.join(lib.scratch("w2"), "repo")

    def make_repo():
        lib.zenml_repo(repo, {"pipeline.lua": lib.read("zenml/w2_pipeline.lua")},
                       ignore=["data.csv"])
        os.link(csv, os.path.join(repo, "data.csv"))  # same bytes, no copy

    return [lib.Tool("zenml", zenml_argv("run", "pipeline.lua"), cwd=repo,
                     setup=make_repo, zenml=True),
            lib.Tool("pandas + sklearn", [lib.PY, os.path.join(lib.BENCH, "peers/w2_sklearn.py"),
                                          csv])]


def threads_tools(csv):
    """The pipeline with every step on Threads { workers = N }, N = 2 and 1:
    the ratio column of the 1-worker row is (2 workers) / (1 worker)."""
    repo = os.path.join(lib.scratch("w2"), "repo_threads")

    def make_repo():
        lib.zenml_repo(repo, {"pipeline.lua": lib.read("zenml/w2_threads.lua")},
                       ignore=["data.csv"])
        os.link(csv, os.path.join(repo, "data.csv"))

    return [lib.Tool(f"zenml Threads {{workers = {n}}}", zenml_argv("run", "pipeline.lua"),
                     cwd=repo, setup=make_repo, env={"BENCH_WORKERS": str(n)}, zenml=(n == 2))
            for n in (2, 1)]


def read_tools(csv):
    return [lib.Tool("zenml.frame.read_csv", zenml_argv("-e", READ_LUA),
                     env={"BENCH_CSV": csv}, zenml=True),
            lib.Tool("pandas.read_csv", [lib.PY, os.path.join(lib.BENCH, "peers/w2_read_pandas.py"),
                                         csv])]


def run():
    lib.ensure_peers(PEERS)
    csv, extra = gen.w2_csv()
    rows = lib.run_case("W2", "whole pipeline", pipeline_tools(csv))
    for row in rows:
        if row.median is not None:
            row.quality = accuracy(row.stdout)
    ceiling = extra.get("true_rule_accuracy")
    if ceiling is not None:
        rows[-1].quality += f" (true rule {ceiling:.4f})"
    threads = lib.run_case("W2", "whole pipeline, Threads 2 vs 1 worker", threads_tools(csv))
    for row in threads:
        if row.median is not None:
            row.quality = accuracy(row.stdout)
    threads[-1].quality += " (ratio: 2 workers / 1 worker; target <= 0.6)"
    rows += threads
    mb = os.path.getsize(csv) / 1e6
    read = lib.run_case("W2", f"CSV read alone ({mb:.0f} MB)", read_tools(csv))
    for row in read:
        if row.median is not None:
            row.quality = f"{mb / row.median:.0f} MB/s"
    return rows + read


if __name__ == "__main__":
    lib.main_single(run)
