"""Who may index a project at once: session-level advisory locks, held on connections of
their own, that name their holder (its pid and host) to whoever is refused.

- An index run holds the project *shared* and its repository *exclusively*: indexers on
  several machines store different repositories into one project at once, and a second
  indexer of the same repository is refused (or queues, with ``wait``).
- Work on the whole project (a forced re-index, which may switch the model and drop
  every vector) holds the project exclusively.
- One embedding pass per project at a time: a second waits, then embeds what the first
  left. The first reads on through the chunks stored meanwhile, so little is left.
- A run's first transaction (the model record, the repository's name) is taken by one
  run at a time, so that two first runs record one model and two names.
"""

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
    from codelens._db.pool import Connection

__all__ = ["embed_lock", "holder_name", "index_lock", "setup_lock"]

_HOLDER = """
SELECT a.application_name, a.backend_start
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended(%s, 0)
"""

# (shared, wait) -> the statement; fixed text, the key is a parameter.
_TAKE = {
    (False, True): "SELECT pg_advisory_lock(hashtextextended(%s, 0)), true",
    (False, False): "SELECT 1, pg_try_advisory_lock(hashtextextended(%s, 0))",
    (True, True): "SELECT pg_advisory_lock_shared(hashtextextended(%s, 0)), true",
    (True, False): "SELECT 1, pg_try_advisory_lock_shared(hashtextextended(%s, 0))",
}


def _project_key(project: ProjectHandle) -> str:
    return f"codelens:index:{project.id}"


def holder_name() -> str:
    """How this process shows as a lock's holder: pid and host, within application_name's
    63 characters."""
    return f"codelens indexer, pid {os.getpid()} on {socket.gethostname()}"[:63]


def _take(conn: Connection, key: str, *, shared: bool, wait: bool, what: str) -> None:
    row = conn.execute(_TAKE[shared, wait], [key]).fetchone()
    if row is not None and row[1]:
        return
    holder = conn.execute(_HOLDER, [key]).fetchone()
    who = "another indexer"
    if holder is not None:
        since = holder[1].astimezone(UTC).strftime("%H:%M:%S UTC")
        who = f"{holder[0] or 'another indexer'} (since {since})"
    raise ProjectBusy(
        f"{what} is being indexed by {who}: wait for it to finish, or pass wait=True to"
        " queue behind it"
    )


@contextmanager
def index_lock(
    project: ProjectHandle,
    *,
    wait: bool = False,
    repository: str | None = None,
    exclusive: bool | None = None,
) -> Iterator[None]:
    """Hold the project's indexing lock; ``wait`` blocks, otherwise a holder raises ProjectBusy.

    ``repository`` (its root): that repository exclusively, the project shared.
    ``exclusive``: the whole project, alone; by default when no repository is named.
    """
    exclusive = repository is None if exclusive is None else exclusive
    # autocommit: the locks are the session's, and no transaction must stay open while held.
    with project.db.connection() as conn, autocommit(conn):
        conn.execute("SELECT set_config('application_name', %s, false)", [holder_name()])
        held = False
        try:
            what = f"project {project.id!r}"
            _take(conn, _project_key(project), shared=not exclusive, wait=wait, what=what)
            if repository is not None:
                key = f"{_project_key(project)}:{repository}"
                _take(conn, key, shared=False, wait=wait, what=f"{repository} in {what}")
            held = True
            yield
        finally:
            # A lost connection took the locks with it; the error that lost it goes on.
            if not conn.broken:
                conn.execute("SELECT pg_advisory_unlock_all()")
                if held:
                    # What the run wrote is what a read on the replica waits for.
                    project.db.wrote(conn)


@contextmanager
def embed_lock(project: ProjectHandle) -> Iterator[None]:
    """Hold the project's embedding pass; waits for another pass to end."""
    with project.db.connection() as conn, autocommit(conn):
        conn.execute("SELECT set_config('application_name', %s, false)", [holder_name()])
        _take(conn, f"codelens:embed:{project.id}", shared=False, wait=True, what="")
        try:
            yield
        finally:
            if not conn.broken:
                conn.execute("SELECT pg_advisory_unlock_all()")
                project.db.wrote(conn)


def setup_lock(conn: Connection, project: ProjectHandle) -> None:
    """Take, until ``conn``'s transaction ends, the project's run setup."""
    conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
        [f"codelens:setup:{project.id}"],
    )
