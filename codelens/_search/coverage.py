"""How much of a project meaning search covers, counted at most every few seconds when counting is slow.

While vectors arrive, every semantic or hybrid search says how many of the chunks it
covers. Counting them reads the whole table: about 40 ms at 560k chunks, as much as the
rest of the search, for every search, with eight searchers beside a running embedding.
So a count that was slow is reused for ``REUSE_SECONDS`` (the embedding moves on by a few
hundred chunks meanwhile); a count that was quick, a small project's, is taken every time.
"""

from __future__ import annotations

import threading
from time import monotonic
from typing import TYPE_CHECKING

from codelens._db.awaiting import VectorCoverage, vector_coverage

if TYPE_CHECKING:
    from codelens._db.pool import Connection

__all__ = ["REUSE_SECONDS", "SLOW_COUNT_SECONDS", "CoverageCounts", "coverage_counts"]

REUSE_SECONDS = 2.0
SLOW_COUNT_SECONDS = 0.01


class CoverageCounts:
    """The latest slow count per project (database and schema), with when it was taken."""

    def __init__(self) -> None:
        self._items: dict[tuple[object, ...], tuple[float, VectorCoverage]] = {}
        self._lock = threading.Lock()

    def get(self, conn: Connection, schema: str, *, first_pass: bool = False) -> VectorCoverage:
        """The project's coverage; with ``first_pass``, its first-pass count too."""
        key = (conn.info.host, conn.info.port, conn.info.dbname, schema, first_pass)
        started = monotonic()
        with self._lock:
            kept = self._items.get(key)
        if kept is not None and started - kept[0] < REUSE_SECONDS:
            return kept[1]
        counted = vector_coverage(conn, first_pass=first_pass)
        slow = monotonic() - started >= SLOW_COUNT_SECONDS
        with self._lock:
            if slow:
                self._items[key] = (started, counted)
            else:
                self._items.pop(key, None)
        return counted


coverage_counts = CoverageCounts()
