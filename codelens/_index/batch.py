"""One batch of an index run: chunk its files, embed what is new, store it in one transaction."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from time import perf_counter
from typing import TYPE_CHECKING, TypeVar

from codelens._chunk.chunker import Chunk, chunk_text, embedding_text
from codelens._chunk.notebook import chunk_notebook
from codelens._index.progress import Progress
from codelens._index.report import IndexReport
from codelens._index.store import (
    ChunkRow,
    Embedded,
    FileRow,
    KnownFile,
    stored_hashes,
    stored_vectors,
    write_files,
)
from codelens._index.vector_index import ensure_vector_index
from codelens._scan.walk import ScannedFile
from codelens.errors import EmbedderError, EmbedderUnavailable

if TYPE_CHECKING:
    from codelens._db.handle import ProjectHandle
    from codelens._db.pool import Connection
    from codelens._embed.base import Embedder

__all__ = ["Batch", "Run", "batched", "tapered", "unchanged"]

_T = TypeVar("_T")

# Texts per call to the embedder: the progress bar moves this often.
_EMBED_SLICE = 64
# Keeping the HNSW index current costs the writer 1-2 ms a chunk, hidden behind a model
# slower than this; in front of a faster one, one build at the end is about 5x cheaper.
_UPKEEP_HIDDEN_SECONDS = 0.005
_PACE_SAMPLE = 16  # chunks embedded before the model's pace is judged


class _Piece:
    """A chunk with the exact text that is embedded for it, and that text's hash."""

    __slots__ = ("chunk", "hash", "text")

    def __init__(self, chunk: Chunk, text: str) -> None:
        self.chunk = chunk
        self.text = text
        self.hash = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _row(index: int, piece: _Piece, vector: Embedded) -> ChunkRow:
    c = piece.chunk
    return ChunkRow(
        index,
        c.symbol,
        c.kind,
        c.start_line,
        c.end_line,
        c.content,
        piece.hash,
        vector.tokens,
        vector.truncated,
        vector.vector,
        c.language,
        c.cell_number,
        c.cell_kind,
        c.execution_count,
        c.cell_start_line,
        c.cell_end_line,
    )


class Batch:
    """One batch of files, chunked: the rows to write and the pieces each file needs."""

    __slots__ = ("found", "items", "pending", "removed", "rows")

    def __init__(self, items: Sequence[tuple[ScannedFile, KnownFile | None]]) -> None:
        self.items = items
        self.rows: list[FileRow] = []
        self.pending: list[tuple[FileRow, list[_Piece]]] = []
        self.found: dict[str, Embedded] = {}  # reusable
        self.removed = 0


