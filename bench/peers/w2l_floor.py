"""W2-large's physical floor: read FILE (from the page cache, after the
warm-up run) and hash it with SHA-256 on CORES cores: the file is cut into
CORES byte ranges, each read and hashed by its own thread (hashlib and file
reads release the GIL on large buffers, so the threads run in parallel).
Prints one digest per range. usage: w2l_floor.py FILE CORES"""
import hashlib
import os
import sys
import threading

BLOCK = 4 << 20


def hash_range(path, start, end, out, i):
    h = hashlib.sha256()
    buf = bytearray(BLOCK)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        f.seek(start)
        pos = start
        while pos < end:
            n = f.readinto(view[:min(BLOCK, end - pos)])
            if not n:
                raise SystemExit(f"w2l_floor: {path}: file shrank at byte {pos}")
            h.update(view[:n])
            pos += n
    out[i] = h.hexdigest()


def main(path, cores):
    size = os.path.getsize(path)
    bounds = [size * i // cores for i in range(cores + 1)]
    out = [None] * cores
    threads = [threading.Thread(target=hash_range, args=(path, bounds[i], bounds[i + 1], out, i))
               for i in range(cores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if None in out:
        sys.exit("w2l_floor: a range was not hashed")
    for i, digest in enumerate(out):
        print(f"{bounds[i]}-{bounds[i + 1]} {digest}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
