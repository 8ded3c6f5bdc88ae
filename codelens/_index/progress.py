"""Progress of an index run: tqdm bars for people, a callback for widgets and MCP jobs."""

from __future__ import annotations

from collections.abc import Callable
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
        self.state = IndexProgress("scan")

    def start(self, files_total: int) -> None:
        self.state = IndexProgress("chunk", files_total=files_total)
        if self._show:
            self._files = tqdm(total=files_total, desc="files", unit="file", leave=True)
            self._chunks = tqdm(total=0, desc="chunks embedded", unit="chunk", leave=True)
        self._emit()

    def stage(self, stage: str, path: str | None = None) -> None:
        s = self.state
        self.state = IndexProgress(
            stage, s.files_done, s.files_total, s.chunks_done, s.chunks_total, path
        )
        self._emit()

    def chunks_planned(self, n: int) -> None:
        s = self.state
        self.state = IndexProgress(
            s.stage, s.files_done, s.files_total, s.chunks_done, s.chunks_total + n, s.path
        )
        if self._chunks is not None:
            self._chunks.total = self.state.chunks_total
            self._chunks.refresh()

    def chunks_embedded(self, n: int) -> None:
        s = self.state
        self.state = IndexProgress(
            "embed", s.files_done, s.files_total, s.chunks_done + n, s.chunks_total, s.path
        )
        if self._chunks is not None:
            self._chunks.update(n)
        self._emit()

    def files_done(self, n: int) -> None:
        s = self.state
        self.state = IndexProgress(
            "store", s.files_done + n, s.files_total, s.chunks_done, s.chunks_total, s.path
        )
        if self._files is not None:
            self._files.update(n)
        self._emit()

    def close(self) -> None:
        s = self.state
        self.state = IndexProgress(
            "done", s.files_done, s.files_total, s.chunks_done, s.chunks_total, None
        )
        for bar in (self._files, self._chunks):
            if bar is not None:
                bar.close()
        self._emit()

    def _emit(self) -> None:
        if self._callback is not None:
            self._callback(self.state)
