"""The query's cosine with each candidate file's stored vector, by the answering model.

Read for the file-vector signal (:mod:`codelens._search.signals.file_vector`) from
``file_vectors``, the column of the model that answered the search (its own or the first
pass's: two models' cosines never meet in one ranking), by primary key: one short
statement on the search's snapshot, sent with grouping's. A file with no vector for that
model is left out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from psycopg import sql

if TYPE_CHECKING:
    from codelens._db.pool import Connection
    from codelens._search.answering import Answering
    from codelens._search.query import Vector

__all__ = ["file_cosines_later"]

# By the candidates' chunk ids, not their grouped files: sent before grouping reads its
# answer, in the same round trip (pipeline mode). Files of candidates that do not make the
# head after grouping cost a row each, nothing more.
_COSINES = (
    "SELECT f.file_id, 1 - (f.{column} <=> %s) FROM file_vectors f"
    " WHERE f.file_id IN (SELECT c.file_id FROM chunks c WHERE c.id = ANY(%s))"
    " AND f.{column} IS NOT NULL"
)


def file_cosines_later(
    conn: Connection, answer: Answering | None, query: Vector | None, chunk_ids: Sequence[int]
) -> Callable[[], dict[int, float]]:
    """File id -> cosine of ``query`` (embedded by ``answer``'s model) to the file's vector,
    for the files of the chunks ``chunk_ids``; empty without a query vector (a lexical
    search). The statement is sent now, its answer read when the returned function is
    called."""
    if answer is None or query is None or not chunk_ids:
        return dict
    column = sql.Identifier(answer.column)
    cursor = conn.execute(
        sql.SQL(_COSINES).format(column=column),
        [answer.parameter(query), list(chunk_ids)],
        prepare=True,
    )

    def cosines() -> dict[int, float]:
        # A file of number tables alone has the zero vector as its mean: no cosine (NaN).
        found = ((int(file_id), float(cosine)) for file_id, cosine in cursor.fetchall())
        return {file_id: cosine for file_id, cosine in found if not math.isnan(cosine)}

    return cosines
