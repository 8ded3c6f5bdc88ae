"""Read a project's metadata out of PostgreSQL as Arrow tables (see ``_snapshot`` for why CSV).

Every query here is a SELECT inside the caller's read-only transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, LiteralString

import pyarrow as pa
import pyarrow.csv as pcsv
from psycopg import sql

from codelens.errors import ProjectNotFound

if TYPE_CHECKING:
    from codelens._db.pool import Connection

__all__ = ["PgSnapshot", "read_chunks", "read_project"]

_TS = pa.timestamp("us", tz="UTC")

# Timestamps are selected as epoch microseconds: an integer parses exactly, and fast.
_REPOSITORIES = (
    "SELECT id, name, root_path, (extract(epoch FROM created_at) * 1e6)::int8,"
    " (extract(epoch FROM last_indexed_at) * 1e6)::int8, true FROM repositories ORDER BY id"
)
_FILES = (
    "SELECT id, repository_id, path, language, size, sha256, line_count, status, skip_reason,"
    " error, (extract(epoch FROM indexed_at) * 1e6)::int8 FROM files ORDER BY id"
)
_EVENTS = (
    "SELECT id, repository_id, path, change, (extract(epoch FROM detected_at) * 1e6)::int8,"
    " (extract(epoch FROM indexed_at) * 1e6)::int8, run_id FROM change_events ORDER BY id"
)
_RUNS = (
    "SELECT id, repository_id, (extract(epoch FROM started_at) * 1e6)::int8,"
    " (extract(epoch FROM finished_at) * 1e6)::int8, status, report::text"
    " FROM index_runs ORDER BY id"
)
_EMBEDDING = (
    "SELECT model_name, embedding_dimensions, max_tokens, document_prefix, query_prefix,"
    " chunker_version, (extract(epoch FROM created_at) * 1e6)::int8 FROM embedding_metadata"
)
_SIGNATURES = (
    "SELECT f.id, (extract(epoch FROM f.indexed_at) * 1e6)::int8, coalesce(c.n, 0), c.max_id,"
    " coalesce(c.awaiting, 0) FROM files f LEFT JOIN (SELECT file_id, count(*) AS n,"
    " max(id) AS max_id, count(*) FILTER (WHERE embedding IS NULL) AS awaiting FROM chunks"
    " GROUP BY file_id) c ON c.file_id = f.id"
)
_CHUNK_COLUMNS = (
    "SELECT id, file_id, repository_id, chunk_index, path, symbol, kind, language, start_line,"
    " end_line, end_line - start_line + 1, content, content_hash, token_count, truncated,"
    " embedding IS NOT NULL, cell_number, cell_kind, execution_count, cell_start_line,"
    " cell_end_line FROM chunks"
)
_ALL_CHUNKS: LiteralString = _CHUNK_COLUMNS
_SOME_CHUNKS: LiteralString = _CHUNK_COLUMNS + " WHERE file_id = ANY(%s)"

_SCHEMAS: dict[str, pa.Schema] = {
    "repositories": pa.schema(
        [
            ("id", pa.int64()),
            ("name", pa.string()),
            ("root_path", pa.string()),
            ("created_at", _TS),
            ("last_indexed_at", _TS),
            ("on_disk", pa.bool_()),
        ]
    ),
    "files": pa.schema(
        [
            ("id", pa.int64()),
            ("repository_id", pa.int64()),
            ("path", pa.string()),
            ("language", pa.string()),
            ("size", pa.int64()),
            ("sha256", pa.string()),
            ("line_count", pa.int32()),
            ("status", pa.string()),
            ("skip_reason", pa.string()),
            ("error", pa.string()),
            ("indexed_at", _TS),
        ]
    ),
    "change_events": pa.schema(
        [
            ("id", pa.int64()),
            ("repository_id", pa.int64()),
            ("path", pa.string()),
            ("change", pa.string()),
            ("detected_at", _TS),
            ("indexed_at", _TS),
            ("run_id", pa.int64()),
        ]
    ),
    "index_runs": pa.schema(
        [
            ("id", pa.int64()),
            ("repository_id", pa.int64()),
            ("started_at", _TS),
            ("finished_at", _TS),
            ("status", pa.string()),
            ("report", pa.string()),
        ]
    ),
    "embedding_metadata": pa.schema(
        [
            ("model_name", pa.string()),
            ("embedding_dimensions", pa.int32()),
            ("max_tokens", pa.int32()),
            ("document_prefix", pa.string()),
            ("query_prefix", pa.string()),
            ("chunker_version", pa.string()),
            ("created_at", _TS),
        ]
    ),
}
_SIGNATURE_SCHEMA = pa.schema(
    [
        ("file_id", pa.int64()),
        ("indexed_at", _TS),
        ("chunk_count", pa.int64()),
        ("max_chunk_id", pa.int64()),
        ("awaiting", pa.int64()),
    ]
)
CHUNK_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("file_id", pa.int64()),
        ("repository_id", pa.int64()),
        ("chunk_index", pa.int32()),
        ("path", pa.string()),
        ("symbol", pa.string()),
        ("kind", pa.string()),
        ("language", pa.string()),
        ("start_line", pa.int32()),
        ("end_line", pa.int32()),
        ("lines", pa.int32()),
        ("content", pa.string()),
        ("content_hash", pa.string()),
        ("token_count", pa.int32()),
        ("truncated", pa.bool_()),
        ("has_vector", pa.bool_()),
        ("cell_number", pa.int32()),
        ("cell_kind", pa.string()),
        ("execution_count", pa.int32()),
        ("cell_start_line", pa.int32()),
        ("cell_end_line", pa.int32()),
    ]
)


@dataclass(frozen=True, slots=True)
class PgSnapshot:
    created_at: int  # the project's, in epoch microseconds: a re-created project differs
    signatures: pa.Table
    tables: dict[str, pa.Table]  # snapshot table name -> rows, replaced whole


def read_project(conn: Connection, project_id: str) -> PgSnapshot:
    """Everything but the chunks; starts the caller's read-only transaction."""
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    row = conn.execute(
        "SELECT (extract(epoch FROM created_at) * 1e6)::int8 FROM codelens.projects WHERE id = %s",
        [project_id],
    ).fetchone()
    if row is None:
        raise ProjectNotFound(
            f"project {project_id!r} was dropped: create it again (and index it) to analyze it"
        )
    created_at = int(row[0])
    queries = {
        "repositories": _REPOSITORIES,
        "files": _FILES,
        "change_events": _EVENTS,
        "index_runs": _RUNS,
        "embedding_metadata": _EMBEDDING,
    }
    tables = {name: _copy(conn, q, None, _SCHEMAS[name]) for name, q in queries.items()}
    signatures = _copy(conn, _SIGNATURES, None, _SIGNATURE_SCHEMA)
    return PgSnapshot(created_at, signatures, tables)


