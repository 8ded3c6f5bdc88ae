"""Connections: one psycopg pool per workspace, pgvector registered, one schema per checkout."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import psycopg
from pgvector.psycopg import register_vector
from psycopg import sql
from psycopg_pool import ConnectionPool

from ._config import Settings
from ._migrations import migrate_registry
from ._server import ensure_server
from .errors import DatabaseError, MissingExtension

__all__ = ["Connection", "Database"]

Connection = psycopg.Connection[Any]

_INSTALL_PGVECTOR = (
    "install pgvector on that server (https://github.com/pgvector/pgvector#installation, "
    "or the postgresql-NN-pgvector package), or unset CODELENS_DATABASE_URL to use the embedded server"
)


def _configure(conn: Connection) -> None:
    register_vector(conn)
    conn.commit()


class Database:
    """A lazily opened pool over the embedded server or ``CODELENS_DATABASE_URL``."""

    def __init__(self, settings: Settings, *, max_size: int = 8) -> None:
        self.settings = settings
        self._max_size = max_size
        self._pool: ConnectionPool[Connection] | None = None
        self._lock = threading.Lock()

    @property
    def embedded(self) -> bool:
        return self.settings.database_url is None

    def url(self) -> str:
        if self.settings.database_url is not None:
            return self.settings.database_url
        return ensure_server(self.settings.pgdata)

    @property
    def pool(self) -> ConnectionPool[Connection]:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = self._open()
        return self._pool

    def _open(self) -> ConnectionPool[Connection]:
        url = self.url()
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
                self._ensure_vector(conn)
                migrate_registry(conn)
        except psycopg.OperationalError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DatabaseError(
                f"cannot connect to PostgreSQL ({first}): check CODELENS_DATABASE_URL "
                "or run `codelens db status`"
            ) from exc
        pool: ConnectionPool[Connection] = ConnectionPool(
            url,
            min_size=1,
            max_size=self._max_size,
            configure=_configure,
            open=False,
            name="codelens",
        )
        pool.open(wait=True, timeout=30)
        return pool

    @staticmethod
    def _ensure_vector(conn: Connection) -> None:
        row = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone()
        if row is not None:
            return
        available = conn.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
        ).fetchone()
        if available is None:
            raise MissingExtension(
                f"the PostgreSQL server has no pgvector extension: {_INSTALL_PGVECTOR}"
            )
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except psycopg.errors.UniqueViolation:
            pass  # another process created it between our check and our CREATE
        except psycopg.Error as exc:
            raise MissingExtension(
                f"cannot create the pgvector extension ({exc.diag.message_primary}): "
                "ask the server's owner to run CREATE EXTENSION vector"
            ) from exc

    @contextmanager
    def connection(self, schema: str | None = None) -> Iterator[Connection]:
        """A pooled connection whose search_path is ``schema`` (then public, where vector lives)."""
        with self.pool.connection() as conn:
            if schema is not None:
                conn.execute(
                    sql.SQL("SET search_path TO {}, public").format(sql.Identifier(schema))
                )
                # Committed, so a rollback inside the caller's work cannot drop it.
                conn.commit()
            try:
                yield conn
            except BaseException:
                with suppress(psycopg.Error):
                    conn.rollback()
                raise
            finally:
                # The next checkout starts with no schema or hnsw.* setting of ours. Done here,
                # not in a pool reset callback, so that the connection is back when we return.
                with suppress(psycopg.Error):
                    conn.execute("RESET ALL")
                    conn.commit()

    def idle(self) -> bool:
        """True when no connection is checked out: what the leak tests assert after every call."""
        if self._pool is None:
            return True
        stats = self._pool.get_stats()
        return stats.get("pool_available", 0) == stats.get("pool_size", 0)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