class Run:
    """The state of one index run that its batches share.

    A batch goes through three steps, and the indexer overlaps them across batches so
    that the model never waits: :meth:`chunk` (which also looks up the vectors it can
    reuse, on the run's connection) runs ahead on a thread, :meth:`embed` runs on the
    caller's thread, and :meth:`write` (one transaction on the writer's own connection)
    runs behind on another thread. :meth:`account` then counts a written batch, on the
    caller's thread.
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
    ) -> None:
        self.conn = conn
        self.project = project
        self.embedder = embedder
        self.report = report
        self.progress = progress
        self.repository_id = repository_id
        self.reuse = reuse
        self._clock = threading.Lock()  # stages are timed from three threads
        # The HNSW index: ready (it exists, or cannot), or to be built early (by the writer,
        # before its next batch) or late (after the last batch), by the model's pace.
        self.index_ready = False
        self.index_early: bool | None = None

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        start = perf_counter()
        try:
            yield
        finally:
            elapsed = perf_counter() - start
            with self._clock:
                self.report.seconds[stage] = self.report.seconds.get(stage, 0.0) + elapsed

    def chunk(self, items: Sequence[tuple[ScannedFile, KnownFile | None]]) -> Batch:
        """Cut the batch's files into chunks, with the texts to embed and what is reusable."""
        batch = Batch(items)
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
                    continue
                limit = self.embedder.max_tokens
                if f.notebook is not None:
                    chunks = chunk_notebook(f.path, f.notebook, max_tokens=limit)
                else:
                    chunks = chunk_text(f.path, f.language, f.text, max_tokens=limit)
                batch.pending.append((row, [_Piece(c, embedding_text(f.path, c)) for c in chunks]))
        if self.reuse:
            with self.timed("store"):
                hashes = list({p.hash for _, pieces in batch.pending for p in pieces})
                batch.found = stored_vectors(self.conn, hashes)
        return batch

    def embed(self, batch: Batch) -> None:
        """Give every chunk its vector (reused or new); a file that fails is marked so."""
        vectors = self._vectors(batch.pending, batch.found)
        for row, pieces in batch.pending:
            if row.status != "failed":
                row.chunks = [_row(i, p, vectors[p.hash]) for i, p in enumerate(pieces)]

    def judge_pace(self) -> None:
        """Once the model has embedded a few chunks, decide when the HNSW index is built."""
        embedded = self.report.chunks_added
        if self.index_ready or self.index_early is not None or embedded < _PACE_SAMPLE:
            return
        self.index_early = self.report.seconds["embed"] / embedded >= _UPKEEP_HIDDEN_SECONDS

    def ensure_index(self, conn: Connection) -> None:
        if not self.index_ready:
            with self.timed("vector index"):
                ensure_vector_index(conn, self.embedder.dimensions)
            self.index_ready = True

    def write(self, conn: Connection, batch: Batch) -> Batch:
        """Store the batch in one transaction on ``conn`` (not the run's own connection)."""
        if self.index_early:
            self.ensure_index(conn)
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
        for row in batch.rows:
            if row.status == "indexed":
                self.report.files_indexed += 1
            elif row.status == "failed":
                self.report.files_failed += 1
                self.report.failures[row.path] = row.error or "embedding failed"
        self.progress.files_done(len(batch.items))

    def _vectors(
        self,
        pending: list[tuple[FileRow, list[_Piece]]],
        found: dict[str, Embedded],
    ) -> dict[str, Embedded]:
        wanted = {p.hash: p.text for _, pieces in pending for p in pieces}
        self.report.chunks_reused += sum(
            1 for _, pieces in pending for p in pieces if p.hash in found
        )
        missing = [h for h in wanted if h not in found]
        fresh = set(missing)
        self.progress.chunks_planned(len(missing))
        try:
            found.update(self._embed(missing, wanted))
        except EmbedderUnavailable:
            raise
        except EmbedderError:
            # One bad file must not fail its neighbours: retry file by file.
            for row, pieces in pending:
                need = [p.hash for p in pieces if p.hash not in found]
                try:
                    found.update(self._embed(need, wanted))
                except EmbedderError as exc:
                    row.status, row.error = "failed", str(exc)
        self.report.chunks_added += sum(
            1
            for row, pieces in pending
            if row.status != "failed"
            for p in pieces
            if p.hash in fresh
        )
        return found

    def _embed(self, hashes: list[str], texts: dict[str, str]) -> dict[str, Embedded]:
        out: dict[str, Embedded] = {}
        limit = self.embedder.max_tokens
        for part in batched(hashes, _EMBED_SLICE):
            with self.timed("embed"):
                vectors, counts = self.embedder.embed_counted([texts[h] for h in part])
            for h, n, v in zip(part, counts, vectors, strict=True):
                out[h] = Embedded(v, n, n > limit)
            self.progress.chunks_embedded(len(part))
        return out


def _change(f: ScannedFile, old: KnownFile | None) -> str | None:
    if old is None:
        return "added"
    if old.sha256 != f.sha256 or old.skip_reason != f.skip_reason:
        return "modified"
    return None


def unchanged(f: ScannedFile, old: KnownFile | None) -> bool:
    return (
        old is not None
        and old.status != "failed"
        and old.sha256 == f.sha256
        and old.skip_reason == f.skip_reason
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
