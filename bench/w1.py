#!/usr/bin/python3
"""W1 orchestration: 500 trivial steps, each writing a small artifact, as a
chain (step i reads step i-1) and a fan-out (500 independent steps into one),
cold (fresh repository, empty stores) and nothing-changed (a second run).
Peers: GNU make (one explicit rule per step, -j2 for the fan-out) and
Snakemake 7 with `run:` rules (--force-use-threads; default and greedy
scheduler for the fan-out)."""
import os

import lib

N = 500
PEERS = ["time", "make", "snakemake", "git"]


def makefile_chain():
    rules = [f"all: s{N}.out\n", "s1.out:\n\techo '1 0' > s1.out\n"]
    for i in range(2, N + 1):
        rules.append(f"s{i}.out: s{i - 1}.out\n"
                     f"\tread -r p rest < s{i - 1}.out; echo \"{i} $$p\" > s{i}.out\n")
    return "\n".join(rules)


def makefile_fanout():
    outs = " ".join(f"s{i}.out" for i in range(1, N + 1))
    rules = ["all: gather.out\n", f"gather.out: {outs}\n\tcat $^ | wc -l > gather.out\n"]
    for i in range(1, N + 1):
        rules.append(f"s{i}.out:\n\techo '{i} 0' > s{i}.out\n")
    return "\n".join(rules)


def zenml_files(shape):
    files = {"steps/touch.lua": lib.read("zenml/touch.lua"),
             "pipeline.lua": lib.read(f"zenml/w1_{shape}.lua")}
    if shape == "fanout":
        files["steps/gather.lua"] = lib.read("zenml/gather.lua")
    return files


def zenml_tool(shape, cold, path):
    def make_repo():
        lib.zenml_repo(path, zenml_files(shape))

    def first_run():
        make_repo()
        lib.sh(cmd(), cwd=path)

    def cmd():
        jobs = ["-j", "2"] if shape == "fanout" else []
        return [lib.zenml(), "run", "pipeline.lua"] + jobs

    try:
        argv = cmd()
    except lib.Failed:
        argv = ["false"]  # the set-up reports the build failure
    return lib.Tool("zenml" + (" -j 2" if shape == "fanout" else ""), argv, cwd=path,
                    setup=make_repo if cold else None,
                    prepare=None if cold else first_run, zenml=True)


def dir_tool(name, argv, path, files, cold):
    """A peer that runs in a folder holding `files`; cold: a fresh folder each run."""
    def fresh():
        lib.fresh_dir(path)
        for rel, text in files.items():
            with open(os.path.join(path, rel), "w") as f:
                f.write(text)

    def first_run():
        fresh()
        lib.sh(argv, cwd=path)

    return lib.Tool(name, argv, cwd=path, setup=fresh if cold else None,
                    prepare=None if cold else first_run)


def tools(shape, cold):
    base = lib.scratch("w1", f"{shape}-{'cold' if cold else 'again'}")
    where = lambda name: os.path.join(base, name)
    if shape == "chain":
        make = dir_tool("make", ["make", "-s"], where("make"),
                        {"Makefile": makefile_chain()}, cold)
        smk = [dir_tool("snakemake", ["snakemake", "--cores", "1", "--force-use-threads"],
                        where("snakemake"), {"Snakefile": lib.read("peers/chain.smk")}, cold)]
    else:
        make = dir_tool("make -j2", ["make", "-s", "-j2"], where("make"),
                        {"Makefile": makefile_fanout()}, cold)
        smk = []
        for sched in ("ilp", "greedy"):
            argv = ["snakemake", "--cores", "2", "--force-use-threads"]
            if sched == "greedy":
                argv += ["--scheduler", "greedy"]
            label = "snakemake (default ilp)" if sched == "ilp" else "snakemake --scheduler greedy"
            smk.append(dir_tool(label, argv, where("snakemake-" + sched),
                                {"Snakefile": lib.read("peers/fanout.smk")}, cold))
    return [zenml_tool(shape, cold, where("zenml")), make] + smk


def run():
    lib.ensure_peers(PEERS)
    rows = []
    for shape in ("chain", "fanout"):
        for cold in (True, False):
            measure = f"{shape}, {'cold' if cold else 'nothing changed'}"
            rows += lib.run_case("W1", measure, tools(shape, cold))
    return rows


if __name__ == "__main__":
    lib.main_single(run)
