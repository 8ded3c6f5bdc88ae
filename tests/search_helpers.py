"""Chunks written straight into a project's tables, embedded by the real local model.

Search tests use this to control exactly what a project holds (paths, languages,
repositories), without depending on the chunker's choices.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from psycopg import sql

from codelens import Project
from codelens._db.pool import Connection
from codelens._embed.registry import get_embedder
from codelens._index.vector_index import ensure_vector_index

LEVENSHTEIN = """def levenshtein(a, b):
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]
"""
PARSE = """def parseHttpResponse(raw):
    head, _, body = raw.partition(b"\\r\\n\\r\\n")
    status, *headers = head.split(b"\\r\\n")
    return status, headers, body
"""


@dataclass(frozen=True)
class Chunk:
    path: str
    symbol: str
    content: str
    language: str | None = "python"
    kind: str = "function"
    repository: str = "repo"
    start_line: int = 1


def load(
    project: Project,
    chunks: Sequence[Chunk],
    *,
    vectors: Sequence[Sequence[float]] | None = None,
    analyze: bool = True,
) -> list[int]:
    """Insert ``chunks`` (embedded with the local model unless ``vectors`` are given), then
    ANALYZE the table (as an index run leaves it) unless ``analyze`` is False."""
    embedder = get_embedder("local")
    if vectors is None:
        vectors = list(embedder.embed_documents([c.content for c in chunks]))
    ids: list[int] = []
    with project.connection() as conn, conn.transaction():
        if conn.execute("SELECT count(*) FROM embedding_metadata").fetchone() == (0,):
            conn.execute(
                "INSERT INTO embedding_metadata (model_name, embedding_dimensions, max_tokens,"
                " chunker_version) VALUES (%s, %s, %s, 'test')",
                [embedder.name, embedder.dimensions, embedder.max_tokens],
            )
            conn.execute(
                sql.SQL("ALTER TABLE chunks ALTER COLUMN embedding TYPE vector({})").format(
                    sql.Literal(embedder.dimensions)
                )
            )
            ensure_vector_index(conn, embedder.dimensions)
        files: dict[tuple[str, str], tuple[int, int]] = {}
        counters: dict[int, int] = {}
        rows: list[list[object]] = []
        for chunk, vector in zip(chunks, vectors, strict=True):
            key = (chunk.repository, chunk.path)
            if key not in files:
                files[key] = _file(conn, chunk)
            repo_id, file_id = files[key]
            if file_id not in counters:
                last = conn.execute(
                    "SELECT coalesce(max(chunk_index) + 1, 0) FROM chunks WHERE file_id = %s",
                    [file_id],
                ).fetchone()
                assert last is not None
                counters[file_id] = int(last[0])
            index = counters[file_id]
            counters[file_id] = index + 1
            end = chunk.start_line + max(1, len(chunk.content.splitlines())) - 1
            digest = hashlib.sha256(chunk.content.encode()).hexdigest()
            where = [chunk.path, chunk.symbol, chunk.kind, chunk.language, chunk.start_line, end]
            rows.append(
                [file_id, repo_id, project.id, index, *where, chunk.content, digest, list(vector)]
            )
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO chunks (file_id, repository_id, project_id, chunk_index, path,"
                " symbol, kind, language, start_line, end_line, content, content_hash,"
                " token_count, truncated, embedding)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 0, false, %s)"
                " RETURNING id",
                rows,
                returning=True,
            )
            while True:
                row = cur.fetchone()
                assert row is not None
                ids.append(int(row[0]))
                if not cur.nextset():
                    break
        if analyze:
            conn.execute("ANALYZE chunks")
    return ids


def _file(conn: Connection, chunk: Chunk) -> tuple[int, int]:
    repo = conn.execute(
        "INSERT INTO repositories (root_path, name) VALUES (%s, %s)"
        " ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
        ["/src/" + chunk.repository, chunk.repository],
    ).fetchone()
    assert repo is not None
    file = conn.execute(
        "INSERT INTO files (repository_id, path, language, size, status)"
        " VALUES (%s, %s, %s, 0, 'indexed') ON CONFLICT (repository_id, path)"
        " DO UPDATE SET size = 0 RETURNING id",
        [repo[0], chunk.path, chunk.language],
    ).fetchone()
    assert file is not None
    return int(repo[0]), int(file[0])
