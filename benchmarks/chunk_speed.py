"""Chunking speed on this Python's standard library (test/ skipped), against parsing alone.

    python benchmarks/chunk_speed.py [--repeat 3]

Prints files/s of chunk_text (max_tokens=256, the fast token estimate) and of a bare
tree-sitter parse of the same files, per repeat, in CPU time and wall time.
"""

from __future__ import annotations

import argparse
import statistics
import sysconfig
import time
from pathlib import Path

from codelens._chunk.chunker import chunk_text
from codelens._chunk.grammars import get_parser


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(
        p
        for p in root.rglob("*.py")
        if p.relative_to(root).parts[0] not in ("test", "site-packages")
    )
    texts = [(str(p.relative_to(root)), p.read_text(encoding="utf-8")) for p in files]
    python = get_parser("python")
    chunk_rates, parse_rates = [], []
    for _ in range(args.repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        chunks = sum(len(chunk_text(p, "python", t, max_tokens=256)) for p, t in texts)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        start = time.process_time()
        for _, text in texts:
            python.parse(text.encode())
        parse = time.process_time() - start
        chunk_rates.append(len(texts) / cpu)
        parse_rates.append(len(texts) / parse)
        print(
            f"{len(texts)} files, {chunks} chunks: {len(texts) / cpu:.0f} files/s CPU"
            f" ({len(texts) / wall:.0f} wall); parse alone {len(texts) / parse:.0f} files/s"
        )
    print(
        f"median: chunking {statistics.median(chunk_rates):.0f} files/s,"
        f" parsing {statistics.median(parse_rates):.0f} files/s,"
        f" ratio {statistics.median(chunk_rates) / statistics.median(parse_rates):.2f}"
    )


if __name__ == "__main__":
    main()
