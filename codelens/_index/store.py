"""Writes of an index run: repositories, runs, files, chunks and change events."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from pgvector import HalfVector
from psycopg import sql

from codelens._chunk.chunker import CHUNKER_VERSION
from codelens._chunk.tags import SYMBOLS_VERSION
from codelens._db.model_record import update_chunker_version
from codelens._index.file_vectors import refresh_file_vectors
from codelens._index.nested_root import check_not_nested
from codelens._index.repository_name import name_taken

if TYPE_CHECKING:
    from codelens._chunk.tags import FileSymbols
    from codelens._db.pool import Connection

__all__ = [
    "CHUNK_COLUMNS",
    "COPY_CHUNKS",
    "AwaitingChunk",
    "ChunkRow",
    "FileRow",
    "KnownFile",
    "StoredVector",
    "awaiting_chunks",
    "bump_symbols_generation",
    "delete_files",
    "fill_vectors",
    "finish_run",
    "interrupt_dead_runs",
    "known_files",
    "mark_failed",
    "start_run",
    "stored_first_vectors",
    "stored_hashes",
    "stored_vectors",
    "upsert_repository",
    "write_files",
]

# Column and binary COPY type, in the order rows are written.
CHUNK_COLUMNS = (
    ("file_id", "int8"),
    ("repository_id", "int8"),
    ("project_id", "text"),
    ("chunk_index", "int4"),
    ("path", "text"),
    ("symbol", "text"),
    ("kind", "text"),
    ("language", "text"),
    ("start_line", "int4"),
    ("end_line", "int4"),
    ("content", "text"),
    ("content_hash", "text"),
    ("token_count", "int4"),
    ("truncated", "bool"),
    ("embedding", "vector"),
    ("embed_header", "text"),
    ("cell_number", "int4"),
    ("cell_kind", "text"),
    ("execution_count", "int4"),
    ("cell_start_line", "int4"),
    ("cell_end_line", "int4"),
    ("first_vector", "halfvec"),
)
_CHUNK_TYPES = [kind for _, kind in CHUNK_COLUMNS]
COPY_CHUNKS = sql.SQL("COPY chunks ({}) FROM STDIN WITH (FORMAT BINARY)").format(
    sql.SQL(", ").join(sql.Identifier(name) for name, _ in CHUNK_COLUMNS)
)

# The symbol tables' columns and binary COPY types, in the order rows are written.
_SYMBOL_COLUMNS = {
    "definitions": (
        ("file_id", "int8"),
        ("repository_id", "int8"),
        ("path", "text"),
        ("language", "text"),
        ("name", "text"),
        ("qualname", "text"),
        ("kind", "text"),
        ("line", "int4"),
        ("col", "int4"),
        ("end_line", "int4"),
        ("scope", "text"),
        ("bases", "text[]"),
    ),
    "symbol_refs": (
        ("file_id", "int8"),
        ("repository_id", "int8"),
        ("path", "text"),
        ("language", "text"),
        ("name", "text"),
        ("qualifier", "text"),
        ("kind", "text"),
        ("line", "int4"),
        ("col", "int4"),
        ("scope", "text"),
    ),
    "symbol_imports": (
        ("file_id", "int8"),
        ("repository_id", "int8"),
        ("path", "text"),
        ("alias", "text"),
        ("module", "text"),
        ("name", "text"),
        ("line", "int4"),
        ("col", "int4"),
    ),
}
_COPY_SYMBOLS = {
    table: sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT BINARY)").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(name) for name, _ in columns)
    )
    for table, columns in _SYMBOL_COLUMNS.items()
}


@dataclass(frozen=True, slots=True)
class KnownFile:
    id: int
    sha256: str | None
    status: str
    skip_reason: str | None
    symbols_version: int | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class StoredVector:
    """A chunk's vector with the token count from the tokenization that produced it."""

    embedding: npt.NDArray[np.float32]
    token_count: int
    truncated: bool


@dataclass(frozen=True, slots=True)
class ChunkRow:
    chunk_index: int
    symbol: str
    kind: str
    start_line: int
    end_line: int
    content: str
    content_hash: str
    embed_header: str
    vector: StoredVector | None  # None: stored now, awaiting its vector
    language: str | None = None  # a notebook cell's; None: the file's
    cell_number: int | None = None
    cell_kind: str | None = None
    execution_count: int | None = None
    cell_start_line: int | None = None
    cell_end_line: int | None = None
    first_vector: npt.NDArray[np.float32] | None = None  # the first-pass model's, if any


@dataclass(frozen=True, slots=True)
class AwaitingChunk:
    """A stored chunk without its vector: what the embedding phase reads back."""

    id: int
    content_hash: str
    path: str
    symbol: str
    embed_header: str
    content: str


