"""Copy a project's index (without vectors) and a fresh disk scan into its DuckDB snapshot file.

Transport: PostgreSQL writes ``COPY (SELECT ...) TO STDOUT (FORMAT csv)`` in C, and
``pyarrow.csv`` parses it on every core into Arrow columns that DuckDB inserts without
a Python object per value. Measured on 111,000 chunks (97 MB of text): COPY csv 0.55 s
+ parse 0.16 s, against 0.8 s for ``COPY ... (FORMAT binary)`` decoded row by row by
psycopg and 1.3 s for ``fetchall()`` + Arrow. The DuckDB postgres extension would need
its own wheel of the exact DuckDB version; this needs only psycopg and pyarrow.

Incremental: the chunk text is the heavy part. Each refresh reads one signature per
file (indexed_at, chunk count, highest chunk id: about 40 ms for 100,000 chunks) and
copies only the chunks of files whose signature changed, after deleting the snapshot's
chunks of files that changed or vanished. The indexer replaces a file's chunks (new ids:
ids only grow) and rewrites the file's row whenever it changes them, so each of its changes
alters the signature; no clock (or a transaction that committed late) can hide one.

All PostgreSQL reads run in one REPEATABLE READ, READ ONLY transaction: one consistent
view, and the server itself refuses any write. The disk scan runs in a thread meanwhile.

Locking and the file itself: ``_snapshot_file``.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from codelens._analysis.disk import scan_disk
from codelens._analysis.snapshot_file import locked, snapshot_path, writable
from codelens._analysis.snapshot_pg import read_chunks, read_project
from codelens._analysis.snapshot_schema import SCHEMA_VERSION
from codelens._analysis.snapshot_symbols import read_symbols, symbols_generation

if TYPE_CHECKING:
    from codelens._db.handle import ProjectHandle
    from codelens._scan.walk import ScanOptions

__all__ = ["RefreshStats", "refresh_snapshot"]

# Files whose chunks in the snapshot differ from PostgreSQL's: new, changed or gone.
_CHANGED = """
SELECT coalesce(n.file_id, o.file_id) AS file_id, coalesce(n.chunk_count, 0) AS chunk_count
FROM pg_signatures AS n FULL JOIN _synced AS o ON o.file_id = n.file_id
WHERE n.file_id IS NULL OR o.file_id IS NULL
   OR n.indexed_at IS DISTINCT FROM o.indexed_at
   OR n.chunk_count IS DISTINCT FROM o.chunk_count
   OR n.max_chunk_id IS DISTINCT FROM o.max_chunk_id
   OR n.awaiting IS DISTINCT FROM o.awaiting
