"""Index runs in the background for the MCP server: start one, poll it, stop them all.

An MCP tool call must answer quickly, and indexing a repository takes minutes, so
``index_repository`` queues a job and returns its id. One worker thread runs the jobs
in order: embedding is CPU-bound, and two at once would only be slower each.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codelens._scan.nofollow import CheckedFolder
from codelens.errors import CodelensError

if TYPE_CHECKING:
    from codelens._index.report import IndexProgress, IndexReport
    from codelens._workspace import Workspace

__all__ = ["Job", "JobManager"]

_log = logging.getLogger("codelens.jobs")
_NO_PROGRESS: dict[str, Any] = {
    "stage": None,
    "files_done": 0,
    "files_total": 0,
    "chunks_done": 0,
    "chunks_total": 0,
    "path": None,
    "seconds_left": None,
}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Job:
    id: str
    project_id: str
    repo_path: str
    force: bool
    state: str = "pending"  # pending -> running -> completed | failed
    created_at: str = field(default_factory=_now)
    started_at: str | None = None
    finished_at: str | None = None
    progress: dict[str, Any] = field(default_factory=lambda: dict(_NO_PROGRESS))
    report: dict[str, Any] | None = None
    error: str | None = None
    warning: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    # What is indexed: the folder checked when the job was queued, when it was checked.
    folder: CheckedFolder | None = None

    @property
    def finished(self) -> bool:
        return self.state in ("completed", "failed")

    def snapshot(self) -> dict[str, Any]:
        return {
            "job_id": self.id,
            "project_id": self.project_id,
            "repo_path": self.repo_path,
            "force_reindex": self.force,
            "state": self.state,
            "progress": dict(self.progress),
            "error": self.error,
            "warning": self.warning,
            "report": self.report,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }


def _warning(report: dict[str, Any]) -> str | None:
    """Why a run that indexed no file still counts as done, so that it never passes silently."""
    if report.get("files_indexed", 0):
        return None
    unchanged = report.get("files_unchanged", 0)
    skipped: dict[str, int] = report.get("files_skipped") or {}
    failed = report.get("files_failed", 0)
    if unchanged and not failed:
        return f"no file changed since the last run: {unchanged} unchanged (force_reindex=true redoes them)"
    parts = [f"{n} skipped as {reason}" for reason, n in sorted(skipped.items())]
    if failed:
        parts.append(f"{failed} failed (see report.failures)")
    if not parts and not unchanged:
        return (
            "no file was found to index: the folder is empty or every file is excluded by"
            " .gitignore/.codelensignore"
        )
    return "no file was indexed: " + ", ".join(parts)


class JobManager:
    """Jobs of one server process; they are forgotten when it exits."""

    def __init__(self, workspace: Workspace, *, keep_finished: int = 100) -> None:
        self.workspace = workspace
        self._keep_finished = keep_finished
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="codelens-index")
        self._futures: list[Future[None]] = []
        # Test seam: called in the worker as a job starts, between its check and its run.
        self.before_run: Callable[[Job], None] | None = None

    def start(
        self, project_id: str, repo_path: Path | CheckedFolder, *, force: bool = False
    ) -> tuple[Job, bool]:
        """Queue a run; (job, False) when the same repository is already queued or running.

        A :class:`CheckedFolder` is indexed only if it is still that folder when the job runs.
        """
        path = repo_path.path if isinstance(repo_path, CheckedFolder) else str(repo_path)
        folder = repo_path if isinstance(repo_path, CheckedFolder) else None
        with self._lock:
            for job in self._jobs.values():
                if (job.project_id, job.repo_path) == (project_id, path) and not job.finished:
                    return job, False
            job = Job(uuid.uuid4().hex[:12], project_id, path, force, folder=folder)
            self._jobs[job.id] = job
            self._forget_old()
        future = self._executor.submit(self._run, job)
        with self._lock:
            self._futures = [f for f in self._futures if not f.done()] + [future]
        return job, True

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            shown = repr(job_id) if len(job_id) <= 40 else repr(job_id[:37] + "...")
            raise CodelensError(
                f"no job {shown}: use the job_id that index_repository returned"
                " (jobs are forgotten when the server restarts)"
            )
        return job

    def status(self, job_id: str) -> dict[str, Any]:
        job = self.get(job_id)
        with self._lock:
            return job.snapshot()

    def _forget_old(self) -> None:
        finished = [j.id for j in self._jobs.values() if j.finished]
        for job_id in finished[: max(0, len(finished) - self._keep_finished)]:
            del self._jobs[job_id]

    def _update(self, job: Job, **changes: Any) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(job, key, value)

    def _run(self, job: Job) -> None:
        if self.before_run is not None:
            self.before_run(job)
        self._update(job, state="running", started_at=_now())

        def on_progress(progress: IndexProgress) -> None:
            counts = {
                "stage": progress.stage,
                "files_done": progress.files_done,
                "files_total": progress.files_total,
                "chunks_done": progress.chunks_done,
                "chunks_total": progress.chunks_total,
                "path": progress.path,
                "seconds_left": None
                if progress.seconds_left is None
                else round(progress.seconds_left, 1),
            }
            self._update(job, progress=counts)

        try:
            project = self.workspace.get(job.project_id)
            report: IndexReport = project.index(
                job.folder or job.repo_path,
                force=job.force,
                progress=False,
                on_progress=on_progress,
                cancel=job.cancel,
            )
        except CodelensError as exc:
            self._update(job, state="failed", finished_at=_now(), error=str(exc))
            return
        except Exception as exc:
            _log.exception("index job %s failed", job.id)
            error = f"unexpected {type(exc).__name__}: {exc} (see the server's log)"
            self._update(job, state="failed", finished_at=_now(), error=error)
            return
        summary: dict[str, Any] = json.loads(json.dumps(report.to_dict(), default=str))
        if report.interrupted:
            error = (
                "interrupted because the server is stopping: run index_repository again to finish"
            )
            self._update(job, state="failed", finished_at=_now(), report=summary, error=error)
            return
        self._update(
            job,
            state="completed",
            finished_at=_now(),
            report=summary,
            warning=_warning(summary),
        )

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop the run in flight after its current batch; drop the queued ones."""
        with self._lock:
            for job in self._jobs.values():
                job.cancel.set()
            futures = list(self._futures)
        self._executor.shutdown(wait=False, cancel_futures=True)
        # A future cancelled by shutdown never counts as done for wait(): leave it out.
        wait_futures([f for f in futures if not f.cancelled()], timeout)
        with self._lock:
            for job in self._jobs.values():
                if job.state == "pending":
                    job.state, job.finished_at = "failed", _now()
                    job.error = "cancelled: the server stopped before the job started"