@dataclass(slots=True)
class FileRow:
    path: str
    language: str | None
    size: int
    sha256: str | None
    line_count: int
    status: str  # indexed, skipped or failed
    skip_reason: str | None = None
    error: str | None = None
    change: str | None = None  # added or modified; None when the content did not change
    chunks: list[ChunkRow] | None = None  # None keeps the stored chunks (failed files)
    symbols: FileSymbols | None = None  # None keeps the stored symbols


def upsert_repository(
    conn: Connection, project_id: str, root: str, name: str | None
) -> tuple[int, str]:
    """The repository at ``root``, registered on first sight under a unique name; a
    ``name`` given (checked by :func:`check_repository_name`) names or renames it."""
    if name is not None:
        other = conn.execute(
            "SELECT root_path FROM repositories WHERE name = %s AND root_path <> %s", [name, root]
        ).fetchone()
        if other is not None:
            raise name_taken(project_id, name, str(other[0]))
    row = conn.execute("SELECT id, name FROM repositories WHERE root_path = %s", [root]).fetchone()
    if row is not None:
        if name is not None and name != row[1]:
            conn.execute("UPDATE repositories SET name = %s WHERE id = %s", [name, row[0]])
            return int(row[0]), name
        return int(row[0]), str(row[1])
    check_not_nested(conn, project_id, root)
    base = name or root.rstrip("/").rsplit("/", 1)[-1] or "root"
    taken = {r[0] for r in conn.execute("SELECT name FROM repositories")}
    unique = base
    n = 2
    while unique in taken:
        unique, n = f"{base}-{n}", n + 1
    # Its files will all be cut by today's chunker, also if this first run is interrupted.
    new = conn.execute(
        "INSERT INTO repositories (root_path, name, chunker_version) VALUES (%s, %s, %s)"
        " RETURNING id",
        [root, unique, CHUNKER_VERSION],
    ).fetchone()
    assert new is not None
    return int(new[0]), unique


def chunked_by_today(conn: Connection, repository_id: int) -> bool:
    """Whether this repository's files were cut by today's chunker (``CHUNKER_VERSION``)."""
    row = conn.execute(
        "SELECT chunker_version FROM repositories WHERE id = %s", [repository_id]
    ).fetchone()
    return row is not None and row[0] == CHUNKER_VERSION


def record_chunker_version(conn: Connection, repository_id: int) -> None:
    """Say that every file of the repository is now cut by today's chunker."""
    conn.execute(
        "UPDATE repositories SET chunker_version = %s WHERE id = %s",
        [CHUNKER_VERSION, repository_id],
    )
    update_chunker_version(conn)


def interrupt_dead_runs(conn: Connection, repository_id: int) -> int:
    """Mark as interrupted the runs of a repository left ``running`` by an indexer that died;
    call under the repository's lock.

    Holding it means no other run of that repository is alive (runs of other repositories
    may be). A dead run's end is taken as its last batch written (or its start), the last
    moment it is known to have worked.
    """
    cur = conn.execute(
        "UPDATE index_runs r SET status = 'interrupted', finished_at = COALESCE("
        " (SELECT max(e.indexed_at) FROM change_events e WHERE e.run_id = r.id), r.started_at)"
        " WHERE r.status = 'running' AND r.repository_id = %s",
        [repository_id],
    )
    return cur.rowcount


def start_run(conn: Connection, repository_id: int) -> int:
    row = conn.execute(
        "INSERT INTO index_runs (repository_id) VALUES (%s) RETURNING id", [repository_id]
    ).fetchone()
    assert row is not None
    return int(row[0])


def finish_run(
    conn: Connection, run_id: int, repository_id: int, status: str, report: dict[str, Any]
) -> None:
    conn.execute(
        "UPDATE index_runs SET finished_at = now(), status = %s, report = %s WHERE id = %s",
        [status, json.dumps(report), run_id],
    )
    if status == "completed":
        conn.execute(
            "UPDATE repositories SET last_indexed_at = now() WHERE id = %s", [repository_id]
        )