"""


_CLEAR = {
    "_synced": "DELETE FROM _synced",
    "repositories": "DELETE FROM repositories",
    "files": "DELETE FROM files",
    "change_events": "DELETE FROM change_events",
    "index_runs": "DELETE FROM index_runs",
    "embedding_metadata": "DELETE FROM embedding_metadata",
    "disk_files": "DELETE FROM disk_files",
    "definitions": "DELETE FROM definitions",
    "symbol_refs": "DELETE FROM symbol_refs",
    "module_imports": "DELETE FROM module_imports",
}


@dataclass(frozen=True, slots=True)
class RefreshStats:
    full_copy: bool
    chunks_copied: int
    chunks_deleted: int
    postgres_seconds: float
    disk_seconds: float
    seconds: float


def refresh_snapshot(
    project: ProjectHandle, scan_options: ScanOptions | None = None
) -> RefreshStats:
    """Bring the snapshot file up to date with PostgreSQL and the disk."""
    path = snapshot_path(project)
    started = time.perf_counter()
    with locked(path, shared=False), writable(path) as con:
        with project.read_connection() as conn, ThreadPoolExecutor(1) as pool:
            try:
                pg = read_project(conn, project.id)
                repositories = pg.tables["repositories"]
                roots = zip(
                    repositories["id"].to_pylist(),
                    repositories["root_path"].to_pylist(),
                    strict=True,
                )
                disk = pool.submit(_timed_scan, list(roots), scan_options)
                if _stored_identity(con) != (project.id, pg.created_at):
                    _clear(con, project.id, pg.created_at)
                full = _count(con, "SELECT count(*) FROM _synced") == 0
                con.register("pg_signatures", pg.signatures)
                changed = con.execute(_CHANGED).to_arrow_table()
                wanted = changed.filter(pc.greater(changed["chunk_count"], 0))
                chunks = read_chunks(conn, None if full else wanted["file_id"].to_pylist())
                # Resolving every reference is the slow part: only after a write of symbols.
                generation = symbols_generation(conn)
                stored = con.execute("SELECT generation, table_oid FROM _symbols_synced").fetchone()
                fresh = stored is None or tuple(stored) != generation
                symbols = read_symbols(project, conn) if fresh else {}
                postgres_seconds = time.perf_counter() - started
            finally:
                conn.rollback()
            disk_table, missing, disk_seconds = disk.result()
        con.execute("BEGIN")
        con.register("changed", changed)
        deleted = _count(
            con, "SELECT count(*) FROM chunks WHERE file_id IN (SELECT file_id FROM changed)"
        )
        con.execute("DELETE FROM chunks WHERE file_id IN (SELECT file_id FROM changed)")
        con.from_arrow(chunks).insert_into("chunks")
        _replace(con, "_synced", pg.signatures)
        for name, table in (*pg.tables.items(), *symbols.items()):
            _replace(con, name, table)
        if symbols:
            con.execute("DELETE FROM _symbols_synced")
            con.execute("INSERT INTO _symbols_synced VALUES (?, ?)", list(generation))
        con.execute("UPDATE repositories SET on_disk = NOT list_contains(?, id)", [missing])
        _replace(con, "disk_files", disk_table)
        stats = RefreshStats(
            full,
            chunks.num_rows,
            deleted,
            postgres_seconds,
            disk_seconds,
            time.perf_counter() - started,
        )
        con.execute("DELETE FROM snapshot_info")
        con.execute(
            "INSERT INTO snapshot_info VALUES (?, now(), ?, ?, ?, ?, ?, ?)",
            [
                project.id,
                stats.full_copy,
                stats.chunks_copied,
                stats.chunks_deleted,
                stats.postgres_seconds,
                stats.disk_seconds,
                stats.seconds,
            ],
        )
        con.execute("COMMIT")
    # Closing checkpoints the file, which is part of what a caller waits for.
    return replace(stats, seconds=time.perf_counter() - started)


def _timed_scan(
    roots: list[tuple[int, str]], options: ScanOptions | None
) -> tuple[pa.Table, list[int], float]:
    started = time.perf_counter()
    table, missing = scan_disk(roots, options)
    return table, sorted(missing), time.perf_counter() - started


def _count(con: duckdb.DuckDBPyConnection, query: str) -> int:
    row = con.execute(query).fetchone()
    return int(row[0]) if row else 0


def _replace(con: duckdb.DuckDBPyConnection, name: str, rows: pa.Table) -> None:
    con.execute(_CLEAR[name])
    con.from_arrow(rows).insert_into(name)


def _stored_identity(con: duckdb.DuckDBPyConnection) -> tuple[str, int] | None:
    row = con.execute("SELECT project_id, project_created_us FROM _meta").fetchone()
    return (str(row[0]), int(row[1])) if row else None


def _clear(con: duckdb.DuckDBPyConnection, project_id: str, created_us: int) -> None:
    """Forget every copied chunk: the project was dropped and created again."""
    con.execute("DELETE FROM chunks")
    con.execute("DELETE FROM _synced")
    con.execute("DELETE FROM _symbols_synced")
    con.execute("DELETE FROM _meta")
    con.execute("INSERT INTO _meta VALUES (?, ?, ?)", [SCHEMA_VERSION, project_id, created_us])
