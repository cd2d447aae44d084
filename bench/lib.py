"""Shared machinery of bench/: timing one run, interleaving tools, the table.

A workload module (w1.py ... w4.py) builds `Tool`s, hands them to `run_case`
and returns the `Row`s it got; bench/run prints and records them. Each run goes
through `/usr/bin/time -f %M`: peak RSS is the largest of the command and
its descendants (ru_maxrss of the waited-for children).
"""
import atexit
import datetime
import hashlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
SCRATCH = os.path.abspath(os.environ.get("BENCH_SCRATCH") or os.path.join(BENCH, "scratch"))
PY = "/usr/bin/python3"  # Debian's python3: the one with apt's pandas/sklearn
RUN_TIMEOUT = 300        # seconds; a hung run is killed and reported as n/a
REPS, LONG_REPS, LONG_S = 5, 3, 10.0

# What each peer needs: a command or a Python module, and the Debian package.
PEERS = {
    "make": ("cmd", "make", "make"),
    "snakemake": ("cmd", "snakemake", "snakemake"),
    "openssl": ("cmd", "openssl", "openssl"),
    "sha256sum": ("cmd", "sha256sum", "coreutils"),
    "git": ("cmd", "git", "git"),
    "cmake": ("cmd", "cmake", "cmake"),
    "time": ("cmd", "/usr/bin/time", "time"),
    "mariadb": ("cmd", "/usr/sbin/mariadbd", "mariadb-server"),
    "slurm": ("cmd", "/usr/sbin/slurmctld", "slurm-wlm"),
    "munge": ("cmd", "/usr/sbin/munged", "munge"),
    "numpy": ("py", "numpy", "python3-numpy"),
    "pandas": ("py", "pandas", "python3-pandas"),
    "sklearn": ("py", "sklearn", "python3-sklearn"),
}


class Failed(Exception):
    """A set-up or run that did not work; its message becomes the row's note."""


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def first_line(text):
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:140]
    return "(no message)"


def scratch(*parts):
    path = os.path.join(SCRATCH, *parts)
    os.makedirs(path, exist_ok=True)
    return path


TRASH = os.path.join(SCRATCH, ".trash")


def empty_trash():
    shutil.rmtree(TRASH, ignore_errors=True)


atexit.register(empty_trash)


def fresh_dir(path):
    """An empty folder at `path`. The old one is moved aside, not deleted, and
    the trash is emptied when the benchmark ends: on this ext4 (no journal)
    creating files right after deleting many makes the kernel scan for
    recently deleted inodes, which would time the harness's clean-up
    instead of the tool (it slowed every tool, the more files, the more)."""
    if os.path.exists(path):
        os.makedirs(TRASH, exist_ok=True)
        os.rename(path, os.path.join(TRASH, f"{os.getpid()}-{time.monotonic_ns()}"))
    os.makedirs(path)
    return path


def sh(cmd, cwd=None, env=None):
    """Run a set-up command (untimed); raise Failed with its first error line."""
    p = subprocess.run(cmd, cwd=cwd, env=env, shell=isinstance(cmd, str),
                       stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if p.returncode != 0:
        name = cmd if isinstance(cmd, str) else " ".join(
            [os.path.basename(cmd[0])] + list(cmd[1:]))
        if len(name) > 40:
            name = name[:37] + "..."
        raise Failed(f"{name}: {first_line(p.stderr + p.stdout)}")
    return p.stdout


# -- peers -------------------------------------------------------------------

def _present(kind, what):
    if kind == "cmd":
        return shutil.which(what) is not None
    probe = subprocess.run([PY, "-c", f"import {what}"], capture_output=True)
    return probe.returncode == 0


def ensure_peers(names):
    """Install the Debian packages of missing peers with apt-get (we are root)."""
    missing = sorted({PEERS[n][2] for n in names if not _present(*PEERS[n][:2])})
    if not missing:
        return
    log("installing " + " ".join(missing))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    p = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends"] + missing,
                       env=env, capture_output=True, text=True)
    if p.returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True)
        p = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends"] + missing,
                           env=env, capture_output=True, text=True)
    if p.returncode != 0:
        log("apt-get failed: " + first_line(p.stderr))


