"""Connections: one psycopg pool per workspace, pgvector registered, one schema per checkout."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import psycopg
from pgvector.psycopg import register_vector
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from codelens._config import ENV_READ_URL, Settings, redact_password
from codelens._db.autocommit import autocommit
from codelens._db.embedded import ensure_server, server_status
from codelens._db.migrations import migrate_registry
from codelens._db.replica import Replica
from codelens.errors import DatabaseError, MissingExtension

__all__ = [
    "DRIVER_LOGGERS",
    "POOL_LOGGER",
    "Connection",
    "Database",
    "search_path",
    "shown_url",
]

Connection = psycopg.Connection[Any]

_INSTALL_PGVECTOR = (
    "install pgvector on that server (https://github.com/pgvector/pgvector#installation, "
    "or the postgresql-NN-pgvector package), or unset CODELENS_DATABASE_URL to use the embedded server"
)


# Server-side prepared statements only where a call asks (``execute(..., prepare=True)``),
# never by psycopg's count of executions. A pooled connection moves between projects
# (search_path): the server plans a prepared statement again for the new path, but one
# that returns a vector column fails on a project whose vectors differ in width ("cached
# plan must not change result type"). Search's statements return no vector and are
# prepared: planning the lexical one took longer than running it.
PREPARE_WHEN_ASKED = 2**62


# psycopg_pool warns of each connection it discards and each reconnect that fails: ten
# lines when the server dies mid-run, printed by Python's last-resort handler (or the MCP
# SDK's) before codelens's own one line, which says all a user can act on; psycopg itself
# warns of a pipeline it could not end on a connection that was lost. They stay quiet
# unless asked for: `codelens --verbose`, or these loggers' levels set to WARNING or INFO.
POOL_LOGGER = "psycopg.pool"
DRIVER_LOGGERS = ("psycopg", POOL_LOGGER)


# The level each logger has when nobody set one: psycopg sets its own to WARNING on import.
_LIBRARY_LEVELS = {"psycopg": logging.WARNING}


def _quiet_pool_logger() -> None:
    for name in DRIVER_LOGGERS:
        logger = logging.getLogger(name)
        # A level the user set stays.
        if logger.level in (logging.NOTSET, _LIBRARY_LEVELS.get(name, logging.NOTSET)):
            logger.setLevel(logging.ERROR)


_quiet_pool_logger()


def _configure(conn: Connection) -> None:
    register_vector(conn)
    conn.commit()


def search_path(conn: Connection, schema: str) -> str:
    """The search_path value that puts ``schema`` first, then public (where vector lives):
    for ``set_config('search_path', %s, ...)``, the identifier quoted as SET would take it."""
    return sql.SQL("{}, public").format(sql.Identifier(schema)).as_string(conn)


def _first_line(exc: BaseException) -> str:
    # libpq quotes a conninfo it cannot parse, password included.
    text = redact_password(str(exc).strip())
    return text.splitlines()[0] if text else type(exc).__name__


# What a user does about each way a connection fails, by the words libpq reports it with.
_CONNECT_FIXES = (
    (
        ("password authentication failed", "no password supplied"),
        "check that role's password (in CODELENS_DATABASE_URL, PGPASSWORD or ~/.pgpass)",
    ),
    (
        ("certificate verify failed", "certificate has expired"),
        "the server's TLS certificate was refused (expired, or not signed by the CA in"
        " sslrootcert): renew the server's certificate, or set sslrootcert to the CA that signed it",
    ),
    (
        ("root certificate file",),
        "set sslrootcert (or PGSSLROOTCERT) to the file of the CA that signed the server's"
        " certificate",
    ),
    (
        ("does not match host name",),
        "the server's certificate names another host: connect by the name it names",
    ),
    (
        ("no pg_hba.conf entry",),
        "the server lets no such connection in: its admin adds a pg_hba.conf line for it"
        " (hostssl DATABASE ROLE ADDRESS scram-sha-256)",
    ),
    (
        ("Connection refused", "timeout expired", "could not translate host name", "No route"),
        "check that PostgreSQL runs and is reachable at that host and port (CODELENS_DATABASE_URL)",
    ),
)


def _cannot_connect(exc: BaseException) -> DatabaseError:
    reason = _first_line(exc)
    fix = next(
        (fix for words, fix in _CONNECT_FIXES if any(w in str(exc) for w in words)),
        "check CODELENS_DATABASE_URL or run `codelens db status`",
    )
    return DatabaseError(f"cannot connect to PostgreSQL ({reason}): {fix}")


def shown_url(url: str) -> str:
    """Where ``url`` leads, as ``postgresql://user@host:port/db``: never its password."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return redact_password(url)
    if "host" not in params and "service" in params:
        return f"service={params['service']}"
    user = f"{params['user']}@" if params.get("user") else ""
    port = f":{params['port']}" if params.get("port") else ""
    return f"postgresql://{user}{params.get('host', '')}{port}/{params.get('dbname', '')}"


