"""How much of a project has its vectors: chunks are stored first and embedded behind.

Every stage asks this (search says how much meaning search covers, the indexer what is
left to embed, status and analysis what awaits), so it lives below them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codelens._db.pool import Connection

__all__ = [
    "VectorCoverage",
    "any_awaiting",
    "any_awaiting_later",
    "any_embedded",
    "any_first_pass",
    "awaiting_count",
    "vector_coverage",
]


@dataclass(frozen=True, slots=True)
class VectorCoverage:
    """Chunks with their vector, of all chunks; ``awaiting`` is the difference.
    ``first_pass``: chunks with a first-pass vector (0 for a project without a first pass)."""

    embedded: int
    total: int
    first_pass: int = 0

    @property
    def awaiting(self) -> int:
        return self.total - self.embedded

    @property
    def complete(self) -> bool:
        return self.embedded == self.total


def any_awaiting(conn: Connection) -> bool:
    """Whether any chunk awaits its vector: one probe of the partial index, so a search of
    a fully embedded project pays nothing for its coverage line."""
    return any_awaiting_later(conn)()


def any_awaiting_later(conn: Connection) -> Callable[[], bool]:
    """:func:`any_awaiting` in two steps: the probe is sent now, its answer read when the
    returned function is called (in pipeline mode, with the statements sent meanwhile)."""
    cursor = conn.execute(
        "SELECT EXISTS (SELECT FROM chunks WHERE embedding IS NULL)", prepare=True
    )

    def awaiting() -> bool:
        row = cursor.fetchone()
        return bool(row and row[0])

    return awaiting


def any_embedded(conn: Connection) -> bool:
    """Whether any chunk has its vector (at worst a scan of the table, when none has)."""
    row = conn.execute("SELECT EXISTS (SELECT FROM chunks WHERE embedding IS NOT NULL)").fetchone()
    return bool(row and row[0])


def any_first_pass(conn: Connection) -> bool:
    """Whether any chunk has a first-pass vector (at worst a scan, when none has)."""
    row = conn.execute(
        "SELECT EXISTS (SELECT FROM chunks WHERE first_vector IS NOT NULL)"
    ).fetchone()
    return bool(row and row[0])


def awaiting_count(conn: Connection) -> int:
    """Chunks awaiting their vector (a scan of a partial index: cheap when few await)."""
    row = conn.execute("SELECT count(*) FROM chunks WHERE embedding IS NULL").fetchone()
    return int(row[0]) if row else 0


def vector_coverage(conn: Connection, *, first_pass: bool = True) -> VectorCoverage:
    """Embedded and total chunks of the project whose schema ``conn`` is on, and with
    ``first_pass`` the chunks with a first-pass vector (else reported as 0): counting
    those reads every row, where the total alone may be counted from an index."""
    awaiting = awaiting_count(conn)
    if not first_pass:
        row = conn.execute("SELECT count(*) FROM chunks").fetchone()
        total = int(row[0]) if row else 0
        return VectorCoverage(total - awaiting, total)
    row = conn.execute("SELECT count(*), count(first_vector) FROM chunks").fetchone()
    total, first = (int(row[0]), int(row[1])) if row else (0, 0)
    return VectorCoverage(total - awaiting, total, first)
