"""Autocommit for a block: the mode every long operation runs its connections in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codelens._db.pool import Connection

__all__ = ["autocommit"]


@contextmanager
def autocommit(*conns: Connection) -> Iterator[None]:
    """Run the block with ``conns`` in autocommit, so that each ``conn.transaction()`` in it
    is a real, committed transaction and no transaction stays open between them.

    They go back to transactions afterwards, before they return to the pool; a connection
    that broke is left as it is, so that the error that broke it goes on.
    """
    for conn in conns:
        conn.autocommit = True
    try:
        yield
    finally:
        for conn in conns:
            if not conn.broken:
                conn.autocommit = False
