"""How this machine's disk takes concurrent syncs (BENCHMARKS.md, HTTP front end, session 12).

`python3 benches/serve_sync.py N THREADS PATH [inplace]`: THREADS threads each append N
8,000-byte records to one file at PATH (removed afterwards) and `fdatasync` after each, as
`ramsim serve --journal-syncs THREADS` does per group; prints syncs/s, wall time per sync and
CPU per sync. With `inplace`, the file is filled with zeros first and overwritten.
"""
import os
import sys
import threading
import time

n = int(sys.argv[1])
T = int(sys.argv[2])
path = sys.argv[3]
inplace = len(sys.argv) > 4
fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
if inplace:
    os.write(fd, b"\0" * (n * T * 8192 + 8192))
    os.fsync(fd)
buf = b"x" * 8000
off = [0]
lock = threading.Lock()


def work():
    for _ in range(n):
        with lock:
            o = off[0]
            off[0] += len(buf)
        os.pwrite(fd, buf, o)
        os.fdatasync(fd)


t = time.perf_counter()
c0 = time.process_time()
threads = [threading.Thread(target=work) for _ in range(T)]
for x in threads:
    x.start()
for x in threads:
    x.join()
w = time.perf_counter() - t
cpu = time.process_time() - c0
print(f"threads={T} inplace={inplace}: {n * T / w:.0f} syncs/s, "
      f"{w / n * 1e6:.0f} us per sync per thread, {cpu / (n * T) * 1e6:.0f} us cpu per sync")
os.close(fd)
os.unlink(path)