def read_chunks(conn: Connection, file_ids: Sequence[int] | None) -> pa.Table:
    """The chunks of these files (all of them for None), without their vectors."""
    if file_ids is None:
        return _copy(conn, _ALL_CHUNKS, None, CHUNK_SCHEMA)
    if not file_ids:
        return CHUNK_SCHEMA.empty_table()
    return _copy(conn, _SOME_CHUNKS, [list(file_ids)], CHUNK_SCHEMA)


def _copy(
    conn: Connection, query: LiteralString, params: list[Any] | None, schema: pa.Schema
) -> pa.Table:
    parts: list[bytes] = []
    statement = sql.SQL("COPY ({}) TO STDOUT (FORMAT csv)").format(sql.SQL(query))
    with conn.cursor() as cur, cur.copy(statement, params) as copy:
        parts.extend(bytes(block) for block in copy)
    if not parts:
        return schema.empty_table()
    # Timestamps arrive as integers; everything else as itself.
    wire = pa.schema([pa.field(f.name, pa.int64() if f.type == _TS else f.type) for f in schema])
    table = pcsv.read_csv(
        pa.py_buffer(b"".join(parts)),
        read_options=pcsv.ReadOptions(column_names=wire.names),
        parse_options=pcsv.ParseOptions(newlines_in_values=True),
        convert_options=pcsv.ConvertOptions(
            column_types=wire,
            # PostgreSQL writes NULL as an empty field and an empty string as "".
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["t"],
            false_values=["f"],
        ),
    )
    return table.cast(schema)
