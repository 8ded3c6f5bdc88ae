"""One batch of an index run: chunk its files, embed what is new, store it in one transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from time import perf_counter
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import numpy.typing as npt

from ._chunk import Chunk, chunk_text, embedding_text
from ._progress import Progress
from ._report import IndexReport
from ._scan import ScannedFile
from ._store import ChunkRow, FileRow, KnownFile, stored_hashes, stored_vectors, write_files
from .errors import EmbedderError, EmbedderUnavailable

if TYPE_CHECKING:
    from ._db import Connection
    from ._embed import Embedder
    from ._project import Project

__all__ = ["Run", "batched", "unchanged"]

_T = TypeVar("_T")

# Texts per call to the embedder: the progress bar moves this often.
_EMBED_SLICE = 64


class _Piece:
    """A chunk with the exact text that is embedded for it, and that text's hash."""

    __slots__ = ("chunk", "hash", "text")

    def __init__(self, chunk: Chunk, text: str) -> None:
        self.chunk = chunk
        self.text = text
        self.hash = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _row(index: int, piece: _Piece, vector: tuple[npt.NDArray[np.float32], int, bool]) -> ChunkRow:
    c = piece.chunk
    embedding, tokens, truncated = vector
    return ChunkRow(
        index,
        c.symbol,
        c.kind,
        c.start_line,
        c.end_line,
        c.content,
        piece.hash,
        tokens,
        truncated,
        embedding,
    )


class Run:
    """The state of one index run that its batches share."""

    def __init__(
        self,
        conn: Connection,
        project: Project,
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

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        start = perf_counter()
        try:
            yield
        finally:
            seconds = self.report.seconds
            seconds[stage] = seconds.get(stage, 0.0) + perf_counter() - start

    def batch(self, items: Sequence[tuple[ScannedFile, KnownFile | None]]) -> None:
        """Chunk, embed and store one batch of files in one transaction."""
        rows: list[FileRow] = []
        pending: list[tuple[FileRow, list[_Piece]]] = []
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
                rows.append(row)
                if f.text is None:
                    row.chunks = []  # skipped now: whatever it had goes
                    continue
                chunks = chunk_text(f.path, f.language, f.text, max_tokens=self.embedder.max_tokens)
                pending.append((row, [_Piece(c, embedding_text(f.path, c)) for c in chunks]))
        vectors = self._vectors(pending)
        with self.timed("store"):
            before = stored_hashes(self.conn, [k.id for _, k in items if k is not None])
            ids = {f.path: k.id for f, k in items if k is not None}
            for row, pieces in pending:
                if row.status == "failed":
                    continue  # keeps the chunks it had
                row.chunks = [_row(i, p, vectors[p.hash]) for i, p in enumerate(pieces)]
                now = {p.hash for p in pieces}
                gone = [h for h in before.get(ids.get(row.path, -1), []) if h not in now]
                self.report.chunks_removed += len(gone)
            with self.conn.transaction():
                write_files(
                    self.conn, self.project.id, self.repository_id, self.report.run_id or 0, rows
                )
        for row in rows:
            if row.status == "indexed":
                self.report.files_indexed += 1
            elif row.status == "failed":
                self.report.files_failed += 1
                self.report.failures[row.path] = row.error or "embedding failed"
        self.progress.files_done(len(items))

    def _vectors(
        self, pending: list[tuple[FileRow, list[_Piece]]]
    ) -> dict[str, tuple[npt.NDArray[np.float32], int, bool]]:
        wanted = {p.hash: p.text for _, pieces in pending for p in pieces}
        with self.timed("store"):
            found = stored_vectors(self.conn, list(wanted)) if self.reuse else {}
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

    def _embed(
        self, hashes: list[str], texts: dict[str, str]
    ) -> dict[str, tuple[npt.NDArray[np.float32], int, bool]]:
        out: dict[str, tuple[npt.NDArray[np.float32], int, bool]] = {}
        limit = self.embedder.max_tokens
        for part in batched(hashes, _EMBED_SLICE):
            batch = [texts[h] for h in part]
            with self.timed("tokenize"):
                counts = self.embedder.count_tokens(batch)
            with self.timed("embed"):
                vectors = self.embedder.embed_documents(batch)
            for h, n, v in zip(part, counts, vectors, strict=True):
                out[h] = (v, n, n > limit)
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


def batched(items: Sequence[_T], n: int) -> Iterator[Sequence[_T]]:
    # itertools.batched arrived in Python 3.12.
    it = iter(items)
    while part := tuple(islice(it, n)):
        yield part