def known_files(conn: Connection, repository_id: int) -> dict[str, KnownFile]:
    rows = conn.execute(
        "SELECT path, id, sha256, status, skip_reason, symbols_version, language FROM files"
        " WHERE repository_id = %s",
        [repository_id],
    )
    return {r[0]: KnownFile(r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows}


def stored_vectors(conn: Connection, hashes: Sequence[str]) -> dict[str, StoredVector]:
    """Vectors already in the project for these content hashes (one project, one model)."""
    if not hashes:
        return {}
    rows = conn.execute(
        "SELECT DISTINCT ON (content_hash) content_hash, embedding, token_count, truncated"
        " FROM chunks WHERE content_hash = ANY(%s) AND embedding IS NOT NULL",
        [list(hashes)],
    )
    return {r[0]: StoredVector(np.asarray(r[1].to_numpy(), np.float32), r[2], r[3]) for r in rows}


def stored_first_vectors(
    conn: Connection, hashes: Sequence[str]
) -> dict[str, npt.NDArray[np.float32]]:
    """First-pass vectors already in the project for these content hashes."""
    if not hashes:
        return {}
    rows = conn.execute(
        "SELECT DISTINCT ON (content_hash) content_hash, first_vector"
        " FROM chunks WHERE content_hash = ANY(%s) AND first_vector IS NOT NULL",
        [list(hashes)],
    )
    return {r[0]: np.asarray(r[1].to_numpy(), np.float32) for r in rows}


def awaiting_chunks(conn: Connection, after_id: int, limit: int) -> list[AwaitingChunk]:
    """Up to ``limit`` chunks awaiting a vector, in id order after ``after_id``."""
    rows = conn.execute(
        "SELECT id, content_hash, path, symbol, embed_header, content FROM chunks"
        " WHERE embedding IS NULL AND id > %s ORDER BY id LIMIT %s",
        [after_id, limit],
    )
    return [AwaitingChunk(*r) for r in rows]


def fill_vectors(conn: Connection, vectors: dict[str, StoredVector]) -> int:
    """Give every chunk awaiting a vector with one of these content hashes its vector; how
    many chunks got one.

    The caller wraps this in a transaction. A content hash is the hash of the exact text
    embedded, so every chunk with that hash gets the same vector, in this batch or not;
    chunks that already have one are left as they are. The files whose every chunk now
    has a vector get their mean (:mod:`codelens._index.file_vectors`) in the same
    transaction.
    """
    filled = 0
    files: set[int] = set()
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE chunks SET embedding = %s, token_count = %s, truncated = %s"
            " WHERE content_hash = %s AND embedding IS NULL RETURNING file_id",
            [(v.embedding, v.token_count, v.truncated, h) for h, v in vectors.items()],
            returning=True,
        )
        for result in cur.results():
            rows = result.fetchall()
            filled += len(rows)
            files.update(int(r[0]) for r in rows)
    # The files whose last chunk this batch embedded get their mean with it.
    refresh_file_vectors(conn, files)
    return filled


def mark_failed(conn: Connection, hashes: Sequence[str], error: str) -> list[str]:
    """Mark the files whose chunks with these hashes could not be embedded; their paths.

    Their chunks stay stored, awaiting vectors (searchable by words); a failed file is
    chunked and stored again by the next run, which retries it.
    """
    rows = conn.execute(
        "UPDATE files SET status = 'failed', error = %s WHERE id IN (SELECT file_id"
        " FROM chunks WHERE content_hash = ANY(%s) AND embedding IS NULL) RETURNING path",
        [error, list(hashes)],
    )
    return sorted(r[0] for r in rows)


def stored_hashes(conn: Connection, file_ids: Sequence[int]) -> dict[int, list[str]]:
    """The content hashes of the chunks each file has now."""
    found: dict[int, list[str]] = {}
    if file_ids:
        rows = conn.execute(
            "SELECT file_id, content_hash FROM chunks WHERE file_id = ANY(%s)", [list(file_ids)]
        )
        for file_id, content_hash in rows:
            found.setdefault(file_id, []).append(content_hash)
    return found


