#!/usr/bin/python3
"""W3 snapshot hashing: SHA-256 of one 1 GiB file and of a folder of 1,000
files of 1 MiB, and an unchanged datasource re-commit. Peers: openssl dgst,
sha256sum, and openssl under xargs -P2 for the folder.

The page cache is not dropped (that needs privileges we cannot assume): the
warm-up run of each tool reads the data into the page cache, so every timed
run hashes from memory."""
import os

import gen
import lib

PEERS = ["time", "openssl", "sha256sum", "git", "numpy"]

FILE_LUA = 'assert(zenml.hash.file(os.getenv("BENCH_PATH")))'
FILES_LUA = ('local paths = {} '
             'for line in io.lines(os.getenv("BENCH_LIST")) do paths[#paths + 1] = line end '
             'local d = assert(zenml.hash.files(paths, math.tointeger(os.getenv("BENCH_THREADS")))) '
             'assert(#d == #paths)')
# How the datasource is first declared and committed; `zenml datasource
# commit NAME` is then timed on the unchanged folder.
DECLARE_LUA = ('local ds = zenml.datasources.Files { name = "w3", path = os.getenv("BENCH_DIR") } '
               'assert(ds:commit())')


def zenml_argv(*args):
    try:
        return [lib.zenml()] + list(args)
    except lib.Failed:
        return ["false"]


def file_tools(big):
    return [lib.Tool("zenml.hash.file", zenml_argv("-e", FILE_LUA),
                     env={"BENCH_PATH": big}, zenml=True),
            lib.Tool("openssl dgst -sha256", ["openssl", "dgst", "-sha256", big]),
            lib.Tool("sha256sum", ["sha256sum", big])]


def folder_tools(listing):
    def zenml_files(threads):
        return lib.Tool(f"zenml.hash.files, {threads} thread{'s' if threads > 1 else ''}",
                        zenml_argv("-e", FILES_LUA), zenml=True,
                        env={"BENCH_LIST": listing, "BENCH_THREADS": str(threads)})

    return [zenml_files(2), zenml_files(1),
            lib.Tool("openssl, xargs -P2", f"xargs -P2 -n 50 openssl dgst -sha256 < {listing}"),
            lib.Tool("openssl, one process", f"xargs -n 1000 openssl dgst -sha256 < {listing}"),
            lib.Tool("sha256sum, xargs -P2", f"xargs -P2 -n 50 sha256sum < {listing}")]


def recommit_tool(folder):
    repo = os.path.join(lib.scratch("w3"), "repo")

    def first_commit():
        lib.zenml_repo(repo, {"README": "W3 unchanged re-commit\n"})
        lib.sh([lib.zenml(), "-e", DECLARE_LUA], cwd=repo,
               env=dict(os.environ, BENCH_DIR=folder))

    return lib.Tool("zenml datasource commit", zenml_argv("datasource", "commit", "w3"),
                    cwd=repo, prepare=first_commit, zenml=True)


def throughput(rows, nbytes):
    for row in rows:
        if row.median is not None:
            row.quality = f"{nbytes / 1e6 / row.median:.0f} MB/s"


def run():
    lib.ensure_peers(PEERS)
    big, folder, paths = gen.w3_files()
    listing = os.path.join(lib.scratch("w3"), "files.txt")
    with open(listing, "w") as f:
        f.write("".join(p + "\n" for p in paths))
    rows = lib.run_case("W3", "one 1 GiB file", file_tools(big))
    throughput(rows, os.path.getsize(big))
    folder_rows = lib.run_case("W3", "folder, 1000 x 1 MiB", folder_tools(listing))
    throughput(folder_rows, sum(os.path.getsize(p) for p in paths))
    recommit = lib.run_case("W3", "unchanged re-commit", [recommit_tool(folder)])
    return rows + folder_rows + recommit


if __name__ == "__main__":
    lib.main_single(run)
