"""One indexer per project: a session-level advisory lock held on a connection of its own."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from typing import TYPE_CHECKING

from codelens._db.autocommit import autocommit
from codelens.errors import ProjectBusy

if TYPE_CHECKING:
    from codelens._db.handle import ProjectHandle

__all__ = ["index_lock"]

_HOLDER = """
SELECT a.application_name, a.backend_start
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended(%s, 0)
"""


@contextmanager
def index_lock(project: ProjectHandle, *, wait: bool = False) -> Iterator[None]:
    """Hold the project's indexing lock; ``wait`` blocks, otherwise a holder raises ProjectBusy."""
    key = f"codelens:index:{project.id}"
    me = f"codelens indexer, pid {os.getpid()} on {socket.gethostname()}"[:63]
    # autocommit: the lock is the session's, and no transaction must stay open while held.
    with project.db.connection() as conn, autocommit(conn):
        conn.execute("SELECT set_config('application_name', %s, false)", [me])
        if wait:
            conn.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [key])
        else:
            row = conn.execute(
                "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [key]
            ).fetchone()
            if row is None or not row[0]:
                holder = conn.execute(_HOLDER, [key]).fetchone()
                who = "another indexer"
                if holder is not None:
                    since = holder[1].astimezone(UTC).strftime("%H:%M:%S UTC")
                    who = f"{holder[0] or 'another indexer'} (since {since})"
                raise ProjectBusy(
                    f"project {project.id!r} is being indexed by {who}: wait for it to"
                    " finish, or pass wait=True to queue behind it"
                )
        try:
            yield
        finally:
            # A lost connection took the lock with it; the error that lost it goes on.
            if not conn.broken:
                conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [key])
                # What the run wrote is what a read on the replica waits for.
                project.db.wrote(conn)
