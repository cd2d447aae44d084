#!/usr/bin/python3
"""W5 Slurm: W5's DAGs of trivial steps through a throwaway one-node Slurm
cluster (tests/slurm/cluster.sh, started in scratch/w5/cluster and stopped
when the workload ends), against the floor of the same DAGs as bare
`sbatch --wrap=true` jobs chained with afterok (bench/w5_floor.sh), measured
in the same rounds on the same cluster:
- a 20-step chain and a 50-step fan-out plus gather, zenml in jobs mode (one
  job a step; `zenml run X.lua --backend slurm --no-cache`): must <= 1.3x the
  floor, aim <= 1.1x;
- the chain in allocation mode (`backends.slurm.mode allocation`: one job
  runs every step; its start is in the time): must <= 0.1x the floor's chain,
  aim <= 0.05x;
- fully cached re-runs of both through Slurm: must submit no job (no new job
  id in squeue) and take < 0.2 s;
- W4's 8 CPU-bound steps (bench/w4.py) with `-j 1` here against Slurm's jobs
  mode with `cpus = 1`: must >= 1.8x.

The poll load: a folder put first on PATH holds wrappers of the Slurm
commands (sbatch, squeue, scontrol, scancel, sacct, sinfo, srun, salloc)
that append a line to the run's log and exec /usr/bin/NAME, so zenml is
unchanged; the quality column shows the commands per run, and per minute of
the runs' wall time for runs of 5 s or more. The floor runs under the
same wrappers.

Rounds: one untimed warm-up of everything, then BENCH_W5_REPS (default 5)
timed rounds, in reverse order every other round. Needs root and Debian's
slurm-wlm and munge."""
import os
import re
import subprocess

import lib

CHAIN, FANOUT = 20, 50
REPS = int(os.environ.get("BENCH_W5_REPS") or 5)
CACHED_REPS = 5
PEERS = ["time", "git", "slurm", "munge"]
CLUSTER = os.path.join(lib.ROOT, "tests", "slurm", "cluster.sh")
FLOOR = os.path.join(lib.BENCH, "w5_floor.sh")
COMMANDS = ["sbatch", "squeue", "scontrol", "scancel", "sacct", "sinfo", "srun", "salloc"]
MUST = {"jobs": 1.3, "allocation": 0.1}
AIM = {"jobs": 1.1, "allocation": 0.05}
CACHED_MUST_S = 0.2
W4_MUST = 1.8
RATE_MIN_S = 5  # runs shorter than this show commands a run, not a rate


class Cluster:
    """The throwaway cluster in `path`; env: what a command needs to use it
    (SLURM_CONF, the wrappers first on PATH)."""

    def __init__(self, path, wrappers):
        self.path = path
        subprocess.run(["bash", CLUSTER, "stop", path], capture_output=True)
        lib.sh(["bash", CLUSTER, "start", path])
        self.conf = os.path.join(path, "slurm.conf")
        self.env = {"SLURM_CONF": self.conf, "PATH": wrappers + ":" + os.environ["PATH"]}

    def job_ids(self):
        """Every job id the controller knows (finished ones stay 10 minutes)."""
        out = lib.sh(["/usr/bin/squeue", "-h", "--states=all", "-o", "%i"],
                     env=dict(os.environ, SLURM_CONF=self.conf))
        return set(out.split())

    def stop(self):
        subprocess.run(["bash", CLUSTER, "stop", self.path], capture_output=True)


def make_wrappers(path):
    """A folder of Slurm command wrappers: each appends its name to
    $BENCH_W5_LOG (when set) and execs the real command."""
    lib.fresh_dir(path)
    for name in COMMANDS:
        wrapper = os.path.join(path, name)
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\n"
                    f'[ -z "$BENCH_W5_LOG" ] || echo {name} >> "$BENCH_W5_LOG"\n'
                    f'exec /usr/bin/{name} "$@"\n')
        os.chmod(wrapper, 0o755)
    return path


