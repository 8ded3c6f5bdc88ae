"""Time the symbols' part of the analysis snapshot, and the symbol analyses, on real code.

    PYTHONPATH=. .venv/bin/python benchmarks/symbols_analysis.py   # asyncio email json http logging unittest
    PYTHONPATH=. .venv/bin/python benchmarks/symbols_analysis.py --packages asyncio json

The named packages of this Python's standard library are indexed for real (chunks and
symbols, without vectors: ``embed="later"``) into a private CODELENS_HOME. Printed: the
counts of definitions, references and imports; the first refresh of the snapshot and
one with nothing changed (median of --repeat), and within them the time spent reading and
resolving every reference (``read_symbols``); then each symbol analysis.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sysconfig
import tempfile
import time
from pathlib import Path

from codelens import Settings, Workspace
from codelens._analysis.snapshot_symbols import read_symbols
from codelens._db.embedded import stop_server

PACKAGES = ("asyncio", "email", "json", "http", "logging", "unittest")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--packages", nargs="+", default=list(PACKAGES))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    home = Path(tempfile.mkdtemp(prefix="codelens-bench-"))
    root = home / "src"
    for name in args.packages:
        shutil.copytree(stdlib / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    workspace = Workspace(Settings(home=home))
    try:
        project = workspace.create("bench")
        started = time.perf_counter()
        project.index(root, progress=False, embed="later")
        print(f"indexed {', '.join(args.packages)} in {time.perf_counter() - started:.1f} s")
        with project.connection() as conn:
            started = time.perf_counter()
            tables = read_symbols(project.handle, conn)
            read = time.perf_counter() - started
            conn.rollback()
        counts = ", ".join(f"{name} {table.num_rows:,}" for name, table in tables.items())
        print(f"{counts}\nread_symbols (read and resolve all): {read:.3f} s")
        started = time.perf_counter()
        analysis = project.analyze()
        print(f"first refresh (full copy): {time.perf_counter() - started:.3f} s")
        again = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            analysis.refresh()
            again.append(time.perf_counter() - started)
        print(f"refresh, nothing changed: {statistics.median(again):.3f} s (median)")
        timed = {
            "graph('module')": lambda: analysis.graph("module"),
            "graph('definition')": lambda: analysis.graph("definition"),
            "... networkx=True": lambda: analysis.graph("definition", networkx=True),
            "hotspots()": analysis.hotspots,
            "unreferenced()": analysis.unreferenced,
            "import_cycles()": analysis.import_cycles,
            "plot.module_graph()": analysis.plot.module_graph,
        }
        for label, call in timed.items():
            started = time.perf_counter()
            result = call()
            rows = f"{len(result):,} rows" if hasattr(result, "columns") else ""
            print(f"{label:<22} {time.perf_counter() - started:7.3f} s  {rows}")
    finally:
        workspace.close()
        stop_server(home / "pgdata")
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
