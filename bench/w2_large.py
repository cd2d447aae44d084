#!/usr/bin/python3
"""W2-large (bench/run W2L, not part of `all`): W2's pipeline on 10,000,000 rows
(about 1.95 GB of CSV, gen.w2_large_csv) with every step on Threads { workers
= N }, N = 2 and 1, against pandas + scikit-learn when it fits in memory and
against the physical floor: reading the file from the page cache and hashing
it with SHA-256 on all cores (peers/w2l_floor.py)."""
import os
import shutil
import subprocess

import gen
import lib
import w2

PEERS = ["time", "numpy", "pandas", "sklearn", "git", "slurm", "munge"]
WORKERS = (2, 1)
ARRAY_REPS = 3  # timed runs of the array row (about 50 s each)
CLUSTER = os.path.join(lib.ROOT, "tests", "slurm", "cluster.sh")
TIMEOUT = 1200  # seconds a run may take here (lib's 300 s is for the 1 M-row W2)
# The peer's peak RSS per row: 917 MiB at W2's 1,000,000 rows (RESULTS.md),
# so about 9 GiB at 10 M; asked for with a quarter more as margin.
PEER_BYTES_PER_ROW = 917 * 1024 * 1024 / 1_000_000
MARGIN = 1.25


def available_gib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1048576
    return 0.0


def zenml_tools(csv, logs):
    """One repository path for every zenml run: each run's repository (its
    artifacts are several GB) is deleted before the next is made, untimed, so
    the disk holds one at a time."""
    repo = os.path.join(lib.scratch("w2l"), "repo")

    def make_repo():
        shutil.rmtree(repo, ignore_errors=True)
        lib.zenml_repo(repo, {"pipeline.lua": lib.read("zenml/w2_threads.lua")},
                       ignore=["data.csv"])
        os.link(csv, os.path.join(repo, "data.csv"))

    return [lib.Tool(f"zenml Threads {{workers = {n}}}",
                     log.wrap(w2.zenml_argv("run", "pipeline.lua")), cwd=repo,
                     setup=make_repo, prepare=log.reset, env={"BENCH_WORKERS": str(n)},
                     zenml=(n == WORKERS[0]))
            for n, log in zip(WORKERS, logs)], repo


def peer_tool(csv, rows, log):
    """pandas + scikit-learn, or (None, reason) when it would not fit in memory."""
    need = rows * PEER_BYTES_PER_ROW * MARGIN / 2 ** 30
    have = available_gib()
    if need > have:
        return None, f"skipped: needs {need:.0f} GiB, {have:.1f} GiB available"
    tool = lib.Tool("pandas + sklearn",
                    log.wrap([lib.PY, os.path.join(lib.BENCH, "peers/w2_sklearn.py"), csv]),
                    prepare=log.reset)
    return tool, f"fits: needs {need:.0f} GiB, {have:.1f} GiB available"


def floor_tool(csv, log):
    cores = os.cpu_count() or 1
    return lib.Tool(f"floor: page cache + SHA-256 on {cores} cores",
                    log.wrap([lib.PY, os.path.join(lib.BENCH, "peers/w2l_floor.py"),
                              csv, str(cores)]),
                    prepare=log.reset)


def fill_quality(rows, logs, mb, ceiling):
    for i, (row, log) in enumerate(zip(rows, logs)):
        if row.median is None:
            continue
        first = w2.accuracy(row.stdout) if "floor" not in row.tool else f"{mb / row.median:.0f} MB/s"
        if i == 0 and ceiling is not None:
            first += f" (true rule {ceiling:.4f})"
        row.quality = "; ".join(filter(None, [first, w2.cpu_text(log.median())]))
    t2, t1 = rows[0].median, rows[1].median
    if t1 is not None and t2 is not None:
        rows[1].quality += (f"; scaling efficiency at 2 workers t1/(2 t2) = {t1 / (2 * t2):.2f}"
                            " (zenml/peer here: t2/t1)")


