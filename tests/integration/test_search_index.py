"""The HNSW index helper the indexer calls once a project's vectors are typed."""

from __future__ import annotations

import threading
import time

from psycopg import sql

from codelens import Project
from codelens._embed.registry import get_embedder
from codelens._index.progress import Progress
from codelens._index.vector_index import HNSW_MAX_DIMENSIONS, ensure_vector_index
from codelens._index.vectors import embed_awaiting


def _indexes(project: Project) -> list[str]:
    with project.connection() as conn:
        rows = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = 'chunks'"
            " AND indexdef LIKE '%%hnsw%%'",
            [project.schema],
        ).fetchall()
    return [r[0] for r in rows]


def test_creates_one_cosine_hnsw_index_and_is_idempotent(project: Project) -> None:
    with project.connection() as conn:
        conn.execute("ALTER TABLE chunks ALTER COLUMN embedding TYPE vector(8)")
        assert ensure_vector_index(conn, 8)
        assert ensure_vector_index(conn, 8)
        conn.commit()
    (definition,) = _indexes(project)
    assert "vector_cosine_ops" in definition


def test_too_wide_models_are_left_to_exact_search(project: Project) -> None:
    wide = HNSW_MAX_DIMENSIONS + 1
    with project.connection() as conn:
        conn.execute(
            sql.SQL("ALTER TABLE chunks ALTER COLUMN embedding TYPE vector({})").format(
                sql.Literal(wide)
            )
        )
        assert not ensure_vector_index(conn, wide)
        conn.commit()
    assert _indexes(project) == []


def _random_vectors(project: Project, rows: int, dimensions: int) -> None:
    with project.connection() as conn, conn.transaction():
        conn.execute(
            sql.SQL("ALTER TABLE chunks ALTER COLUMN embedding TYPE vector({})").format(
                sql.Literal(dimensions)
            )
        )
        (repo,) = conn.execute(
            "INSERT INTO repositories (root_path, name) VALUES ('/src/r', 'r') RETURNING id"
        ).fetchone() or (None,)
        (file,) = conn.execute(
            "INSERT INTO files (repository_id, path, language, size, status)"
            " VALUES (%s, 'a.py', 'python', 0, 'indexed') RETURNING id",
            [repo],
        ).fetchone() or (None,)
        conn.execute(
            "INSERT INTO chunks (file_id, repository_id, project_id, chunk_index, path, kind,"
            " start_line, end_line, content, content_hash, token_count, truncated, embedding)"
            " SELECT %s, %s, %s, i, 'a.py', 'function', 1, 1, 'x', 'h', 1, false,"
            " (SELECT array_agg(random()::real) FROM generate_series(1, %s) WHERE i >= 0)::vector"
            " FROM generate_series(0, %s - 1) AS i",
            [file, repo, project.id, dimensions, rows],
        )


def test_a_cancelled_build_stops_at_once_and_leaves_no_index(project: Project) -> None:
    # Building the graph of a big project takes minutes; stopping the embedding job
    # (a notebook's interrupt, the workspace closing) must not wait for it.
    _random_vectors(project, 10_000, 256)
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    with project.connection() as conn:
        assert not ensure_vector_index(conn, 256, cancel=cancel)
        conn.commit()
    assert _indexes(project) == []
    with project.connection() as conn:  # the connection is usable, and the build runs again
        conn.execute("DELETE FROM chunks WHERE chunk_index >= 500")
        assert ensure_vector_index(conn, 256, cancel=threading.Event())
        conn.commit()
    assert len(_indexes(project)) == 1


def test_stopping_an_embedding_pass_stops_its_index_build(project: Project) -> None:
    # Every vector is in (an inline model's run): the pass has only the graph to build.
    _random_vectors(project, 10_000, 256)
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.perf_counter()
    report = embed_awaiting(
        project.handle, get_embedder("static"), Progress(show=False, callback=None), cancel=cancel
    )
    assert report.interrupted
    assert time.perf_counter() - started < 10
    assert _indexes(project) == []