def write_files(
    conn: Connection, project_id: str, repository_id: int, run_id: int, files: Sequence[FileRow]
) -> None:
    """Write one batch of files with their chunks, symbols and events, in a few round trips.

    The caller wraps this in a transaction: a batch lands whole or not at all, a file's
    symbols with its chunks. Call :func:`bump_symbols_generation` once the run's batches
    have committed (once per run, not per batch: readers load everything again after it).
    """
    if not files:
        return
    columns = list(
        zip(
            *(
                (
                    f.path,
                    f.language,
                    f.size,
                    f.sha256,
                    f.line_count,
                    f.status,
                    f.skip_reason,
                    f.error,
                    None if f.symbols is None else SYMBOLS_VERSION,
                )
                for f in files
            ),
            strict=True,
        )
    )
    rows = conn.execute(
        "INSERT INTO files (repository_id, path, language, size, sha256, line_count, status,"
        " skip_reason, error, symbols_version, indexed_at)"
        " SELECT %s, * , now() FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::text[],"
        " %s::int[], %s::text[], %s::text[], %s::text[], %s::int[])"
        " ON CONFLICT (repository_id, path) DO UPDATE SET language = EXCLUDED.language,"
        " size = EXCLUDED.size, sha256 = EXCLUDED.sha256, line_count = EXCLUDED.line_count,"
        " status = EXCLUDED.status, skip_reason = EXCLUDED.skip_reason,"
        " error = EXCLUDED.error, indexed_at = EXCLUDED.indexed_at,"
        " symbols_version = COALESCE(EXCLUDED.symbols_version, files.symbols_version)"
        " RETURNING path, id",
        [repository_id, *(list(c) for c in columns)],
    )
    ids = {path: int(file_id) for path, file_id in rows}
    replaced = [ids[f.path] for f in files if f.chunks is not None]
    if replaced:
        conn.execute("DELETE FROM chunks WHERE file_id = ANY(%s)", [replaced])
    with conn.cursor() as cur, cur.copy(COPY_CHUNKS) as copy:
        copy.set_types(_CHUNK_TYPES)
        for f in files:
            for c in f.chunks or ():
                copy.write_row(
                    (
                        ids[f.path],
                        repository_id,
                        project_id,
                        c.chunk_index,
                        f.path,
                        c.symbol,
                        c.kind,
                        c.language or f.language,
                        c.start_line,
                        c.end_line,
                        c.content,
                        c.content_hash,
                        None if c.vector is None else c.vector.token_count,
                        None if c.vector is None else c.vector.truncated,
                        None if c.vector is None else c.vector.embedding,
                        c.embed_header,
                        c.cell_number,
                        c.cell_kind,
                        c.execution_count,
                        c.cell_start_line,
                        c.cell_end_line,
                        None if c.first_vector is None else HalfVector(c.first_vector),
                    )
                )
    if replaced:
        # Whether each file is generated, from its header (migration 0010): a file that
        # lost its chunks, or its header, is no longer.
        conn.execute(
            "UPDATE files f SET generated = coalesce((SELECT generated_header(c.content)"
            " FROM chunks c WHERE c.file_id = f.id AND c.chunk_index = 0), false)"
            " WHERE f.id = ANY(%s)",
            [replaced],
        )
    # Stored with their vectors (reused, inline or the first pass's): their means with them.
    refresh_file_vectors(conn, replaced)
    _write_symbols(conn, repository_id, ids, files)
    changed = [(f.path, f.change) for f in files if f.change is not None]
    if changed:
        paths, changes = zip(*changed, strict=True)
        conn.execute(
            "INSERT INTO change_events (repository_id, path, change, indexed_at, run_id)"
            " SELECT %s, p, c, now(), %s FROM unnest(%s::text[], %s::text[]) AS u(p, c)",
            [repository_id, run_id, list(paths), list(changes)],
        )


def _write_symbols(
    conn: Connection, repository_id: int, ids: dict[str, int], files: Sequence[FileRow]
) -> None:
    """Replace the symbols of the files that bring theirs, with the chunks' transaction."""
    replaced = [ids[f.path] for f in files if f.symbols is not None]
    if not replaced:
        return
    for table in _SYMBOL_COLUMNS:
        conn.execute(
            sql.SQL("DELETE FROM {} WHERE file_id = ANY(%s)").format(sql.Identifier(table)),
            [replaced],
        )
    rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in _SYMBOL_COLUMNS}
    for f in files:
        found = f.symbols
        if found is None:
            continue
        head = (ids[f.path], repository_id, f.path)
        language = found.language or f.language
        for d in found.definitions:
            rows["definitions"].append(
                (
                    *head,
                    language,
                    d.name,
                    d.qualname,
                    d.kind,
                    d.line,
                    d.column,
                    d.end_line,
                    d.scope,
                    list(d.bases),
                )
            )
        for r in found.references:
            rows["symbol_refs"].append(
                (*head, language, r.name, r.qualifier, r.kind, r.line, r.column, r.scope)
            )
        for i in found.imports:
            rows["symbol_imports"].append((*head, i.alias, i.module, i.name, i.line, i.column))
    for table, columns in _SYMBOL_COLUMNS.items():
        if not rows[table]:
            continue
        with conn.cursor() as cur, cur.copy(_COPY_SYMBOLS[table]) as copy:
            copy.set_types([kind for _, kind in columns])
            for row in rows[table]:
                copy.write_row(row)


def bump_symbols_generation(conn: Connection) -> None:
    """Tell readers of symbols that what they cached is stale; call after the write commits."""
    conn.execute("SELECT nextval('symbols_generation')")


def delete_files(conn: Connection, repository_id: int, run_id: int, paths: Sequence[str]) -> int:
    """Forget files that left the disk; returns the chunk rows removed with them."""
    if not paths:
        return 0
    row = conn.execute(
        "SELECT count(*) FROM chunks c JOIN files f ON f.id = c.file_id"
        " WHERE f.repository_id = %s AND f.path = ANY(%s)",
        [repository_id, list(paths)],
    ).fetchone()
    conn.execute(
        "DELETE FROM files WHERE repository_id = %s AND path = ANY(%s)",
        [repository_id, list(paths)],
    )
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO change_events (repository_id, path, change, indexed_at, run_id)"
            " VALUES (%s, %s, 'deleted', now(), %s)",
            [(repository_id, p, run_id) for p in paths],
        )
    return int(row[0]) if row else 0
