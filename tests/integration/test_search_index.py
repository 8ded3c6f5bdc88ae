"""The HNSW index helper the indexer calls once a project's vectors are typed."""

from __future__ import annotations

from psycopg import sql

from codelens import Project
from codelens._index.vector_index import HNSW_MAX_DIMENSIONS, ensure_vector_index


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