class Load:
    """The Slurm commands of a row's timed runs."""

    def __init__(self):
        self.counts, self.secs, self.runs = {}, 0.0, 0

    def add(self, log, wall):
        try:
            with open(log) as f:
                names = f.read().split()
        except FileNotFoundError:
            names = []
        for n in names:
            self.counts[n] = self.counts.get(n, 0) + 1
        self.secs += wall
        self.runs += 1

    def text(self):
        if not self.runs:
            return ""
        total = sum(self.counts.values())
        if total == 0:
            return "no Slurm command"
        parts = ", ".join(f"{n} {self.counts[n] / self.runs:.3g}"
                          for n in COMMANDS if n in self.counts)
        text = f"{total / self.runs:.3g} Slurm commands a run ({parts})"
        if self.secs / self.runs >= RATE_MIN_S:
            text += f", {total / self.secs * 60:.0f}/min"
        return text


class Case:
    """One timed command: its rows (several for the floor, which times both
    DAGs in one invocation), its set-up, and how to check and read a run."""

    def __init__(self, name, cmd, cwd, rows, setup=None, reps=REPS, ran=None):
        self.name, self.cmd, self.cwd, self.rows = name, cmd, cwd, rows
        self.setup, self.reps, self.ran = setup, reps, ran
        self.load = Load()
        self.new_jobs = []

    @property
    def failed(self):
        return self.rows[0].error is not None


def row(measure, tool, zenml=False):
    return lib.Row("W5", measure, lib.Tool(tool, ["false"], zenml=zenml))


def check_ran(out, want):
    """The run's summary says `want` steps ran; raise Failed otherwise."""
    m = re.search(r"(\d+) steps, (\d+) ran", out)
    if not m:
        raise lib.Failed(f"no run summary: {lib.first_line(out)}")
    if int(m.group(2)) != want:
        raise lib.Failed(f"{m.group(2)} of {m.group(1)} steps ran, expected {want}")


def once(case, cluster, logs, n, timed):
    """Run `case` once; on success add its times to its rows when timed."""
    if case.failed:
        return
    try:
        if case.setup:
            case.setup()
    except lib.Failed as e:
        for r in case.rows:
            r.error = f"set-up: {e}"
        return
    log = os.path.join(logs, f"{case.name}-{n}.log")
    before = cluster.job_ids() if case.ran == 0 else None
    wall, rss, rc, out, err = lib.measure(case.cmd, case.cwd,
                                          dict(cluster.env, BENCH_W5_LOG=log))
    try:
        if rc != 0:
            raise lib.Failed(f"exit {rc}: {lib.first_line(err + out)}")
        if case.ran is not None:
            check_ran(out, case.ran)
        if before is not None:
            case.new_jobs.append(len(cluster.job_ids() - before))
        walls = floor_times(out) if case.name == "floor" else [wall]
    except lib.Failed as e:
        for r in case.rows:
            r.error = str(e)
        return
    if timed:
        for r, w in zip(case.rows, walls):
            r.walls.append(w)
            r.rss.append(rss)
        case.load.add(log, wall)


def floor_times(out):
    """The floor's two times from w5_floor.sh's output."""
    got = dict(re.findall(r"^(chain|fanout) \d+ ([\d.]+)$", out, re.M))
    if set(got) != {"chain", "fanout"}:
        raise lib.Failed(f"w5_floor.sh printed {lib.first_line(out)!r}")
    return [float(got["chain"]), float(got["fanout"])]


def rounds(cases, cluster, logs):
    """A warm-up of every case, then timed rounds, reversed every other one."""
    lib.log("W5 warm-up: " + ", ".join(c.name for c in cases))
    for c in cases:
        once(c, cluster, logs, 0, False)
    for r in range(max(c.reps for c in cases)):
        lib.log(f"W5 round {r + 1}")
        for c in (cases if r % 2 == 0 else cases[::-1]):
            if r < c.reps:
                once(c, cluster, logs, r + 1, True)


def ratio_quality(zen, floor, kind, load):
    """zen's median over the floor's, as zenml/peer of the floor row and
    against the must and aim in zen's quality."""
    if zen.median is None or floor.median is None:
        floor.ratio = "n/a"
        return
    x = zen.median / floor.median
    floor.ratio = f"{x:.3g}"
    zen.quality = (f"{x:.3g}x floor; must <= {MUST[kind]}x "
                   + ("(met)" if x <= MUST[kind] else "(MISSED)")
                   + f", aim <= {AIM[kind]}x " + ("(met)" if x <= AIM[kind] else "(missed)")
                   + f"; {load.text()}")


