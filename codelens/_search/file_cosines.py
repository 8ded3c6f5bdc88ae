"""The query's cosine with each candidate file's stored vector, by the answering model.

Read for the file-vector signal (:mod:`codelens._search.signals.file_vector`) from
``file_vectors``, the column of the model that answered the search (its own or the first
pass's: two models' cosines never meet in one ranking), by primary key: one short
statement on the search's snapshot. A file with no vector for that model is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from psycopg import sql

if TYPE_CHECKING:
    from codelens._db.pool import Connection
    from codelens._search.answering import Answering
    from codelens._search.grouping import Unit
    from codelens._search.query import Vector

__all__ = ["file_cosines"]

_COSINES = (
    "SELECT file_id, 1 - ({column} <=> %s) FROM file_vectors"
    " WHERE file_id = ANY(%s) AND {column} IS NOT NULL"
)


def file_cosines(
    conn: Connection, answer: Answering | None, query: Vector | None, units: Sequence[Unit]
) -> dict[int, float]:
    """File id -> cosine of ``query`` (embedded by ``answer``'s model) to the file's vector,
    for the files of ``units``; empty without a query vector (a lexical search)."""
    if answer is None or query is None or not units:
        return {}
    files = sorted({u.place.file_id for u in units})
    column = sql.Identifier(answer.column)
    rows = conn.execute(
        sql.SQL(_COSINES).format(column=column), [answer.parameter(query), files], prepare=True
    ).fetchall()
    return {int(file_id): float(cosine) for file_id, cosine in rows}
