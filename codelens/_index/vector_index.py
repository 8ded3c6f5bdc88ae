"""The approximate nearest-neighbour index over a project's embeddings."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import psycopg

from codelens._db.access import owns_chunks

if TYPE_CHECKING:
    from codelens._db.pool import Connection

__all__ = [
    "HNSW_MAX_DIMENSIONS",
    "ensure_first_pass_index",
    "ensure_vector_index",
    "has_vector_index",
]

# pgvector's HNSW indexes vectors of at most 2000 dimensions. Wider models still search
# correctly, by an exact scan, which is slower on big projects.
HNSW_MAX_DIMENSIONS = 2000


def ensure_vector_index(
    conn: Connection,
    dimensions: int,
    *,
    memory: str = "512MB",
    cancel: threading.Event | None = None,
) -> bool:
    """Create the HNSW cosine index on ``chunks.embedding`` if it is missing.

    Call it once the column is typed ``vector(dimensions)`` (HNSW needs the dimension),
    with the connection's search_path on the project's schema. Returns True when the
    column is indexed (now or already), False when the model is too wide for HNSW or
    ``cancel`` was set during the build: the build is then stopped on the server and
    rolled back, and the next call starts it again.
    ``memory`` is the build's maintenance_work_mem: a build whose graph fits is much faster.
    """
    if dimensions > HNSW_MAX_DIMENSIONS:
        return False
    return _cancellable(conn, cancel, lambda: _build(conn, memory))


def _cancellable(
    conn: Connection, cancel: threading.Event | None, build: Callable[[], bool]
) -> bool:
    """``build()``'s answer, or False when ``cancel`` is set before or during it."""
    if cancel is not None and cancel.is_set():
        return False
    try:
        with _stopped_by(conn, cancel):
            return build()
    except psycopg.errors.QueryCanceled:
        if cancel is None or not cancel.is_set():
            raise  # someone else's cancel (statement_timeout, an operator): not ours to hide
        return False


@contextmanager
def _stopped_by(conn: Connection, cancel: threading.Event | None) -> Iterator[None]:
    """Cancel ``conn``'s statement on the server when ``cancel`` is set meanwhile: a graph
    over half a million vectors takes minutes to build, and stopping a job waits for it."""
    if cancel is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        # Again until the build returns: a cancel that reaches the server between the
        # build's statements is ignored there.
        while not done.wait(0.05):
            if cancel.is_set():
                conn.cancel_safe()

    watcher = threading.Thread(target=watch, name="codelens-index-cancel", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def _build(conn: Connection, memory: str) -> bool:
    with conn.transaction():
        if not owns_chunks(conn):
            # Only the table's owner may index it: a writer asks the registry's function.
            conn.execute("SELECT codelens.index_embeddings(current_schema(), %s)", [memory])
            return True
        conn.execute("SELECT set_config('maintenance_work_mem', %s, true)", [memory])
        conn.execute(
            "CREATE INDEX IF NOT EXISTS chunks_embedding_hnsw"
            " ON chunks USING hnsw (embedding vector_cosine_ops)"
        )
    return True


def has_vector_index(conn: Connection) -> bool:
    """Whether the project's chunks have their HNSW index."""
    return _has_index(conn, "chunks_embedding_hnsw")


def _has_index(conn: Connection, name: str) -> bool:
    row = conn.execute(
        "SELECT EXISTS (SELECT FROM pg_indexes WHERE schemaname = current_schema()"
        " AND indexname = %s)",
        [name],
    ).fetchone()
    return bool(row and row[0])


def ensure_first_pass_index(
    conn: Connection, *, memory: str = "512MB", cancel: threading.Event | None = None
) -> bool:
    """Create the HNSW cosine index on ``chunks.first_vector`` if it is missing; whether
    the column is indexed (False also when ``cancel`` stopped the build: rolled back, the
    next call starts it again).

    Built once, after a first load's rows are in (as the project model's is), then kept
    current row by row: the first pass stores vectors with every later batch. Only the
    table's owner may build it; a writer's project searches the first pass by an exact
    scan, slower on a big project and as right.
    """
    if _has_index(conn, "chunks_first_vector_hnsw"):
        # Asked first: CREATE INDEX IF NOT EXISTS locks out writers before it looks.
        return True
    return _cancellable(conn, cancel, lambda: _build_first_pass(conn, memory))


def _build_first_pass(conn: Connection, memory: str) -> bool:
    with conn.transaction():
        if not owns_chunks(conn):
            return False
        conn.execute("SELECT set_config('maintenance_work_mem', %s, true)", [memory])
        conn.execute(
            "CREATE INDEX IF NOT EXISTS chunks_first_vector_hnsw"
            " ON chunks USING hnsw (first_vector halfvec_cosine_ops)"
        )
    return True