def cached_quality(case):
    r = case.rows[0]
    if r.median is None:
        return
    submitted = sum(case.new_jobs)
    r.quality = ("no job submitted (met)" if submitted == 0
                 else f"{submitted} jobs submitted (MISSED)")
    r.quality += f"; must < {CACHED_MUST_S} s " + (
        "(met)" if r.median < CACHED_MUST_S else "(MISSED)")
    r.quality += f"; {case.load.text()}"


def w5_repo(path, mode):
    files = {"steps/touch.lua": lib.read("zenml/touch.lua"),
             "steps/gather.lua": lib.read("zenml/gather.lua"),
             "chain.lua": lib.read("zenml/w5_chain.lua"),
             "fanout.lua": lib.read("zenml/w5_fanout.lua")}
    lib.zenml_repo(path, files)
    lib.sh([lib.zenml(), "config", "set", "backends.slurm.mode", mode], cwd=path)
    return path


def dag_cases(root, zen):
    jobs = w5_repo(os.path.join(root, "jobs"), "jobs")
    alloc = w5_repo(os.path.join(root, "allocation"), "allocation")
    slurm = ["--backend", "slurm"]
    chain_m, fan_m = f"chain {CHAIN} steps", f"fan-out {FANOUT} + gather"
    alloc_m = f"chain {CHAIN} steps, one allocation"
    floor = Case("floor", ["bash", FLOOR, str(CHAIN), str(FANOUT)], root,
                 [row(chain_m, "bare sbatch floor"), row(fan_m, "bare sbatch floor")])
    return {
        "floor": floor,
        "chain": Case("chain", [zen, "run", "chain.lua", "--no-cache"] + slurm, jobs,
                      [row(chain_m, "zenml (jobs mode)", True)], ran=CHAIN),
        "fanout": Case("fanout", [zen, "run", "fanout.lua", "--no-cache"] + slurm, jobs,
                       [row(fan_m, "zenml (jobs mode)", True)], ran=FANOUT + 1),
        "alloc": Case("alloc", [zen, "run", "chain.lua", "--no-cache"] + slurm, alloc,
                      [row(alloc_m, "zenml (allocation mode)", True)], ran=CHAIN),
        "chain-cached": Case("chain-cached", [zen, "run", "chain.lua"] + slurm, jobs,
                             [row(f"chain {CHAIN} steps, cached re-run",
                                  "zenml (jobs mode)", True)], reps=CACHED_REPS, ran=0),
        "fanout-cached": Case("fanout-cached", [zen, "run", "fanout.lua"] + slurm, jobs,
                              [row(f"fan-out {FANOUT} + gather, cached re-run",
                                   "zenml (jobs mode)", True)], reps=CACHED_REPS, ran=0),
    }


def w4_cases(root, zen):
    """W4's pipeline with -j 1 here and through Slurm (cpus = 1 a step), each
    run in a fresh repository as in w4.py."""
    files = {"steps/busy.lua": lib.read("zenml/busy.lua"),
             "pipeline.lua": lib.read("zenml/w4_pipeline.lua")}
    measure = "W4's 8 x 1 s steps"
    local, slurm = os.path.join(root, "w4-j1"), os.path.join(root, "w4-slurm")
    alloc, j2 = os.path.join(root, "w4-alloc"), os.path.join(root, "w4-j2")

    def local_repo():
        lib.zenml_repo(local, files)

    def slurm_repo():
        lib.zenml_repo(slurm, files)
        lib.sh([zen, "config", "set", "backends.slurm.cpus", "1"], cwd=slurm)

    def alloc_repo():
        lib.zenml_repo(alloc, files)
        lib.sh([zen, "config", "set", "backends.slurm.mode", "allocation"], cwd=alloc)
        lib.sh([zen, "config", "set", "backends.slurm.cpus", str(os.cpu_count() or 1)], cwd=alloc)

    def j2_repo():
        lib.zenml_repo(j2, files)

    return {
        # what this machine gives two threads right now: the ceiling of any backend here
        "w4-j2": Case("w4-j2", [zen, "run", "pipeline.lua", "-j", "2"], j2,
                      [row(measure, "zenml -j 2 (here, the machine's ceiling)")], setup=j2_repo, ran=8),
        "w4-alloc": Case("w4-alloc", [zen, "run", "pipeline.lua", "--backend", "slurm"], alloc,
                         [row(measure, "zenml --backend slurm (allocation, all cpus)", True)],
                         setup=alloc_repo, ran=8),
        "w4-slurm": Case("w4-slurm", [zen, "run", "pipeline.lua", "--backend", "slurm"], slurm,
                         [row(measure, "zenml --backend slurm (cpus 1)", True)],
                         setup=slurm_repo, ran=8),
        "w4-j1": Case("w4-j1", [zen, "run", "pipeline.lua", "-j", "1"], local,
                      [row(measure, "zenml -j 1 (here)")], setup=local_repo, ran=8),
    }


