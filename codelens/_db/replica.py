"""A streaming read replica (``CODELENS_DATABASE_READ_URL``) that reads go to.

Searches, status and analysis snapshots read from it; indexing, grants and migrations
write to the primary. What a user can rely on:

- They read what they wrote. After this process wrote (an index run or embedding pass,
  a project created or dropped) the primary's WAL position is kept; a read then waits
  until the replica has replayed up to it, at most ``REPLAY_WAIT`` seconds, and past
  that reads from the primary, with a note, rather than miss what was just indexed.
- A replica that cannot be reached is set aside for ``RETRY_AFTER`` seconds with one
  warning line, and reads go to the primary meanwhile; then it is tried again.
- A replica that was promoted (no longer in recovery) is read from as before: there is
  nothing left for it to replay.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from codelens._config import redact_password
from codelens._db.autocommit import autocommit

if TYPE_CHECKING:
    from codelens._db.pool import Connection

__all__ = ["REPLAY_WAIT", "REPLICA_LOGGER", "RETRY_AFTER", "Replica", "lsn_text", "lsn_value"]

REPLICA_LOGGER = "codelens.replica"
_log = logging.getLogger(REPLICA_LOGGER)

# Seconds a read waits for the replica to replay this process's last write: a search
# right after an index run, while the replica catches up.
REPLAY_WAIT = 5.0
# Seconds a replica that could not be reached is left aside before it is tried again.
RETRY_AFTER = 30.0
# Seconds to get a replica connection: a dead replica costs a read this much, once.
CHECKOUT_TIMEOUT = 2.0
_POLL = 0.02

_REPLAY = "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text"
_LAG = (
    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,"
    " extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8"
)


def lsn_value(text: str) -> int:
    """A WAL position such as ``0/3000148`` as a number, so that positions compare."""
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) | int(low, 16)


def lsn_text(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


def _first_line(exc: BaseException) -> str:
    text = redact_password(str(exc).strip())
    return text.splitlines()[0] if text else type(exc).__name__


class Replica:
    """The read replica's own pool, what this process wrote, and whether it answers."""

    def __init__(
        self,
        url: str,
        *,
        max_size: int,
        configure: Callable[[Connection], None],
        kwargs: dict[str, Any],
        replay_wait: float = REPLAY_WAIT,
        retry_after: float = RETRY_AFTER,
    ) -> None:
        self.url = url
        self.shown = redact_password(url)
        self.replay_wait = replay_wait
        self.retry_after = retry_after
        self._max_size = max_size
        self._configure = configure
        self._kwargs = kwargs
        self._pool: ConnectionPool[Connection] | None = None
        self._lock = threading.Lock()
        self._written = 0  # the primary's WAL position after this process's last write
        self._replayed = 0  # a position the replica is known to have replayed
        self._gave_up = 0  # a position waited for in vain: later reads do not wait again
        self._down_until = 0.0  # time.monotonic() before which reads go to the primary
        self._warned = False  # one warning per time it goes away

    def __repr__(self) -> str:
        return f"<Replica {self.shown!r}>"

    @property
    def written(self) -> int:
        return self._written

    def wrote(self, lsn: str) -> None:
        """Remember the primary's WAL position after a write of this process."""
        value = lsn_value(lsn)
        with self._lock:
            self._written = max(self._written, value)

    @property
    def set_aside(self) -> bool:
        return time.monotonic() < self._down_until

    def fail(self, reason: str) -> None:
        """Set the replica aside for ``retry_after`` seconds; warn once until it answers again."""
        with self._lock:
            self._down_until = time.monotonic() + self.retry_after
            pool, self._pool = self._pool, None
            warn, self._warned = not self._warned, True
        if pool is not None:
            with suppress(Exception):
                pool.close(timeout=0)
        if warn:
            _log.warning(
                "the read replica at %s cannot be reached (%s): reads go to the primary,"
                " and the replica is tried again in %g s",
                self.shown,
                reason,
                self.retry_after,
            )

    @contextmanager
    def connection(self) -> Iterator[Connection | None]:
        """A replica connection that has replayed this process's writes; None when the read
        must go to the primary (the replica is set aside, or too far behind)."""
        taken = self._checkout()
        if taken is None:
            yield None
            return
        pool, conn = taken
        try:
            yield conn
        finally:
            pool.putconn(conn)

    def _checkout(self) -> tuple[ConnectionPool[Connection], Connection] | None:
        if self.set_aside:
            return None
        pool = self._open()
        try:
            conn = pool.getconn(timeout=CHECKOUT_TIMEOUT)
        except PoolTimeout:
            self.fail(self._why())
            return None
        try:
            ready = self._caught_up(conn)
        except psycopg.OperationalError as exc:
            pool.putconn(conn)
            self.fail(_first_line(exc))
            return None
        if not ready:
            pool.putconn(conn)
            return None
        with self._lock:
            self._warned = False
        return pool, conn

    def _open(self) -> ConnectionPool[Connection]:
        with self._lock:
            if self._pool is None:
                self._pool = ConnectionPool(
                    self.url,
                    min_size=1,
                    max_size=self._max_size,
                    configure=self._configure,
                    kwargs=self._kwargs,
                    check=ConnectionPool.check_connection,
                    timeout=CHECKOUT_TIMEOUT,
                    open=False,
                    name="codelens-replica",
                )
                self._pool.open(wait=False)
            return self._pool

    def _why(self) -> str:
        # The pool only says it waited; a connection of our own says why.
        try:
            with psycopg.connect(self.url, connect_timeout=int(CHECKOUT_TIMEOUT)):
                pass
        except psycopg.OperationalError as exc:
            return _first_line(exc)
        return f"no connection within {CHECKOUT_TIMEOUT:g} s"

    def _caught_up(self, conn: Connection) -> bool:
        """Wait until the replica has replayed this process's last write; False after
        ``replay_wait`` seconds, with a note."""
        with self._lock:
            target = self._written
            if target <= self._replayed:
                return True
            waited = target <= self._gave_up
        # Once per write: the reads after one that waited in vain check, but do not wait.
        deadline = time.monotonic() + (0.0 if waited else self.replay_wait)
        # Autocommit: no transaction (and no snapshot) stays open for the caller's read.
        with autocommit(conn):
            while True:
                row = conn.execute(_REPLAY).fetchone()
                assert row is not None
                in_recovery, replayed = row
                if not in_recovery:
                    return True  # promoted: a primary of its own, with nothing to replay
                if replayed is not None and lsn_value(replayed) >= target:
                    with self._lock:
                        self._replayed = max(self._replayed, lsn_value(replayed))
                    return True
                if time.monotonic() >= deadline:
                    if waited:
                        return False
                    with self._lock:
                        self._gave_up = max(self._gave_up, target)
                    behind = target - lsn_value(replayed) if replayed else None
                    _log.warning(
                        "the read replica at %s has not replayed this process's last write"
                        " after %g s (%s behind): this read goes to the primary",
                        self.shown,
                        self.replay_wait,
                        f"{behind:,} bytes" if behind is not None else "nothing replayed",
                    )
                    return False
                time.sleep(_POLL)

    def status_line(self, primary_lsn: str | None) -> str:
        """How far the replica is behind the primary, for ``codelens status``."""
        where = f"read replica: {self.shown}"
        try:
            with psycopg.connect(
                self.url, connect_timeout=int(CHECKOUT_TIMEOUT), autocommit=True
            ) as conn:
                row = conn.execute(_LAG).fetchone()
        except psycopg.OperationalError as exc:
            return f"{where}, unreachable ({_first_line(exc)}): reads go to the primary"
        assert row is not None
        in_recovery, replayed, since = row
        if not in_recovery:
            return f"{where}, promoted: it no longer follows the primary; reads still go to it"
        if replayed is None or primary_lsn is None:
            return f"{where}, has replayed nothing yet"
        behind = max(lsn_value(primary_lsn) - lsn_value(replayed), 0)
        lag = "in step with the primary" if not behind else f"{behind:,} bytes behind the primary"
        last = "" if since is None else f", last transaction replayed {since:.1f} s ago"
        return f"{where}, {lag} (replayed up to {replayed}{last})"

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
