"""Where one search's time goes: each Python step and each SQL statement, medians per search.

Runs the same queries as ``search_latency.py`` against one of its projects (load it
first with that script and the same ``--home``), times every step of
``codelens._search.engine.search`` by wrapping the engine's own functions, and every SQL
statement (and transaction command) by wrapping the connection's ``execute`` and
``transaction``. Statements are also timed on the server alone (``EXPLAIN ANALYZE``)
where that is cheap to ask. It prints figures; it is not a test.

    .venv/bin/python benchmarks/search_profile.py --home /tmp/cl-bench \\
        --project bench-100000-v2-static --embedder static

Steps overlap: a step's time includes the statements it runs. ``round trip`` is an
empty statement on an idle connection: what each extra statement costs at least. In
pipeline mode a statement's ``sql:`` line is only its sending: the server's time and the
round trip land on the ``read:`` lines (each first read of a batch waits for all of it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from search_latency import make_queries, stdlib_windows

import codelens._search.engine as engine
from codelens import Settings, Workspace
from codelens._search.query import query_cache

_times: dict[str, list[float]] = defaultdict(list)
_current: dict[str, float] = defaultdict(float)


@contextmanager
def _timer(name: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        _current[name] += (time.perf_counter() - started) * 1000


def _wrap(owner: Any, attr: str, name: str) -> None:
    original = getattr(owner, attr)

    def timed(*args: Any, **kwargs: Any) -> Any:
        with _timer(name):
            return original(*args, **kwargs)

    setattr(owner, attr, timed)


def _statement_name(query: Any) -> str:
    text = query if isinstance(query, str) else repr(query)
    for word in ("set_config", "WITH words", "RECURSIVE", "c.cell_number", "embedding IS NULL"):
        if word in text:
            return f"sql: {word}"
    if "embedding <=>" in text:
        return "sql: semantic"
    if "code_words" in text:
        return "sql: terms + stats version"
    return "sql: " + " ".join(text.split())[:40]


def _instrument() -> None:
    # The names of this checkout's engine or a baseline's (before search sent its
    # statements in pipeline mode, each step ran its own).
    for attr in (
        "_embed",
        "plan_query",
        "plan_query_later",
        "_semantic",
        "_semantic_later",
        "lexical_hits",
        "lexical_hits_later",
        "group",
        "rerank",
        "_rows",
        "_rows_later",
        "any_awaiting",
        "any_awaiting_later",
        "answering_later",
        "_units",
        "fuse",
        "shape_of",
    ):
        if hasattr(engine, attr):
            _wrap(engine, attr, f"step: {attr}")
    build = engine.SearchResults.build.__func__  # type: ignore[attr-defined]

    def timed_build(cls: Any, *args: Any, **kwargs: Any) -> Any:
        with _timer("step: SearchResults.build"):
            return build(cls, *args, **kwargs)

    engine.SearchResults.build = classmethod(timed_build)  # type: ignore[method-assign,assignment]
    execute = psycopg.Connection.execute

    def timed_execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        with _timer(_statement_name(query)):
            return execute(self, query, *args, **kwargs)

    psycopg.Connection.execute = timed_execute  # type: ignore[method-assign,assignment]
    # In pipeline mode a statement's execute only queues it: its wait lands on the read.
    for attr in ("fetchone", "fetchall"):
        _wrap(psycopg.Cursor, attr, f"read: {attr}")
    transaction = psycopg.Connection.transaction

    @contextmanager
    def timed_transaction(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        nested = self.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
        label = "savepoint" if nested else "BEGIN/COMMIT"
        started = time.perf_counter()
        manager = transaction(self, *args, **kwargs)
        tx = manager.__enter__()
        _current[f"tx: {label} (enter)"] += (time.perf_counter() - started) * 1000
        try:
            yield tx
        except BaseException as exc:
            if not manager.__exit__(type(exc), exc, exc.__traceback__):
                raise
        else:
            started = time.perf_counter()
            manager.__exit__(None, None, None)
            _current[f"tx: {label} (exit)"] += (time.perf_counter() - started) * 1000

    psycopg.Connection.transaction = timed_transaction  # type: ignore[method-assign,assignment]


def _run(search: Callable[..., Any], handle: Any, texts: list[str], mode: str) -> None:
    for text in texts:
        query_cache.clear()
        _current.clear()
        started = time.perf_counter()
        search(handle, text, mode=mode)
        _current["TOTAL"] = (time.perf_counter() - started) * 1000
        for name, ms in _current.items():
            _times[name].append(ms)


def _round_trip(workspace: Workspace, schema: str) -> float:
    with workspace.db.connection(schema) as conn:
        conn.autocommit = True
        times = []
        for _ in range(200):
            started = time.perf_counter()
            conn.execute("")
            times.append((time.perf_counter() - started) * 1000)
        conn.autocommit = False
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default="/tmp/cl-bench")
    parser.add_argument("--project", default="bench-100000-v2-static")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--mode", default="hybrid")
    parser.add_argument("--dimensions", type=int, default=256)
    args = parser.parse_args()
    workspace = Workspace(Settings(home=Path(args.home).resolve()))
    try:
        project = workspace.get(args.project)
        windows = stdlib_windows()
        texts = [t for t, _ in make_queries(windows, args.queries, args.dimensions)]
        search = engine.search
        _run(search, project.handle, texts[:50], args.mode)  # warm: pool, caches, model
        _times.clear()
        _instrument()
        _run(search, project.handle, texts, args.mode)
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"{args.project}, {args.mode}, {len(texts)} searches (load {load}); ms per search")
        print(f"  {'':40s} {'median':>7s} {'mean':>7s} {'p95':>7s}")
        for name in sorted(_times, key=lambda n: -statistics.mean(_times[n])):
            values = _times[name] + [0.0] * (len(texts) - len(_times[name]))
            p95 = statistics.quantiles(values, n=20)[-1]
            print(
                f"  {name:40s} {statistics.median(values):7.2f}"
                f" {statistics.mean(values):7.2f} {p95:7.2f}"
            )
        print(
            f"  round trip (empty statement): {_round_trip(workspace, project.handle.schema):.3f} ms"
        )
    finally:
        workspace.close()


if __name__ == "__main__":
    main()