def _check_url(url: str, variable: str = "CODELENS_DATABASE_URL") -> None:
    """Refuse, in one line, a URL libpq cannot parse (an unknown query parameter, a stray
    bracket): psycopg raises ProgrammingError for it, not the OperationalError of a server
    that cannot be reached, and its message may quote the URL, password included."""
    try:
        conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise DatabaseError(
            f"the database URL {redact_password(url)!r} is not valid ({_first_line(exc)}):"
            f" check {variable}"
        ) from exc


class Database:
    """A lazily opened pool over the embedded server or ``CODELENS_DATABASE_URL``."""

    def __init__(self, settings: Settings, *, max_size: int = 8, timeout: float = 30.0) -> None:
        self.settings = settings
        self._max_size = max_size
        self._timeout = timeout
        self._pool: ConnectionPool[Connection] | None = None
        self._lock = threading.Lock()
        # The embedded server the pool's connections lead to: (postmaster pid, url).
        self._server: tuple[int | None, str] | None = None
        self._replica: Replica | None = None

    @property
    def embedded(self) -> bool:
        return self.settings.database_url is None

    def url(self) -> str:
        if self.settings.database_url is not None:
            return self.settings.database_url
        return ensure_server(self.settings.pgdata)

    @property
    def pool(self) -> ConnectionPool[Connection]:
        if self.embedded:
            self._follow_embedded_server()
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = self._open(self.url())
        return self._pool

    def _follow_embedded_server(self) -> None:
        """Start the embedded server again if it died, and drop connections to a dead one.

        A notebook or MCP server outlives many servers: one killed, stopped by
        `codelens db stop`, or restarted by another process. One read of the pid file per
        checkout tells; the pool's own check would only find out connection by connection.
        """
        pid = server_status(self.settings.pgdata).pid
        if pid is not None and self._server is not None and self._server[0] == pid:
            return
        with self._lock:
            url = ensure_server(self.settings.pgdata)
            pid = server_status(self.settings.pgdata).pid
            if self._pool is not None and self._server is not None:
                if self._server[1] != url:
                    self._pool.close()
                    self._pool = None
                elif self._server[0] != pid:
                    # Replaces, here and now, every idle connection the old server broke.
                    self._pool.check()
            self._server = (pid, url)

    def _open(self, url: str) -> ConnectionPool[Connection]:
        _check_url(url)
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
                self._ensure_vector(conn)
                migrate_registry(conn)
        except psycopg.OperationalError as exc:
            raise _cannot_connect(exc) from exc
        pool: ConnectionPool[Connection] = ConnectionPool(
            url,
            min_size=1,
            max_size=self._max_size,
            configure=_configure,
            kwargs={"prepare_threshold": PREPARE_WHEN_ASKED},
            # A connection is tried before it is handed out, so that one the server dropped
            # (a restart, an idle timeout, a network cut) is replaced instead of failing a call.
            check=ConnectionPool.check_connection,
            timeout=self._timeout,
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
    def connection(
        self, schema: str | None = None, *, read: bool = False, settings_by_caller: bool = False
    ) -> Iterator[Connection]:
        """A pooled connection whose search_path is ``schema`` (then public, where vector lives).

        A server that cannot be reached, or that goes away while the connection is in use,
        is a one-line :class:`DatabaseError`; the next call gets a fresh connection (and, when
        codelens runs the embedded server, a server started again).

        ``read``: only reads follow, and they may go to the read replica
        (``CODELENS_DATABASE_READ_URL``) once it has replayed this process's writes.

        ``settings_by_caller``: the caller sets the search_path itself (:func:`search_path`,
        with its first statements) and ends its work with ``RESET ALL`` (with its last), so
        that neither costs a round trip of its own; should the caller fail, they are reset here.
        """
        replica = self.replica if read else None
        if replica is not None:
            _ = self.pool  # the primary first: its migrations come before any read
            with replica.connection() as conn:
                if conn is not None:
                    try:
                        with self._session(conn, schema, settings_by_caller):
                            yield conn
                    except psycopg.Error as exc:
                        if not conn.broken:
                            raise
                        replica.fail(_first_line(exc))
                        raise DatabaseError(
                            f"the connection to the read replica was lost ({_first_line(exc)}):"
                            " run it again; reads go to the primary meanwhile"
                        ) from exc
                    return
        used: Connection | None = None
        try:
            with self.pool.connection() as conn:
                used = conn
                with self._session(conn, schema, settings_by_caller):
                    yield conn
        except PoolTimeout as exc:
            raise self._unreachable(exc) from exc
        except psycopg.Error as exc:
            if used is None or not used.broken:
                raise
            raise self._lost(exc) from exc

    @staticmethod
    @contextmanager
    def _session(
        conn: Connection, schema: str | None, settings_by_caller: bool = False
    ) -> Iterator[None]:
        if schema is not None and not settings_by_caller:
            # Outside a transaction, so a rollback inside the caller's work cannot
            # drop it; and one round trip, not BEGIN, SET and COMMIT.
            with autocommit(conn):
                conn.execute(
                    sql.SQL("SET search_path TO {}, public").format(sql.Identifier(schema))
                )
        failed = False
        try:
            yield
        except BaseException:
            failed = True
            with suppress(psycopg.Error):
                conn.rollback()
            raise
        finally:
            # The next checkout starts with no schema or hnsw.* setting of ours. Done
            # here, not in a pool reset callback, so the connection is back when we return.
            with suppress(psycopg.Error):
                conn.commit()
                if failed or not settings_by_caller:
                    with autocommit(conn):
                        conn.execute("RESET ALL")

    @property
    def replica(self) -> Replica | None:
        """The read replica of ``CODELENS_DATABASE_READ_URL``; None without one."""
        url = self.settings.database_read_url
        if url is None:
            return None
        if self._replica is None:
            with self._lock:
                if self._replica is None:
                    _check_url(url, ENV_READ_URL)
                    self._replica = Replica(
                        url,
                        max_size=self._max_size,
                        configure=_configure,
                        kwargs={"prepare_threshold": PREPARE_WHEN_ASKED},
                    )
        return self._replica

    def wrote(self, conn: Connection) -> None:
        """Note the primary's WAL position after a write on ``conn`` (a primary connection),
        for reads on the replica to wait for; nothing without a replica."""
        replica = self.replica
        if replica is None:
            return
        row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
        if row is not None:
            replica.wrote(row[0])

    def replica_line(self) -> str | None:
        """The read replica's lag behind the primary, for status; None without a replica."""
        replica = self.replica
        if replica is None:
            return None
        with self.connection() as conn:
            row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
        return replica.status_line(row[0] if row else None)

    def _unreachable(self, exc: PoolTimeout) -> DatabaseError:
        # The pool only says it waited; a connection of our own says why.
        try:
            with psycopg.connect(self.url(), connect_timeout=5):
                pass
        except psycopg.OperationalError as reason:
            return _cannot_connect(reason)
        return DatabaseError(
            f"no free connection to PostgreSQL after {self._timeout:g} s: too many calls at"
            " once; run it again when some have finished"
        )

    def _lost(self, exc: psycopg.Error) -> DatabaseError:
        then = (
            "run it again: codelens starts the embedded server again"
            if self.embedded
            else "run it again once the server at CODELENS_DATABASE_URL is back"
        )
        return DatabaseError(f"the connection to PostgreSQL was lost ({_first_line(exc)}): {then}")

    def address(self) -> str:
        """The server and role this workspace's connections use, as the server reports them:
        ``postgresql://user@host:port/db``, with TLS or not (a service file's, too)."""
        with self.connection() as conn:
            info = conn.info
            tls = "TLS" if conn.pgconn.ssl_in_use else "no TLS"
            return f"postgresql://{info.user}@{info.host}:{info.port}/{info.dbname} ({tls})"

    def idle(self) -> bool:
        """True when no connection is checked out: what the leak tests assert after every call."""
        if self._pool is None:
            return True
        stats = self._pool.get_stats()
        return stats.get("pool_available", 0) == stats.get("pool_size", 0)

    def close(self) -> None:
        if self._replica is not None:
            self._replica.close()
        if self._pool is not None:
            self._pool.close()
            self._pool = None
