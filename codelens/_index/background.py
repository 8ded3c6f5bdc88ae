"""Embedding on a worker thread, so that a notebook's kernel stays free while vectors land.

The worker holds the project's index lock (handed over by the index run that stored the
chunks, so no other indexer slips in between), which keeps one writer per project. It
stops after the batch in flight on :meth:`EmbeddingJob.cancel`, when another index run
of the same project starts in this process (that run embeds what is left), and when the
interpreter exits; whatever it had not written still awaits its vector.
"""

from __future__ import annotations

import atexit
import html
import threading
from contextlib import ExitStack
from typing import TYPE_CHECKING

from codelens._index.vectors import EMBED_BATCH, EmbedReport, embed_awaiting

if TYPE_CHECKING:
    from codelens._db.handle import ProjectHandle
    from codelens._embed.base import Embedder
    from codelens._index.progress import Progress

__all__ = ["EmbeddingJob", "running_job", "stop_job"]

# Seconds to wait at exit for the batch in flight; its transaction is rolled back if not.
_EXIT_WAIT = 10.0

_jobs: dict[tuple[int, str], EmbeddingJob] = {}
_jobs_lock = threading.Lock()


def _key(project: ProjectHandle) -> tuple[int, str]:
    return id(project.db), project.id


class EmbeddingJob:
    """Vectors being filled in the background for one project; ``report`` when done."""

    def __init__(
        self,
        project: ProjectHandle,
        embedder: Embedder,
        lock: ExitStack,
        progress: Progress,
        batch_chunks: int = EMBED_BATCH,
    ) -> None:
        self._batch_chunks = batch_chunks
        self.project = project
        self.progress = progress
        self.report = EmbedReport()
        self.error: BaseException | None = None
        self._cancel = threading.Event()
        self._lock = lock
        self._embedder = embedder
        self._thread = threading.Thread(
            target=self._run, name=f"codelens-embed-{project.id}", daemon=True
        )

    def start(self) -> EmbeddingJob:
        with _jobs_lock:
            _jobs[_key(self.project)] = self
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def cancel(self) -> None:
        """Stop after the batch in flight; what is not embedded still awaits its vector."""
        self._cancel.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def wait(self, timeout: float | None = None) -> EmbedReport:
        """Block until the worker ends; raises what it failed with, if it failed."""
        self._thread.join(timeout)
        if self.error is not None:
            raise self.error
        return self.report

    def _run(self) -> None:
        try:
            with self._lock:
                embed_awaiting(
                    self.project,
                    self._embedder,
                    self.progress,
                    cancel=self._cancel,
                    report=self.report,
                    batch_chunks=self._batch_chunks,
                )
        except BaseException as exc:  # kept for wait() and the display: a thread cannot raise
            self.error = exc
        finally:
            self.progress.close()
            with _jobs_lock:
                if _jobs.get(_key(self.project)) is self:
                    del _jobs[_key(self.project)]

    def summary(self) -> str:
        s, r = self.progress.state, self.report
        if self.error is not None:
            return f"embedding failed: {str(self.error).strip() or type(self.error).__name__}"
        if self.running:
            left = f", about {_duration(s.seconds_left)} left" if s.seconds_left else ""
            return f"embedding: {s.chunks_done:,} of {s.chunks_total:,} chunks{left}"
        state = "cancelled" if r.interrupted else "done"
        return (
            f"embedding {state}: {r.chunks_embedded:,} chunks embedded,"
            f" {r.chunks_awaiting:,} await vectors"
        )

    def __repr__(self) -> str:
        return f"<EmbeddingJob {self.project.id!r} {self.summary()}>"

    def _repr_html_(self) -> str:
        return f"<div class='cl-embedding'>{html.escape(self.summary())}</div>"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def running_job(project: ProjectHandle) -> EmbeddingJob | None:
    """This process's background embedding of ``project``, if one is running."""
    with _jobs_lock:
        job = _jobs.get(_key(project))
    return job if job is not None and job.running else None


def stop_job(project: ProjectHandle, timeout: float | None = None) -> None:
    """Stop this process's background embedding of ``project`` and wait for its last batch."""
    job = running_job(project)
    if job is not None:
        job.cancel()
        job.join(timeout)


@atexit.register
def _stop_all() -> None:
    with _jobs_lock:
        jobs = list(_jobs.values())
    for job in jobs:
        job.cancel()
    for job in jobs:
        job.join(_EXIT_WAIT)
