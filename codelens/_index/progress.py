"""Progress of an index run: tqdm bars for people, a callback for widgets and MCP jobs.

A run has two phases: files are stored (searchable by words at once), then the chunks
awaiting vectors are embedded. Each phase has its bar; the embedding bar knows its total
from the start (the chunks awaiting), so its estimate of the time left is honest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from time import perf_counter
from typing import Any

from tqdm.auto import tqdm

from codelens._index.report import IndexProgress

__all__ = ["Progress"]


class Progress:
    """Feeds one run's ticks to tqdm (when ``show``) and to ``callback`` (when given)."""

    def __init__(self, *, show: bool, callback: Callable[[IndexProgress], None] | None) -> None:
        self._show = show
        self._callback = callback
        self._files: tqdm[Any] | None = None
        self._chunks: tqdm[Any] | None = None
        self._renewal: tqdm[Any] | None = None
        self._embed_started: float | None = None
        self.state = IndexProgress("scan")

    def renewing(self, total: int) -> None:
        """A retired first pass is replaced before the run stores anything: ``total``
        chunks get the current first-pass model's vectors."""
        self.state = IndexProgress("first pass", chunks_total=total)
        if self._show and total:
            self._renewal = tqdm(total=total, desc="first-pass vectors", unit="chunk", leave=True)
        self._emit()

    def first_pass_renewed(self, n: int) -> None:
        self.state = replace(self.state, chunks_done=self.state.chunks_done + n)
        if self._renewal is not None:
            self._renewal.update(n)
            if self.state.chunks_done >= self.state.chunks_total:
                self._renewal.close()
                self._renewal = None
        self._emit()

    def start(self, files_total: int) -> None:
        """The store phase begins: ``files_total`` files to chunk and store."""
        self.state = IndexProgress("store", files_total=files_total)
        if self._show and files_total:
            self._files = tqdm(total=files_total, desc="files stored", unit="file", leave=True)
        self._emit()

    def files_done(self, n: int, embedded: int = 0) -> None:
        """``n`` more files stored, with ``embedded`` chunks that an inline embedder gave
        their vectors as they were stored (found by meaning from then on too)."""
        self.state = replace(
            self.state,
            stage="store",
            files_done=self.state.files_done + n,
            chunks_done=self.state.chunks_done + embedded,
            chunks_total=self.state.chunks_total + embedded,
        )
        if self._files is not None:
            self._files.update(n)
        self._emit()

    def embedding(self, total: int) -> None:
        """The embed phase begins: ``total`` chunks await their vectors.

        Called again with the same bar (once on the caller's thread, so that a notebook
        shows the bar under the cell that started it, then by a background worker), it
        starts the clock again and keeps the bar.
        """
        self._embed_started = perf_counter()
        self.state = replace(
            self.state, stage="embed", chunks_done=0, chunks_total=total, seconds_left=None
        )
        if self._chunks is not None:
            self._chunks.reset(total)
        elif self._show and total:
            self._chunks = tqdm(total=total, desc="chunks embedded", unit="chunk", leave=True)
        self._emit()

    def chunks_embedded(self, n: int) -> None:
        done = self.state.chunks_done + n
        left: float | None = None
        if self._embed_started is not None and done:
            rate = done / max(perf_counter() - self._embed_started, 1e-9)
            left = max(self.state.chunks_total - done, 0) / rate
        self.state = replace(self.state, stage="embed", chunks_done=done, seconds_left=left)
        if self._chunks is not None:
            self._chunks.update(n)
        self._emit()

    def stage(self, stage: str, path: str | None = None) -> None:
        self.state = replace(self.state, stage=stage, path=path)
        self._emit()

    def close(self) -> None:
        self.state = replace(self.state, stage="done", path=None, seconds_left=None)
        for bar in (self._renewal, self._files, self._chunks):
            if bar is not None:
                bar.close()
        self._renewal = self._files = self._chunks = None
        self._emit()

    def _emit(self) -> None:
        if self._callback is not None:
            self._callback(self.state)