# -- zenml -------------------------------------------------------------------

_zenml = {}


def zenml():
    """Path of the zenml binary: $ZENML, else build/zenml (built with cmake when
    missing). Raises Failed when there is none."""
    if "path" in _zenml:
        return _zenml["path"]
    if "error" in _zenml:
        raise Failed(_zenml["error"])
    path = os.environ.get("ZENML") or os.path.join(ROOT, "build", "zenml")
    try:
        if not os.path.exists(path):
            if os.environ.get("ZENML"):
                raise Failed(f"$ZENML={path} does not exist")
            log("building zenml into build/")
            build = os.path.join(ROOT, "build")
            sh(["cmake", "-S", ROOT, "-B", build])
            sh(["cmake", "--build", build, "-j", str(os.cpu_count() or 2), "--target", "zenml"])
        _zenml["path"] = os.path.abspath(path)
        return _zenml["path"]
    except Failed as e:
        _zenml["error"] = f"zenml build failed: {e}"
        raise Failed(_zenml["error"])


GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost",
       "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"]


def zenml_repo(path, files, ignore=(), metadata=None, env=None):
    """A fresh git repository at `path` holding `files` ({relpath: text}),
    committed, with `zenml init` run in it (`--metadata URL` when metadata is
    given; env: extra environment variables for it, e.g. ZENML_MYSQL_PASSWORD)."""
    fresh_dir(path)
    for rel, text in files.items():
        full = os.path.join(path, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
    with open(os.path.join(path, ".gitignore"), "w") as f:
        f.write("".join(f"/{name}\n" for name in ignore))
    sh(GIT + ["init", "-q"], cwd=path)
    sh(GIT + ["add", "-A"], cwd=path)
    sh(GIT + ["commit", "-q", "-m", "bench"], cwd=path)
    sh([zenml(), "init"] + (["--metadata", metadata] if metadata else []), cwd=path,
       env=dict(os.environ, **env) if env else None)
    return path


def read(rel):
    with open(os.path.join(BENCH, rel)) as f:
        return f.read()


# -- data --------------------------------------------------------------------

def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def ensure_data(name, params, paths, produce):
    """Reuse `paths` when the manifest SCRATCH/<name>.json records the same
    params and every file still has its recorded size and SHA-256; otherwise
    call produce() and record a new manifest. Returns the manifest's extra
    fields (whatever produce() returned)."""
    manifest = os.path.join(SCRATCH, name + ".json")
    try:
        with open(manifest) as f:
            old = json.load(f)
        if old["params"] == params and all(
                os.path.getsize(p) == old["files"][p]["size"] and
                sha256_file(p) == old["files"][p]["sha256"] for p in paths):
            return old["extra"]
    except (OSError, KeyError, ValueError):
        pass
    log(f"generating {name} data")
    extra = produce() or {}
    files = {p: {"size": os.path.getsize(p), "sha256": sha256_file(p)} for p in paths}
    with open(manifest, "w") as f:
        json.dump({"params": params, "files": files, "extra": extra}, f, indent=1)
    return extra


# -- timing ------------------------------------------------------------------

class Tool:
    """One contender in a case. cmd: argv list or shell string. prepare():
    once before the warm-up; setup(): before every run, untimed. zenml marks
    the rows the ratios are taken from."""

    def __init__(self, name, cmd, cwd=None, env=None, prepare=None, setup=None, zenml=False):
        self.name, self.cmd, self.cwd, self.env = name, cmd, cwd, env
        self.prepare, self.setup, self.zenml = prepare, setup, zenml


class Row:
    def __init__(self, workload, measure, tool):
        self.workload, self.measure, self.tool = workload, measure, tool.name
        self.zenml = tool.zenml
        self.walls, self.rss, self.stdout = [], [], ""
        self.error, self.quality, self.ratio = None, "", ""

    @property
    def median(self):
        return statistics.median(self.walls) if self.walls and not self.error else None


def _kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


def measure(cmd, cwd=None, env=None):
    """Run once; return (wall seconds, peak RSS KiB, exit status, stdout, stderr).

    The command runs under /usr/bin/time, a small C program: a child forked
    straight from this Python process would report Python's own RSS (about
    18 MiB) as its floor, because the kernel carries the pre-exec high-water
    mark over exec. Wall time is ours (perf_counter), time's adds ~1 ms."""
    if isinstance(cmd, str):
        cmd = ["/bin/sh", "-c", cmd]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as rss:
        full_env = dict(os.environ, **(env or {}))
        argv = ["/usr/bin/time", "-q", "-f", "%M", "-o", rss.name] + list(cmd)
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, cwd=cwd, env=full_env, stdin=subprocess.DEVNULL,
                             stdout=out, stderr=err, start_new_session=True)
        timer = threading.Timer(RUN_TIMEOUT, _kill_group, (p.pid,))
        timer.start()
        p.wait()
        wall = time.perf_counter() - t0
        timer.cancel()
        out.seek(0)
        err.seek(0)
        words = rss.read().split()
        kib = int(words[-1]) if words and words[-1].isdigit() else 0
        return (wall, kib, p.returncode,
                out.read().decode(errors="replace"), err.read().decode(errors="replace"))


