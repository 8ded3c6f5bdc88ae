"""A retired first pass replaced: every chunk gets the current first-pass model's vector.

A project whose first pass is a static model this codelens no longer ships (its vectors
answer no query) gets the current one at its next index run; the project's own model's
vectors stay. Every chunk gets the new model's vector of its text, not only those the run
writes: while the project's model is behind, the first pass answers meaning search for
the whole project (:mod:`codelens._search.answering`), and a chunk without a first-pass
vector would be missing from every such answer.

One transaction: the old vectors cleared, the new ones written, the new model recorded.
An interrupt (``cancel``, KeyboardInterrupt, a crash) leaves the old state whole, and the
next run renews again. The static model embeds thousands of texts a second, so a
100,000-chunk project takes some tens of seconds, behind a progress bar.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import psycopg
from pgvector import HalfVector

from codelens._db.first_pass import load_first_pass
from codelens._db.model_record import clear_first_pass, first_pass_retired, read_metadata
from codelens._embed.texts import embed_texts
from codelens._index.file_vectors import refresh_file_vectors
from codelens._index.lock import embed_lock, setup_lock
from codelens._index.pieces import stored_text

if TYPE_CHECKING:
    from codelens._db.handle import ProjectHandle
    from codelens._db.pool import Connection
    from codelens._embed.base import Embedder
    from codelens._index.progress import Progress

__all__ = ["renew_first_pass"]

# Chunks read, embedded and written at a time: the bar moves and a cancel is heard this often.
_BATCH = 512

_READ = (
    "SELECT id, content_hash, path, symbol, embed_header, content, file_id FROM chunks"
    " WHERE id > %s ORDER BY id LIMIT %s"
)
_WRITE = "UPDATE chunks SET first_vector = %s WHERE content_hash = %s AND first_vector IS NULL"


def renew_first_pass(
    conn: Connection,
    project: ProjectHandle,
    embedder: Embedder,
    progress: Progress,
    cancel: threading.Event | None = None,
) -> bool:
    """Replace the project's retired first pass (``embedder`` is the project's own model);
    False when ``cancel`` stopped it, nothing changed. Nothing to do (another run renewed
    it meanwhile) is done, True."""
    # The embedding pass's lock: a concurrent pass would update the same rows in another
    # order (a deadlock); the setup lock: two runs renew once.
    with embed_lock(project), conn.transaction():
        setup_lock(conn, project)
        meta = read_metadata(conn)
        if meta is None or not first_pass_retired(meta.first_pass_model):
            return True
        wanted = clear_first_pass(project, conn, embedder)
        model = None if wanted is None else load_first_pass(wanted)
        if model is None:
            return True  # no first pass wanted, or it cannot load: none it is
        row = conn.execute("SELECT count(*) FROM chunks").fetchone()
        progress.renewing(int(row[0]) if row else 0)
        if not _embed_every_chunk(conn, model, progress, cancel):
            raise psycopg.Rollback()
        return True
    return False  # rolled back


def _embed_every_chunk(
    conn: Connection, model: Embedder, progress: Progress, cancel: threading.Event | None
) -> bool:
    """Give every chunk ``model``'s vector of its text; False when ``cancel`` stopped it."""
    after = 0
    seen: set[str] = set()
    files: set[int] = set()
    while True:
        if cancel is not None and cancel.is_set():
            return False
        rows = conn.execute(_READ, [after, _BATCH]).fetchall()
        if not rows:
            break
        after = rows[-1][0]
        texts: dict[str, str] = {}
        for _, content_hash, path, symbol, header, content, file_id in rows:
            files.add(file_id)
            if content_hash in seen or content_hash in texts:
                continue
            text = stored_text(path, symbol, header, content, content_hash)
            # A chunk whose row no longer gives its hash keeps no first-pass vector until
            # its file is indexed again, as in the embed phase.
            if text is not None:
                texts[content_hash] = text
        if texts:
            vectors, _ = embed_texts(model, list(texts.values()))
            with conn.cursor() as cur:
                cur.executemany(
                    _WRITE, [(HalfVector(v), h) for h, v in zip(texts, vectors, strict=True)]
                )
        seen.update(texts)
        progress.first_pass_renewed(len(rows))
    refresh_file_vectors(conn, files)
    return True
