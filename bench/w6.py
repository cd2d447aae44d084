#!/usr/bin/python3
"""W6 metadata at scale: a repository with 100,000 recorded runs of 5 steps
each (with metrics), recorded through the metadata API by a Lua script
(`zenml/w6_gen.lua`, one transaction per 1000 runs) on SQLite. Timed as
whole commands: `zenml run list --limit 50`, `run list --pipeline X --status
failed`, `run show RUN` and a cache lookup (re-running a recorded one-step
pipeline: every step a cache hit), each against `zenml --version` (the
process's fixed cost) as the peer."""
import os
import shutil

import lib

RUNS, PIPELINES = 100_000, 10
PEERS = ["time", "git"]


def run_id(i):
    """The id w6_gen.lua gives run i."""
    return f"{i * 2654435761 % 4294967296:08x}-w6-{i:06d}"


def make_base(base):
    """The generated repository (reused while its metadata is unchanged)."""
    db = os.path.join(base, ".zenml", "metadata.db")

    def produce():
        lib.zenml_repo(base, {"steps/touch.lua": lib.read("zenml/touch.lua"),
                              "cached.lua": lib.read("zenml/w6_cached.lua"),
                              "w6_gen.lua": lib.read("zenml/w6_gen.lua")})
        lib.sh([lib.zenml(), "run", "cached.lua"], cwd=base)
        lib.sh([lib.zenml(), "w6_gen.lua", str(RUNS), str(PIPELINES)], cwd=base)
        return {"runs": RUNS + 1, "bytes": os.path.getsize(db)}

    return lib.ensure_data("w6", {"runs": RUNS, "pipelines": PIPELINES, "gen": 1}, [db], produce)


def run():
    lib.ensure_peers(PEERS)
    root = lib.scratch("w6")
    base, work = os.path.join(root, "base"), os.path.join(root, "work")
    try:
        extra = make_base(base)
        zen = lib.zenml()
    except lib.Failed as e:
        row = lib.Row("W6", "set-up", lib.Tool("zenml", ["false"], zenml=True))
        row.error = str(e)
        return [row]

    def copy():
        """A copy to time in: the cache lookups record runs."""
        lib.fresh_dir(work)
        os.rmdir(work)
        shutil.copytree(base, work, symlinks=True)

    copy()
    version = lib.Tool("zenml --version", [zen, "--version"], cwd=work)
    cases = [
        ("run list --limit 50", ["run", "list", "--limit", "50"]),
        ("run list --pipeline p3 --status failed", ["run", "list", "--pipeline", "p3",
                                                    "--status", "failed"]),
        ("run show RUN", ["run", "show", run_id(RUNS // 2)]),
        ("cache lookup (1-step re-run)", ["run", "cached.lua"]),
    ]
    rows = []
    for name, args in cases:
        rows += lib.run_case("W6", name, [lib.Tool("zenml", [zen] + args, cwd=work, zenml=True),
                                          version])
    mib = extra.get("bytes", 0) / 1048576
    for r in rows:
        if r.zenml:
            r.quality = f"{extra.get('runs', RUNS)} runs, {mib:.0f} MiB SQLite"
    return rows


if __name__ == "__main__":
    lib.main_single(run)
