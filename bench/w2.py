#!/usr/bin/python3
"""W2 tabular: 1,000,000 rows (x0..x19 ~ N(0,1), `cat` with 10 levels, binary
`y` from a fixed logistic model). The whole pipeline (CSV -> 80/20 random
split -> z-score + one-hot -> logistic regression, 5 epochs -> accuracy on
the 20%) against pandas + scikit-learn, and the CSV read alone against
pandas.read_csv and a plain C parse loop (parse.c, with strtod and with
hand-parsed numbers)."""
import os
import statistics

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


class CpuLog:
    """CPU seconds (user + sys) of every run of one tool, children included:
    lib.measure gives wall time and peak RSS only, so the command runs under a
    second /usr/bin/time that appends "%U %S" to a file. Its first line is
    the warm-up's."""

    def __init__(self, name):
        self.path = os.path.join(lib.scratch("cpu"), name + ".txt")

    def wrap(self, cmd):
        return ["/usr/bin/time", "-q", "-a", "-o", self.path, "-f", "%U %S"] + list(cmd)

    def reset(self):
        open(self.path, "w").close()

    def median(self):
        """(user, sys) medians over the timed runs, or None."""
        try:
            with open(self.path) as f:
                runs = [line.split() for line in f if len(line.split()) == 2][1:]
            return (statistics.median(float(u) for u, _ in runs),
                    statistics.median(float(s) for _, s in runs)) if runs else None
        except (OSError, ValueError):
            return None


def cpu_text(cpu):
    return "" if cpu is None else f"CPU {sum(cpu):.2f} s (user {cpu[0]:.2f} + sys {cpu[1]:.2f})"


def compile_parse():
    """bench/parse.c built with cc -O2 into the scratch folder; its path."""
    exe = os.path.join(lib.scratch("w2"), "parse")
    lib.sh(["cc", "-O2", "-o", exe, os.path.join(lib.BENCH, "parse.c")])
    return exe


def read_tools(csv, logs):
    exe = os.path.join(lib.scratch("w2"), "parse")
    return [lib.Tool("zenml.frame.read_csv", logs[0].wrap(zenml_argv("-e", READ_LUA)),
                     env={"BENCH_CSV": csv}, prepare=logs[0].reset, zenml=True),
            lib.Tool("pandas.read_csv", logs[1].wrap(
                [lib.PY, os.path.join(lib.BENCH, "peers/w2_read_pandas.py"), csv]),
                prepare=logs[1].reset),
            lib.Tool("plain C loop, strtod (parse.c)", logs[2].wrap([exe, csv]),
                     prepare=lambda: (compile_parse(), logs[2].reset())),
            lib.Tool("plain C loop, hand numbers (parse.c --hand)",
                     logs[3].wrap([exe, "--hand", csv]), prepare=logs[3].reset)]


def read_case(csv):
    """The CSV read alone: MB/s and CPU seconds of each tool; the plain loops'
    rows also give zenml's CPU over their own."""
    mb = os.path.getsize(csv) / 1e6
    logs = [CpuLog(name) for name in
            ("w2-read-zenml", "w2-read-pandas", "w2-read-strtod", "w2-read-hand")]
    rows = lib.run_case("W2", f"CSV read alone ({mb:.0f} MB)", read_tools(csv, logs))
    cpus = [log.median() for log in logs]
    for row, cpu in zip(rows, cpus):
        if row.median is not None:
            row.quality = "; ".join(filter(None, [f"{mb / row.median:.0f} MB/s", cpu_text(cpu)]))
    for row, cpu in zip(rows[2:], cpus[2:]):
        if rows[0].median is not None and row.median is not None and cpus[0] and sum(cpu or ()):
            row.quality += f"; zenml/this loop: CPU {sum(cpus[0]) / sum(cpu):.3g}"
    return rows


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
    return rows + read_case(csv)


if __name__ == "__main__":
    lib.main_single(run)