def _once(tool, row):
    """One untimed set-up plus one timed run; False (and row.error) on failure."""
    try:
        if tool.setup:
            tool.setup()
    except Failed as e:
        row.error = f"set-up: {e}"
        return None
    wall, rss, rc, out, err = measure(tool.cmd, tool.cwd, tool.env)
    if rc != 0:
        row.error = f"exit {rc}: {first_line(err + out)}"
        return None
    row.stdout = out
    return wall, rss


def run_case(workload, measure_name, tools, reps_short=None):
    """A warm-up of every tool, then rounds tool by tool (interleaved) until
    each has REPS (or reps_short) timed runs (LONG_REPS when its warm-up took
    over LONG_S)."""
    rows = [Row(workload, measure_name, t) for t in tools]
    reps = {}
    log(f"{workload} {measure_name}: " + ", ".join(t.name for t in tools))
    for tool, row in zip(tools, rows):
        try:
            if tool.prepare:
                tool.prepare()
        except Failed as e:
            row.error = f"set-up: {e}"
            continue
        got = _once(tool, row)
        if got:
            reps[tool.name] = LONG_REPS if got[0] > LONG_S else reps_short or REPS
    for r in range(max(reps.values(), default=0)):
        for tool, row in zip(tools, rows):
            if row.error or r >= reps.get(tool.name, 0):
                continue
            got = _once(tool, row)
            if got:
                row.walls.append(got[0])
                row.rss.append(got[1])
    for row in rows:
        if row.error:
            log(f"  {row.tool}: n/a ({row.error})")
        else:
            log(f"  {row.tool}: median {row.median:.4f} s over {len(row.walls)}")
    _ratios(rows)
    return rows


def _ratios(rows):
    ref = next((r for r in rows if r.zenml), None)
    for row in rows:
        if row.zenml:
            continue
        if ref is None or ref.median is None or row.median is None:
            row.ratio = "n/a"
        else:
            row.ratio = f"{ref.median / row.median:.3g}"


# -- the table ---------------------------------------------------------------

def _secs(v):
    return f"{v:.4f}" if v < 1 else f"{v:.2f}"


def table(rows):
    head = ["workload", "measure", "tool", "median s", "min s", "max s",
            "peak RSS MiB", "zenml/peer", "quality"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        if r.median is None:
            cells = [r.workload, r.measure, r.tool, "n/a", "", "", "", r.ratio,
                     (r.error or "").replace("|", "/")]
        else:
            cells = [r.workload, r.measure, r.tool, _secs(r.median), _secs(min(r.walls)),
                     _secs(max(r.walls)), f"{max(r.rss) / 1024:.1f}", r.ratio, r.quality]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine():
    """One line: date, cores, memory, CPU model, git commit, zenml binary."""
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return (f"{when}, nproc {os.cpu_count()}, {mem_kib / 1048576:.1f} GiB, {cpu}, "
            f"commit {commit}{' (tree modified)' if dirty else ''}")


def main_single(run):
    """Entry point of a workload script run alone: print its table."""
    rows = run()
    print(table(rows))
