"""One batch of an index run: chunk its files, attach vectors, store it in one transaction.

A chunk's vector is attached when its content hash has one in the project, or, with an
inline embedder (:func:`~codelens._embed.base.embeds_inline`), computed here: the batch
then lands with every vector, and nothing of it awaits the embed phase. A project with a
first pass (:mod:`codelens._db.first_pass`) gets the first-pass model's vectors the same
way, reused by content hash or computed here, in the same write.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import islice
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import numpy.typing as npt

from codelens._chunk.tags import FileSymbols
from codelens._chunk.types import Chunk, embed_header
from codelens._embed.texts import embed_texts
from codelens._index.pieces import file_parts, file_symbols
from codelens._index.progress import Progress
from codelens._index.report import IndexReport
from codelens._index.store import (
    ChunkRow,
    FileRow,
    KnownFile,
    StoredVector,
    stored_first_vectors,
    stored_hashes,
    stored_vectors,
    write_files,
)
from codelens._index.timing import StageClock
from codelens._scan.walk import ScannedFile
from codelens.errors import EmbedderError

if TYPE_CHECKING:
    from codelens._db.handle import ProjectHandle
    from codelens._db.pool import Connection
    from codelens._embed.base import Embedder

__all__ = ["Batch", "Run", "batched", "tapered", "unchanged"]

_T = TypeVar("_T")


class Batch:
    """One batch of files, chunked: the rows to write, with every reusable vector attached."""

    __slots__ = ("embedded", "items", "removed", "reused", "rows", "to_embed")

    def __init__(self, items: Sequence[tuple[ScannedFile, KnownFile | None]]) -> None:
        self.items = items
        self.rows: list[FileRow] = []
        self.reused = 0  # chunks stored with a vector found by content hash
        self.to_embed = 0  # chunks stored awaiting their vector
        self.embedded = 0  # chunks stored with a vector the inline embedder made for them
        self.removed = 0


class Run:
    """The state of one index run's store phase that its batches share.

    A batch is chunked (:meth:`chunk`, which also looks up the vectors it can reuse, on
    the run's connection) on a thread ahead of the writer, then written in one
    transaction (:meth:`write`, on the writer's own connection) and counted
    (:meth:`account`). Nothing waits for a slow model: chunks without a reusable vector
    are stored awaiting one, searchable by words at once, and embedded afterwards. With
    ``inline`` (a model far faster than the store), the chunking thread embeds them
    instead, and they are stored with their vectors.
    """

    def __init__(
        self,
        conn: Connection,
        project: ProjectHandle,
        embedder: Embedder,
        report: IndexReport,
        progress: Progress,
        repository_id: int,
        *,
        reuse: bool,
        inline: bool = False,
    ) -> None:
        self.conn = conn
        self.project = project
        self.embedder = embedder
        self.report = report
        self.progress = progress
        self.repository_id = repository_id
        self.reuse = reuse
        self.inline = inline
        self.first: Embedder | None = None  # the first-pass model: see first_pass()
        self.reuse_first = False
        self.timed = StageClock(report.seconds)
        # Unchanged files stored before their symbols were (or with an older extraction):
        # they get their symbols alone, their chunks and vectors stay as they are.
        self.symbols_only: set[str] = set()

    def first_pass(self, model: Embedder, *, reuse: bool) -> None:
        """Give every chunk ``model``'s vector too, reused by content hash (with ``reuse``)
        or embedded on the chunking thread, and stored in the batch's write."""
        self.first = model
        self.reuse_first = reuse

    def chunk(self, items: Sequence[tuple[ScannedFile, KnownFile | None]]) -> Batch:
        """Cut the batch's files into chunk rows, each with its vector when one is reusable
        (or, with ``inline``, embedded here)."""
        batch = Batch(items)
        pending: list[tuple[FileRow, list[tuple[Chunk, str, str, str]]]] = []
        with self.timed("chunk"):
            for f, known in items:
                row = FileRow(
                    f.path,
                    f.language,
                    f.size,
                    f.sha256,
                    f.line_count,
                    "indexed" if f.indexable else "skipped",
                    skip_reason=f.skip_reason,
                    change=_change(f, known),
                )
                batch.rows.append(row)
                if f.text is None:
                    row.chunks = []  # skipped now: whatever it had goes
                    row.symbols = FileSymbols()
                    continue
                if f.path in self.symbols_only:
                    row.symbols = file_symbols(f)
                    continue
                cut, row.symbols = file_parts(f, self.embedder.max_tokens)
                pending.append(
                    (row, [(p.chunk, embed_header(p.chunk), p.hash, p.text) for p in cut])
                )
        found: dict[str, StoredVector] = {}
        if self.reuse:
            with self.timed("store"):
                hashes = list({h for _, pieces in pending for _, _, h, _ in pieces})
                found = stored_vectors(self.conn, hashes)
        made: set[str] = set()
        if self.inline:
            texts = {h: t for _, pieces in pending for _, _, h, t in pieces if h not in found}
            new = self._embed(self.embedder, texts, "embed")
            found.update(new)
            made = set(new)
        first = self._first_vectors(pending)
        for row, pieces in pending:
            row.chunks = [
                ChunkRow(
                    i,
                    c.symbol,
                    c.kind,
                    c.start_line,
                    c.end_line,
                    c.content,
                    h,
                    header,
                    found.get(h),
                    c.language,
                    c.cell_number,
                    c.cell_kind,
                    c.execution_count,
                    c.cell_start_line,
                    c.cell_end_line,
                    first.get(h),
                )
                for i, (c, header, h, _) in enumerate(pieces)
            ]
            for c in row.chunks:
                if c.vector is None:
                    batch.to_embed += 1
                elif c.content_hash in made:
                    batch.embedded += 1
                else:
                    batch.reused += 1
        return batch

    def _first_vectors(
        self, pending: list[tuple[FileRow, list[tuple[Chunk, str, str, str]]]]
    ) -> dict[str, npt.NDArray[np.float32]]:
        """The first-pass vectors of the batch's chunks, by content hash: reused when the
        project has one for the text, else embedded here (none without a first pass)."""
        if self.first is None:
            return {}
        texts = {h: t for _, pieces in pending for _, _, h, t in pieces}
        found: dict[str, npt.NDArray[np.float32]] = {}
        if self.reuse_first:
            with self.timed("store"):
                found = stored_first_vectors(self.conn, list(texts))
        new = self._embed(
            self.first, {h: t for h, t in texts.items() if h not in found}, "first pass"
        )
        found.update((h, v.embedding) for h, v in new.items())
        return found

    def _embed(self, model: Embedder, texts: dict[str, str], stage: str) -> dict[str, StoredVector]:
        """``model``'s vectors for these texts (by content hash), each distinct text once.

        When the model fails, none is returned: the batch's new chunks are stored awaiting
        their vectors, and the embed phase retries them one by one (marking a file failed
        only for a text that fails alone), as for any other model; a first pass leaves them
        without a first-pass vector, searched by the project's model once it has theirs.
        """
        if not texts:
            return {}
        hashes = list(texts)
        limit = model.max_tokens
        try:
            with self.timed(stage):
                vectors, counts = embed_texts(model, [texts[h] for h in hashes])
        except EmbedderError:
            return {}
        return {
            h: StoredVector(v, n, n > limit)
            for h, n, v in zip(hashes, counts, vectors, strict=True)
        }

    def write(self, conn: Connection, batch: Batch) -> Batch:
        """Store the batch in one transaction on ``conn`` (not the run's own connection)."""
        with self.timed("store"):
            items = batch.items
            with conn.transaction():
                before = stored_hashes(conn, [k.id for _, k in items if k is not None])
                ids = {f.path: k.id for f, k in items if k is not None}
                for row in batch.rows:
                    if row.chunks is not None:
                        now = {c.content_hash for c in row.chunks}
                        old = before.get(ids.get(row.path, -1), [])
                        batch.removed += sum(1 for h in old if h not in now)
                write_files(
                    conn, self.project.id, self.repository_id, self.report.run_id or 0, batch.rows
                )
        return batch

    def account(self, batch: Batch) -> None:
        """Count a batch that has been written."""
        self.report.chunks_removed += batch.removed
        self.report.chunks_reused += batch.reused
        self.report.chunks_added += batch.to_embed + batch.embedded
        self.report.chunks_embedded += batch.embedded
        self.report.files_indexed += sum(
            1 for row in batch.rows if row.status == "indexed" and row.chunks is not None
        )
        self.progress.files_done(len(batch.items), batch.embedded)


def _change(f: ScannedFile, old: KnownFile | None) -> str | None:
    if old is None:
        return "added"
    if old.sha256 != f.sha256 or old.skip_reason != f.skip_reason:
        return "modified"
    return None


def unchanged(f: ScannedFile, old: KnownFile | None) -> bool:
    """Whether ``f`` is stored as it is now. A file now read as another language (a .h
    header told to be C++) is not: it is cut by that language's grammar again."""
    return (
        old is not None
        and old.status != "failed"
        and old.sha256 == f.sha256
        and old.skip_reason == f.skip_reason
        and old.language == f.language
    )


def tapered(items: Sequence[_T], n: int) -> Iterator[Sequence[_T]]:
    """Batches of ``n``, then halving ones (n, n/2, ..., 1) for the last ``2n`` items.

    The write of the last batch is the one thing nothing overlaps, so the last batch is
    small; each batch's write still hides behind the embedding of the half-size next one.
    """
    start = 0
    while len(items) - start > 2 * n:
        yield items[start : start + n]
        start += n
    while start < len(items):
        size = (len(items) - start + 1) // 2
        yield items[start : start + size]
        start += size


def batched(items: Sequence[_T], n: int) -> Iterator[Sequence[_T]]:
    # itertools.batched arrived in Python 3.12.
    it = iter(items)
    while part := tuple(islice(it, n)):
        yield part
