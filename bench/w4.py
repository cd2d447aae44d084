#!/usr/bin/python3
"""W4 parallel steps: 8 independent CPU-bound steps of about 1 s each (a Lua
busy loop), `zenml run pipeline.lua -j 1` against `-j 2`, each run in a fresh
repository so nothing is cached. The quality figure is the speed-up."""
import os

import lib

PEERS = ["time", "git"]


def tool(jobs):
    repo = os.path.join(lib.scratch("w4"), f"j{jobs}")

    def make_repo():
        lib.zenml_repo(repo, {"steps/busy.lua": lib.read("zenml/busy.lua"),
                              "pipeline.lua": lib.read("zenml/w4_pipeline.lua")})

    try:
        argv = [lib.zenml(), "run", "pipeline.lua", "-j", str(jobs)]
    except lib.Failed:
        argv = ["false"]
    return lib.Tool(f"zenml -j {jobs}", argv, cwd=repo, setup=make_repo, zenml=True)


def run():
    lib.ensure_peers(PEERS)
    rows = lib.run_case("W4", "8 x 1 s steps", [tool(1), tool(2)])
    one, two = rows
    if one.median is not None and two.median is not None:
        two.quality = f"speed-up {one.median / two.median:.2f}x"
    return rows


if __name__ == "__main__":
    lib.main_single(run)