def failed_rows(error):
    r = row("set-up", "zenml", True)
    r.error = str(error)
    return [r]


def run():
    lib.ensure_peers(PEERS)
    root = lib.scratch("w5")
    try:
        zen = lib.zenml()
        wrappers = make_wrappers(os.path.join(root, "bin"))
        logs = lib.fresh_dir(os.path.join(root, "logs"))
        cluster = Cluster(os.path.join(root, "cluster"), wrappers)
    except lib.Failed as e:
        return failed_rows(e)
    try:
        try:
            c = dag_cases(root, zen)
            c.update(w4_cases(root, zen))
        except lib.Failed as e:
            return failed_rows(e)
        rounds(list(c.values()), cluster, logs)
    finally:
        cluster.stop()
    floor_chain, floor_fan = c["floor"].rows
    ratio_quality(c["chain"].rows[0], floor_chain, "jobs", c["chain"].load)
    ratio_quality(c["fanout"].rows[0], floor_fan, "jobs", c["fanout"].load)
    # the allocation's row is compared with the same floor runs, shown again
    floor_alloc = row(c["alloc"].rows[0].measure, "bare sbatch floor (same runs)")
    floor_alloc.walls, floor_alloc.rss, floor_alloc.error = (
        floor_chain.walls, floor_chain.rss, floor_chain.error)
    ratio_quality(c["alloc"].rows[0], floor_alloc, "allocation", c["alloc"].load)
    floor_chain.quality = floor_fan.quality = c["floor"].load.text()
    cached_quality(c["chain-cached"])
    cached_quality(c["fanout-cached"])
    slurm, j1 = c["w4-slurm"].rows[0], c["w4-j1"].rows[0]
    w4_alloc = c["w4-alloc"].rows[0]
    w4_j2 = c["w4-j2"].rows[0]
    if w4_j2.median is not None and j1.median is not None:
        w4_j2.ratio = f"{w4_j2.median / j1.median:.3g}"
        w4_j2.quality = f"speed-up {j1.median / w4_j2.median:.2f}x over -j 1 (no Slurm)"
    for r, case in ((slurm, "w4-slurm"), (w4_alloc, "w4-alloc")):
        if r.median is not None and j1.median is not None:
            x = j1.median / r.median
            r.ratio = f"{r.median / j1.median:.3g}"
            r.quality = (f"speed-up {x:.2f}x over -j 1; must >= {W4_MUST}x "
                         + ("(met)" if x >= W4_MUST else "(MISSED)")
                         + f"; {c[case].load.text()}")
    for r in c["floor"].rows:
        lib.log(f"  {r.measure}: floor median {r.median}")
    rows = [c["chain"].rows[0], floor_chain, c["fanout"].rows[0], floor_fan,
            c["alloc"].rows[0], floor_alloc, c["chain-cached"].rows[0],
            c["fanout-cached"].rows[0], slurm, w4_alloc, w4_j2, j1]
    for r in rows:
        if r.error:
            lib.log(f"  {r.measure} / {r.tool}: n/a ({r.error})")
    return rows


if __name__ == "__main__":
    lib.main_single(run)
