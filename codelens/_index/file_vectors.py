"""Each file's meaning as a whole: the normalised mean of its chunks' vectors, per model.

Stored in ``file_vectors`` (migration 0009) for the project's own model and for the first
pass, and read by search's file-vector signal (:mod:`codelens._search.signals.file_vector`).
A model's mean is there only once every chunk of the file has that model's vector; it is
written in the transaction that gives the last of them its vector (the embedding pass) or
that stores the file's chunks with their vectors (the store, the first pass), and rewritten
whenever the file's chunks are. Computed from the stored chunk vectors by the server: no
text is embedded again, and no vector travels to the client. A file's row goes with it
(``ON DELETE CASCADE``).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codelens._db.pool import Connection

__all__ = ["refresh_file_vectors"]

# One statement: the files' means where complete, and no row where neither model's is.
# The rows deleted and the rows written are disjoint, as one statement requires.
_REFRESH = """
WITH means AS (
    SELECT file_id,
        CASE WHEN count(embedding) = count(*) THEN l2_normalize(avg(embedding)) END AS embedding,
        CASE WHEN count(first_vector) = count(*) THEN l2_normalize(avg(first_vector)) END
            AS first_vector
    FROM chunks WHERE file_id = ANY(%(files)s) GROUP BY file_id
),
gone AS (
    DELETE FROM file_vectors v WHERE v.file_id = ANY(%(files)s) AND NOT EXISTS (
        SELECT FROM means m WHERE m.file_id = v.file_id
            AND (m.embedding IS NOT NULL OR m.first_vector IS NOT NULL)
    )
)
INSERT INTO file_vectors (file_id, embedding, first_vector)
SELECT file_id, embedding, first_vector FROM means
WHERE embedding IS NOT NULL OR first_vector IS NOT NULL
ON CONFLICT (file_id) DO UPDATE
    SET embedding = EXCLUDED.embedding, first_vector = EXCLUDED.first_vector
"""


def refresh_file_vectors(conn: Connection, file_ids: Collection[int]) -> None:
    """Write the stored means of ``file_ids`` again from their chunks as they are now.

    Call it in the transaction that changed the files' chunks or their vectors, so that a
    file's mean never lags its chunks nor lands without them."""
    if file_ids:
        conn.execute(_REFRESH, {"files": sorted(set(file_ids))}, prepare=True)
