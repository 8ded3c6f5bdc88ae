"""The planner's estimates: cheap counts where an exact one would scan a table."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codelens._db.pool import Connection

__all__ = ["estimated_chunks"]


def estimated_chunks(conn: Connection) -> float:
    """Chunks in the project on ``conn``'s search_path as of the last ANALYZE or VACUUM;
    -1 when the table has never been analysed."""
    row = conn.execute(
        "SELECT reltuples FROM pg_class WHERE oid = 'chunks'::regclass", prepare=True
    ).fetchone()
    return float(row[0]) if row is not None else -1.0
