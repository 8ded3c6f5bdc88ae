"""How fast the scanner reads a repository: walk, read, hash, detect, sniff, decode.

    python benchmarks/scan_speed.py                       # 10,000 .py files of site-packages
    python benchmarks/scan_speed.py --all-files --rounds 5

The corpus is copied once to a temporary folder (the same seeded sample every run), so
two checkouts compare on the same files: run it with ``PYTHONPATH`` set to each, one
after the other, and compare the best rounds. Prints files/s, MB/s, CPU time, the indexable files
and the skip reasons, and the load average.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sysconfig
import tempfile
import time
from collections import Counter
from pathlib import Path

from codelens._scan.walk import scan


def _corpus(limit: int, into: Path, pattern: str) -> int:
    site = Path(sysconfig.get_paths()["purelib"])
    files = sorted(p for p in site.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts)
    random.Random(0).shuffle(files)
    for src in files[:limit]:
        dst = into / src.relative_to(site)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
    return min(limit, len(files))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--all-files", action="store_true", help="any file, not only .py")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    tmp = Path(tempfile.mkdtemp(prefix="codelens-scan-"))
    try:
        n = _corpus(args.files, tmp, "*" if args.all_files else "*.py")
        size = sum(p.stat().st_size for p in tmp.rglob("*") if p.is_file())
        list(scan(tmp))  # a first pass warms the page cache
        times, cpu = [], []
        for _ in range(args.rounds):
            started, used = time.perf_counter(), time.process_time()
            records = list(scan(tmp))
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - used)
        best = min(times)
        reasons = Counter(r.skip_reason.split()[0] for r in records if r.skip_reason)
        indexable = sum(r.indexable for r in records)
        print(f"corpus: {n} files, {size / 1e6:.1f} MB")
        print(
            f"scan: best {best:.2f} s of {', '.join(f'{t:.2f}' for t in times)}:"
            f" {n / best:.0f} files/s, {size / 1e6 / best:.1f} MB/s"
        )
        # CPU time is less at the mercy of other processes on a shared machine
        print(f"cpu: best {min(cpu):.2f} s, median {sorted(cpu)[len(cpu) // 2]:.2f} s")
        print(f"indexable: {indexable}; skipped: {dict(reasons.most_common()) or 'none'}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
