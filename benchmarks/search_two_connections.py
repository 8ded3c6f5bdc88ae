"""Hybrid search's two lists: on its one connection (pipelined) or on two at once.

The experiment behind keeping one connection: the semantic and the lexical statements
either go out together on the search's connection (what search does: the server runs
them one after the other), or the lexical one goes to a second pooled connection that
reads the first one's snapshot (``pg_export_snapshot()``, then ``SET TRANSACTION
SNAPSHOT``), so that the server can run both at once. Timed from the query's terms being
known to both lists being read, second checkout and its return included, the two ways in
turns per query, on a project that ``search_latency.py`` loaded (same ``--home``). Both
ways must return the same lists. It prints figures; it is not a test.

    python benchmarks/search_two_connections.py --home /tmp/cl-bench \\
        --project bench-100000-v2-static
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from psycopg import sql
from search_latency import make_queries, stdlib_windows

from codelens import Settings, Workspace
from codelens._db.autocommit import autocommit
from codelens._db.handle import ProjectHandle
from codelens._db.pool import Connection, search_path
from codelens._search.answering import answering
from codelens._search.engine import _BEGIN, CANDIDATES, _semantic_later
from codelens._search.filters import Filters
from codelens._search.lexical import TermPlan, lexical_hits_later, plan_query

_Lists = tuple[list[tuple[int, float]], list[tuple[int, float]]]
_NONE = Filters.of()


def _begin(conn: Connection, handle: ProjectHandle, snapshot: str | None = None) -> None:
    conn.execute(_BEGIN)
    if snapshot is not None:  # before any query of the transaction
        conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
    conn.execute("SELECT set_config('search_path', %s, false)", [search_path(conn, handle.schema)])


def _end(conn: Connection) -> None:
    conn.execute("RESET ALL")
    conn.execute("COMMIT")


def _timed(
    workspace: Workspace,
    handle: ProjectHandle,
    text: str,
    lists: Callable[[Connection, str, str, object, object, TermPlan | None], _Lists],
) -> tuple[float, _Lists]:
    with (
        workspace.db.connection(handle.schema, settings_by_caller=True) as conn,
        autocommit(conn),
        conn.pipeline(),
    ):
        _begin(conn, handle)
        snapshot = conn.execute("SELECT pg_export_snapshot()")
        answer = answering(conn, handle)
        plan = plan_query(conn, text)
        row = snapshot.fetchone()
        assert row is not None
        vector = answer.embedder.embed_query(text)
        started = time.perf_counter()
        found = lists(conn, text, str(row[0]), answer, vector, plan)
        elapsed = (time.perf_counter() - started) * 1000
        _end(conn)
    return elapsed, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default="/tmp/cl-bench")
    parser.add_argument("--project", default="bench-100000-v2-static")
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--dimensions", type=int, default=256)
    args = parser.parse_args()
    workspace = Workspace(Settings(home=Path(args.home).resolve()))
    handle = workspace.get(args.project).handle

    def one(
        conn: Connection, text: str, _: str, answer: object, vector: object, plan: TermPlan | None
    ) -> _Lists:
        lexical = lexical_hits_later(conn, text, plan, _NONE, CANDIDATES) if plan else None
        semantic = _semantic_later(conn, answer, vector, _NONE, CANDIDATES)()  # type: ignore[arg-type]
        return semantic, lexical() if lexical else []

    def two(
        conn: Connection,
        text: str,
        snapshot: str,
        answer: object,
        vector: object,
        plan: TermPlan | None,
    ) -> _Lists:
        with (
            workspace.db.connection(handle.schema, settings_by_caller=True) as other,
            autocommit(other),
            other.pipeline() as pipeline,
        ):
            _begin(other, handle, snapshot)
            lexical = lexical_hits_later(other, text, plan, _NONE, CANDIDATES) if plan else None
            _end(other)
            pipeline.sync()  # the lexical statement leaves now, before the semantic one is read
            semantic = _semantic_later(conn, answer, vector, _NONE, CANDIDATES)()  # type: ignore[arg-type]
            return semantic, lexical() if lexical else []

    try:
        texts = [t for t, _ in make_queries(stdlib_windows(), args.queries, args.dimensions)]
        for text in texts[:50]:  # warm: the pool's second connection, the caches
            _timed(workspace, handle, text, one)
            _timed(workspace, handle, text, two)
        times: dict[str, list[float]] = {"one connection": [], "two connections": []}
        for i, text in enumerate(texts):
            ways = [("one connection", one), ("two connections", two)]
            results = []
            for label, way in ways if i % 2 else ways[::-1]:
                elapsed, found = _timed(workspace, handle, text, way)
                times[label].append(elapsed)
                results.append(found)
            assert results[0] == results[1], f"the lists differ for {text!r}"
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"{args.project}, {len(texts)} queries, both lists read (load {load}):")
        for label, values in times.items():
            p50, p95 = statistics.median(values), statistics.quantiles(values, n=20)[-1]
            print(f"  {label:16s} p50 {p50:6.3f} ms  p95 {p95:6.3f} ms")
    finally:
        workspace.close()


if __name__ == "__main__":
    main()
