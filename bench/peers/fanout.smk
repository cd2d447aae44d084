# W1 fan-out for Snakemake 7: 500 independent `run:` steps into one gather step.
import sys

sys.setrecursionlimit(10000)

N = 500


rule all:
    input:
        "gather.out",


rule touch:
    output:
        "s{i}.out",
    wildcard_constraints:
        i=r"\d+",
    run:
        with open(output[0], "w") as f:
            f.write(f"{wildcards.i} 0\n")


rule gather:
    input:
        expand("s{i}.out", i=range(1, N + 1)),
    output:
        "gather.out",
    run:
        total = 0
        for path in input:
            with open(path) as f:
                total += int(f.read().split()[0])
        with open(output[0], "w") as f:
            f.write(f"{len(input)} {total}\n")