def array_rows(csv, t1, t2):
    """The pipeline with every step on SlurmArray { shards = 8 } on the test
    cluster (tests/slurm/cluster.sh, one node: this machine's 2 cores), once
    warm and ARRAY_REPS timed: the preprocesser's apply goes over the array's
    tasks, the steps that cannot shard rows run whole in the step's process.
    Its ratio is against the 1-worker Threads run of the same table."""
    root = lib.scratch("w2l")
    cluster, repo = os.path.join(root, "cluster"), os.path.join(root, "repo_array")
    measure = f"whole pipeline, {gen.W2L_ROWS / 1e6:.0f} M rows, 8-task Slurm job array"
    tool = lib.Tool("zenml SlurmArray {shards = 8} (test cluster, 1 node)",
                    w2.zenml_argv("run", "pipeline.lua"), cwd=repo,
                    env={"SLURM_CONF": os.path.join(cluster, "slurm.conf"), "BENCH_SHARDS": "8"},
                    zenml=True)

    def make_repo():
        shutil.rmtree(repo, ignore_errors=True)
        lib.zenml_repo(repo, {"pipeline.lua": lib.read("zenml/w2_threads.lua")}, ignore=["data.csv"])
        os.link(csv, os.path.join(repo, "data.csv"))

    tool.setup = make_repo
    subprocess.run(["bash", CLUSTER, "stop", cluster], capture_output=True)
    try:
        lib.sh(["bash", CLUSTER, "start", cluster])
    except lib.Failed as e:
        row = lib.Row("W2L", measure, tool)
        row.error, row.ratio = f"skipped: no test cluster ({e})", "n/a"
        return [row]
    old_timeout, lib.RUN_TIMEOUT = lib.RUN_TIMEOUT, TIMEOUT
    try:
        rows = lib.run_case("W2L", measure, [tool], reps_short=ARRAY_REPS)
    finally:
        lib.RUN_TIMEOUT = old_timeout
        shutil.rmtree(repo, ignore_errors=True)
        subprocess.run(["bash", CLUSTER, "stop", cluster], capture_output=True)
    row = rows[0]
    if row.median is not None:
        row.quality = w2.accuracy(row.stdout)
        if t1:
            row.quality += f"; {row.median / t1:.2f}x the 1-worker Threads run"
        if t2:
            row.quality += f", {row.median / t2:.2f}x the 2-worker one"
    return rows


def run():
    lib.ensure_peers(PEERS)
    csv, extra = gen.w2_large_csv()
    rows_n = gen.W2L_ROWS
    mb = os.path.getsize(csv) / 1e6
    names = [f"w2l-zenml-{n}" for n in WORKERS] + ["w2l-peer", "w2l-floor"]
    logs = [w2.CpuLog(name) for name in names]
    tools, repo = zenml_tools(csv, logs[:2])
    peer, peer_note = peer_tool(csv, rows_n, logs[2])
    lib.log(f"W2L pandas + sklearn: {peer_note}")
    tools += [peer] if peer else []
    tools.append(floor_tool(csv, logs[3]))
    measure = f"whole pipeline, {rows_n / 1e6:.0f} M rows ({mb:.0f} MB)"
    old_timeout, lib.RUN_TIMEOUT = lib.RUN_TIMEOUT, TIMEOUT
    try:
        rows = lib.run_case("W2L", measure, tools)
    finally:
        lib.RUN_TIMEOUT = old_timeout
        shutil.rmtree(repo, ignore_errors=True)
    if not peer:
        skipped = lib.Row("W2L", measure, lib.Tool("pandas + sklearn", []))
        skipped.error, skipped.ratio = peer_note, "n/a"
        rows.insert(2, skipped)  # logs[2] stays beside it: rows and logs line up
    fill_quality(rows, logs, mb, extra.get("true_rule_accuracy"))
    if os.environ.get("BENCH_W2L_ARRAY", "1") != "0":
        rows += array_rows(csv, rows[1].median, rows[0].median)
    return rows


if __name__ == "__main__":
    lib.main_single(run)
