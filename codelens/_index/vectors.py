"""The embed phase: give the chunks that await a vector their vectors, batch by batch.

Chunks are stored first, with no vector where none could be reused, so that a whole
repository is searchable by words within seconds. This phase then reads them back in id
order, embeds each distinct text once, and writes the vectors in one transaction per
batch, on a connection of its own, while the model embeds the next batch. A batch's
vectors land whole or not at all: an interrupt, a crash or ``kill -9`` leaves chunks that
still await a vector (never a wrong or partial one), and the next pass fills exactly those.

The caller holds the project's index lock (shared with indexers of other repositories);
the pass takes the project's embedding lock itself: one embedding pass per project.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from time import perf_counter
from typing import TYPE_CHECKING

from codelens._db.autocommit import autocommit
from codelens._db.awaiting import any_embedded, awaiting_count
from codelens._db.model_record import read_metadata
from codelens._embed.texts import embed_texts
from codelens._index.lock import embed_lock
from codelens._index.pieces import stored_text
from codelens._index.store import (
    AwaitingChunk,
    StoredVector,
    awaiting_chunks,
    fill_vectors,
    mark_failed,
)
from codelens._index.timing import StageClock
from codelens._index.vector_index import (
    ensure_first_pass_index,
    ensure_vector_index,
    has_vector_index,
)
from codelens.errors import EmbedderError, EmbedderUnavailable

if TYPE_CHECKING:
    from codelens._db.handle import ProjectHandle
    from codelens._db.pool import Connection
    from codelens._embed.base import Embedder
    from codelens._index.progress import Progress

__all__ = ["EMBED_BATCH", "EmbedReport", "embed_awaiting"]

# Chunks per transaction: an interrupt loses at most this much embedding work.
EMBED_BATCH = 128
# Texts per call to the embedder: the progress bar moves this often.
_EMBED_SLICE = 32
# Keeping the HNSW index current costs the writer 1-2 ms a chunk, hidden behind a model
# slower than this; in front of a faster one, one build at the end is about 5x cheaper.
_UPKEEP_HIDDEN_SECONDS = 0.005
_PACE_SAMPLE = 16  # chunks embedded before the model's pace is judged
# The first batch is small, so that meaning search answers within seconds of the store.
_FIRST_BATCH = 16
_RECENT = 4 * EMBED_BATCH  # vectors remembered across batches, for texts repeated nearby
_MISMATCH = "its stored text no longer gives its content hash: index the repository again"


@dataclass(slots=True)
class EmbedReport:
    """What one embed pass did: chunks embedded, what still awaits, files that failed."""

    chunks_embedded: int = 0
    chunks_awaiting: int = 0
    texts_embedded: int = 0  # distinct texts the model embedded (equal texts share one)
    interrupted: bool = False
    failures: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


class _Pass:
    def __init__(
        self,
        embedder: Embedder,
        report: EmbedReport,
        progress: Progress,
        index_ready: bool,
        cancel: threading.Event | None = None,
    ) -> None:
        self.embedder = embedder
        self.cancel = cancel
        self.report = report
        self.progress = progress
        self.index_ready = index_ready
        self.index_early: bool | None = None
        self.recent: dict[str, StoredVector] = {}
        self.timed = StageClock(report.seconds)

    def embed(
        self, chunks: Sequence[AwaitingChunk]
    ) -> tuple[dict[str, StoredVector], dict[str, str]]:
        """Vectors for the batch's distinct texts, and the hashes that failed with why."""
        texts: dict[str, str] = {}
        failed: dict[str, str] = {}
        for c in chunks:
            if c.content_hash in texts or c.content_hash in self.recent:
                continue
            text = stored_text(c.path, c.symbol, c.embed_header, c.content, c.content_hash)
            if text is None:
                failed[c.content_hash] = _MISMATCH
            else:
                texts[c.content_hash] = text
        vectors = {h: self.recent[h] for c in chunks if (h := c.content_hash) in self.recent}
        try:
            vectors.update(self._embed(list(texts), texts))
        except EmbedderUnavailable:
            raise
        except EmbedderError:
            # One bad text must not fail its neighbours: retry one by one.
            for h in texts:
                if h in vectors:
                    continue
                try:
                    vectors.update(self._embed([h], texts))
                except EmbedderUnavailable:
                    raise
                except EmbedderError as exc:
                    failed[h] = str(exc)
        if len(self.recent) > _RECENT:
            self.recent.clear()
        self.recent.update(vectors)
        self.progress.chunks_embedded(sum(1 for c in chunks if c.content_hash in vectors))
        return vectors, failed

    def judge_pace(self) -> None:
        """Once the model has embedded a few texts, decide when the HNSW index is built."""
        n = self.report.texts_embedded
        if self.index_ready or self.index_early is not None or n < _PACE_SAMPLE:
            return
        self.index_early = self.report.seconds["embed"] / n >= _UPKEEP_HIDDEN_SECONDS

    def ensure_index(self, conn: Connection) -> None:
        if not self.index_ready:
            with self.timed("vector index"):
                ensure_vector_index(conn, self.embedder.dimensions, cancel=self.cancel)
            if self.cancel is not None and self.cancel.is_set():
                # Stopped mid-build (or just after): the next pass builds it, or finds it.
                self.report.interrupted = True
                return
            self.index_ready = True

    def write(
        self,
        conn: Connection,
        vectors: dict[str, StoredVector],
        failed: dict[str, str],
    ) -> tuple[int, list[tuple[str, str]]]:
        """One transaction: the batch's vectors, and its failed files marked so; how many
        chunks got a vector, and the failed files with why."""
        if self.index_early:
            self.ensure_index(conn)
        lost: list[tuple[str, str]] = []
        with self.timed("store vectors"), conn.transaction():
            filled = fill_vectors(conn, vectors)
            for reason in sorted(set(failed.values())):
                hashes = [h for h, r in failed.items() if r == reason]
                lost.extend((path, reason) for path in mark_failed(conn, hashes, reason))
        return filled, lost

    def _embed(self, hashes: list[str], texts: dict[str, str]) -> dict[str, StoredVector]:
        out: dict[str, StoredVector] = {}
        limit = self.embedder.max_tokens
        # An embedder with several servers (OLLAMA_HOST's list) gets enough texts per call
        # to keep each of them busy.
        step = _EMBED_SLICE * max(1, int(getattr(self.embedder, "parallel", 1)))
        for start in range(0, len(hashes), step):
            part = hashes[start : start + step]
            with self.timed("embed"):
                vectors, counts = embed_texts(self.embedder, [texts[h] for h in part])
            for h, n, v in zip(part, counts, vectors, strict=True):
                out[h] = StoredVector(v, n, n > limit)
            # The pace is the model's: the empty texts of number tables cost it nothing.
            self.report.texts_embedded += sum(1 for h in part if texts[h])
        return out


