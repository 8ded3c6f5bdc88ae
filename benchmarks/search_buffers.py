"""Hybrid search with the embedded server at initdb's shared_buffers and at codelens's own.

Runs on a project that ``search_latency.py`` loaded (same ``--home``), in turns: each turn
sets the server's shared_buffers (``ALTER SYSTEM``: 128MB, or reset to the value codelens
starts it with, see :func:`codelens._db.embedded.server_settings`), restarts it, warms it
with 200 searches, then times the queries (each embedded by the project's model). Which
goes first alternates by round. The server is left reset to codelens's value. It prints
figures; it is not a test.

    python benchmarks/search_buffers.py --home /tmp/cl-bench \\
        --project bench-100000-v2-static --rounds 4
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from psycopg import sql
from search_latency import make_queries, stdlib_windows

from codelens import Settings, Workspace
from codelens._db.embedded import ensure_server, server_settings, stop_server
from codelens._search.engine import search
from codelens._search.query import query_cache

INITDB = "128MB"


def _restart_with(pgdata: Path, buffers: str | None) -> None:
    with psycopg.connect(ensure_server(pgdata), autocommit=True) as conn:
        if buffers is None:
            conn.execute("ALTER SYSTEM RESET shared_buffers")
        else:
            conn.execute(
                sql.SQL("ALTER SYSTEM SET shared_buffers = {}").format(sql.Literal(buffers))
            )
    stop_server(pgdata)


def _turn(home: Path, project_id: str, texts: list[str], mode: str) -> tuple[str, list[float]]:
    workspace = Workspace(Settings(home=home))
    try:
        handle = workspace.get(project_id).handle
        for text in texts[:200]:
            search(handle, text, mode=mode)
        query_cache.clear()
        times = []
        for text in texts:
            started = time.perf_counter()
            search(handle, text, mode=mode)
            times.append((time.perf_counter() - started) * 1000)
        with workspace.db.connection() as conn:
            row = conn.execute("SHOW shared_buffers").fetchone()
        return (str(row[0]) if row else "?"), times
    finally:
        workspace.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default="/tmp/cl-bench")
    parser.add_argument("--project", default="bench-100000-v2-static")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--dimensions", type=int, default=256)
    parser.add_argument("--mode", default="hybrid")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    home = Path(args.home).resolve()
    pgdata = home / "pgdata"
    windows = stdlib_windows()
    texts = [t for t, _ in make_queries(windows, args.queries, args.dimensions)]
    sides = {INITDB: INITDB, "codelens": None}
    figures: dict[str, list[tuple[float, float]]] = {side: [] for side in sides}
    print(f"codelens starts the server with {server_settings()}")
    try:
        for round_ in range(args.rounds):
            order = list(sides) if round_ % 2 == 0 else list(sides)[::-1]
            for side in order:
                _restart_with(pgdata, sides[side])
                shown, times = _turn(home, args.project, texts, args.mode)
                p50, p95 = statistics.median(times), statistics.quantiles(times, n=20)[-1]
                figures[side].append((p50, p95))
                load = " ".join(f"{x:.2f}" for x in os.getloadavg())
                print(
                    f"round {round_ + 1} {side:8s} (shared_buffers {shown}): {args.mode}"
                    f" p50 {p50:5.2f} ms  p95 {p95:5.2f} ms  (load {load})",
                    flush=True,
                )
    finally:
        _restart_with(pgdata, None)
    print(f"\nmedian of {args.rounds} rounds, {args.project}, {args.mode}:")
    for side, runs in figures.items():
        p50 = statistics.median(r[0] for r in runs)
        p95 = statistics.median(r[1] for r in runs)
        print(f"  {side:8s} p50 {p50:5.2f} ms  p95 {p95:5.2f} ms")


if __name__ == "__main__":
    main()
