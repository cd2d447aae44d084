# W1 chain for Snakemake 7: step i reads step i-1's output; `run:` rules.
# Run with --force-use-threads (else one Python process per job, ~2 s each).
import sys

sys.setrecursionlimit(10000)  # a 500-deep DAG overflows the default limit

N = 500


rule all:
    input:
        f"s{N}.out",


rule touch:
    input:
        lambda w: [] if int(w.i) == 1 else [f"s{int(w.i) - 1}.out"],
    output:
        "s{i}.out",
    wildcard_constraints:
        i=r"\d+",
    run:
        prev = 0
        if input:
            with open(input[0]) as f:
                prev = int(f.read().split()[0])
        with open(output[0], "w") as f:
            f.write(f"{wildcards.i} {prev}\n")