def embed_awaiting(
    project: ProjectHandle,
    embedder: Embedder,
    progress: Progress,
    *,
    cancel: threading.Event | None = None,
    report: EmbedReport | None = None,
    batch_chunks: int = EMBED_BATCH,
) -> EmbedReport:
    """Embed every chunk of ``project`` that awaits a vector (the caller holds the index
    lock; this waits for another embedding pass of the project to end).

    ``cancel`` stops the pass after the batch in flight, with ``report.interrupted``; a
    KeyboardInterrupt does the same and propagates. Either way the batch being written
    lands whole, and whatever was not written still awaits its vector.
    """
    report = report if report is not None else EmbedReport()
    started = perf_counter()
    with (
        embed_lock(project),
        project.connection() as reader,
        project.connection() as writer_conn,
        ThreadPoolExecutor(1, thread_name_prefix="codelens-vectors") as writer,
        autocommit(reader, writer_conn),
    ):
        try:
            total = awaiting_count(reader)
            progress.embedding(total)
            meta = read_metadata(reader)
            if meta is not None and meta.first_pass_model is not None:
                # The first pass's index (see codelens._index.run), before the model's
                # vectors: until those are in, the first pass answers meaning search.
                with StageClock(report.seconds)("first-pass index"):
                    ensure_first_pass_index(writer_conn, cancel=cancel)
            ready = has_vector_index(reader)
            state = _Pass(embedder, report, progress, ready, cancel)
            if not ready and any_embedded(reader):
                # The project has vectors already: keep its index current as vectors land.
                state.ensure_index(writer_conn)
            _loop(state, reader, writer_conn, writer, cancel, max(1, batch_chunks))
            if not report.interrupted:
                state.ensure_index(writer_conn)
            report.chunks_awaiting = awaiting_count(reader)
        finally:
            report.seconds["total"] = report.seconds.get("total", 0.0) + perf_counter() - started
    return report


def _loop(
    state: _Pass,
    reader: Connection,
    writer_conn: Connection,
    writer: ThreadPoolExecutor,
    cancel: threading.Event | None,
    size: int,
) -> None:
    """Read, embed and write batches; the write of one overlaps the embedding of the next."""
    report = state.report
    behind: tuple[Future[tuple[int, list[tuple[str, str]]]], int] | None = None
    after = 0

    def settle() -> None:
        nonlocal behind
        if behind is not None:
            (written, counted), behind = behind, None
            filled, lost = written.result()
            # A batch's chunks are counted as it is embedded, so the bar moves at once; the
            # write then says how many got a vector. A vector fills every chunk of its text,
            # also one past this batch that no later batch will read (or has read already,
            # whose own write then fills nothing), so the totals end exact.
            if filled != counted:
                report.chunks_embedded += filled - counted
                state.progress.chunks_embedded(filled - counted)
            for path, reason in lost:
                report.failures[path] = reason

    try:
        while True:
            if cancel is not None and cancel.is_set():
                report.interrupted = True
                break
            with state.timed("read"):
                chunks = awaiting_chunks(reader, after, size if after else min(size, _FIRST_BATCH))
            if not chunks:
                break
            after = chunks[-1].id
            vectors, failed = state.embed(chunks)
            state.judge_pace()
            settle()
            counted = sum(1 for c in chunks if c.content_hash in vectors)
            report.chunks_embedded += counted
            behind = (writer.submit(state.write, writer_conn, vectors, failed), counted)
    finally:
        settle()
