#!/usr/bin/python3
"""W3 snapshot hashing: SHA-256 of one 1 GiB file and of a folder of 1,000
files of 1 MiB, and an unchanged datasource re-commit. Peers: openssl dgst,
sha256sum, and openssl under xargs -P2 for the folder.

The page cache is not dropped (that needs privileges we cannot assume): the
warm-up run of each tool reads the data into the page cache, so every timed
run hashes from memory."""
import os
import re

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


# Issue 3's store figures, zenml alone (there is no peer for them): 10,000
# small puts in one batch, and asking for the hash of the unchanged 1 GiB file
# through the metadata store's stat cache (the first, uncached, call happens
# in the warm-up run).
PUTS_LUA = ('local s = assert(zenml.store.open(os.getenv("BENCH_STORE"))) s:batch_begin() '
            'for i = 1, 10000 do s:put(("artifact %d %s"):format(i, os.getenv("BENCH_SALT"))) end '
            'assert(s:batch_commit())')
STAT_LUA = ('local db = assert(zenml.meta.open("sqlite:" .. os.getenv("BENCH_DB"))) '
            'local clock = require("zenml._core").sys.clock local t = clock() '
            'assert(db:hash_file(os.getenv("BENCH_PATH"))) '
            'io.write(("call_ms=%.3f\\n"):format((clock() - t) * 1e3))')


def store_tools(big):
    scratch = lib.scratch("w3")
    store = os.path.join(scratch, "puts")
    lib.sh(["rm", "-rf", store])
    # Every run puts 10,000 new objects (a new salt) into the same store: a
    # store that is wiped before each run would also time the file system
    # reusing the inodes just deleted, which on this ext4 costs several times
    # the puts themselves.
    env = {"BENCH_STORE": store, "BENCH_SALT": "0"}

    def next_salt():
        env["BENCH_SALT"] = str(int(env["BENCH_SALT"]) + 1)

    puts = lib.Tool("zenml store: 10,000 small puts, one batch", zenml_argv("-e", PUTS_LUA),
                    env=env, zenml=True, setup=next_salt)
    stat = lib.Tool("zenml stat cache: hash of unchanged 1 GiB file", zenml_argv("-e", STAT_LUA),
                    env={"BENCH_DB": os.path.join(scratch, "stat.db"), "BENCH_PATH": big},
                    zenml=True)
    return [puts, stat]


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
    puts = lib.run_case("W3", "store: 10,000 puts", store_tools(big)[:1])
    stat = lib.run_case("W3", "stat cache, 1 GiB unchanged", store_tools(big)[1:])
    for row in stat:
        calls = [float(x) for x in re.findall(r"call_ms=([0-9.]+)", row.stdout or "")]
        if calls:
            row.quality = f"the call itself: {calls[-1]:.2f} ms"
    return rows + folder_rows + recommit + puts + stat


if __name__ == "__main__":
    lib.main_single(run)
