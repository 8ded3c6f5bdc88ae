"""An index run: scan, chunk, embed and store one repository, touching only what changed.

Files are written in batches, each in one transaction, so an interrupted run loses at
most the batch in flight and the next run goes on from there. A file is never half
indexed: its chunks, its row and its change event land together.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING

import psycopg

from codelens._db.estimates import estimated_chunks
from codelens._db.model_record import index_embedder, update_chunker_version
from codelens._index.batch import Batch, Run, tapered, unchanged
from codelens._index.lock import index_lock
from codelens._index.progress import Progress
from codelens._index.report import IndexProgress, IndexReport
from codelens._index.store import (
    KnownFile,
    delete_files,
    finish_run,
    interrupt_dead_runs,
    known_files,
    start_run,
    upsert_repository,
)
from codelens._scan.nofollow import CheckedFolder, reopen
from codelens._scan.walk import ScannedFile, ScanOptions, scan
from codelens.errors import SERVER_STOPPED_DURING_INDEXING, DatabaseError, IndexingError

if TYPE_CHECKING:
    from codelens._db.handle import ProjectHandle
    from codelens._db.pool import Connection

__all__ = ["index_repository"]

# Small enough that an interrupt loses little, large enough to batch the embedder well.
BATCH_FILES = 32


@dataclass(frozen=True, slots=True)
class _Options:
    name: str | None
    force: bool
    progress: bool
    on_progress: Callable[[IndexProgress], None] | None
    cancel: threading.Event | None
    embedder: str | None
    scan_options: ScanOptions | None
    batch_files: int


def index_repository(
    project: ProjectHandle,
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    force: bool = False,
    progress: bool = True,
    on_progress: Callable[[IndexProgress], None] | None = None,
    cancel: threading.Event | None = None,
    wait: bool = False,
    embedder: str | None = None,
    scan_options: ScanOptions | None = None,
    batch_files: int = BATCH_FILES,
) -> IndexReport:
    """Index the repository at ``path`` into ``project``; see :meth:`codelens.Project.index`."""
    target: Path | CheckedFolder
    if isinstance(path, CheckedFolder):
        # Checked by the caller (the MCP server's roots): index that very folder, never what
        # its path may lead to now, so it is not resolved again but recognised.
        os.close(reopen(path))
        root, target = Path(path.path), path
    else:
        given = Path(path).expanduser()
        if not given.is_dir():
            what = "is not a folder" if given.exists() else "does not exist"
            raise IndexingError(f"{str(given)!r} {what}: pass the folder of a repository to index")
        root = target = given.resolve()
    options = _Options(
        name, force, progress, on_progress, cancel, embedder, scan_options, max(1, batch_files)
    )
    started = perf_counter()
    locked = False
    try:
        with index_lock(project, wait=wait), project.connection() as conn:
            locked = True
            # Autocommit, so that each `conn.transaction()` below is a real, committed transaction.
            conn.autocommit = True
            try:
                return _index(conn, project, root, target, options, started)
            finally:
                if not conn.broken:
                    conn.autocommit = False
    except DatabaseError as exc:
        if not locked:
            raise  # never got going: the reason to connect failed is the news
        raise DatabaseError(SERVER_STOPPED_DURING_INDEXING) from exc


def _index(
    conn: Connection,
    project: ProjectHandle,
    root: Path,
    target: Path | CheckedFolder,
    options: _Options,
    started: float,
) -> IndexReport:
    with conn.transaction():
        model, rechunk = index_embedder(project, conn, options.embedder, force=options.force)
        repository_id, repository = upsert_repository(conn, str(root), options.name)
        interrupt_dead_runs(conn)
        run_id = start_run(conn, repository_id)
    report = IndexReport(repository, str(root), run_id)
    ticker = Progress(show=options.progress, callback=options.on_progress)
    run = Run(conn, project, model, report, ticker, repository_id, reuse=not options.force)
    status = "failed"
    try:
        with run.timed("scan"):
            scanned = list(scan(target, options.scan_options))
            known = known_files(conn, repository_id)
        todo: list[tuple[ScannedFile, KnownFile | None]] = []
        for f in scanned:
            if f.skip_reason is not None:
                report.files_skipped[f.skip_reason] = report.files_skipped.get(f.skip_reason, 0) + 1
            old = known.get(f.path)
            if not (options.force or rechunk) and unchanged(f, old):
                report.files_unchanged += f.indexable
                continue
            todo.append((f, old))
        report.files_seen = len(scanned)
        ticker.start(len(todo))
        if _has_chunks(conn):
            # Kept current by each batch's write, behind the model, rather than rebuilt.
            run.ensure_index(conn)
        _pipeline(project, run, list(tapered(todo, options.batch_files)), options.cancel)
        if not report.interrupted:
            seen = {f.path for f in scanned}
            gone = sorted(p for p in known if p not in seen)
            with run.timed("store"), conn.transaction():
                report.chunks_removed += delete_files(conn, repository_id, run_id, gone)
                if rechunk:
                    update_chunker_version(conn)
            report.files_deleted = len(gone)
            run.ensure_index(conn)
            with run.timed("analyze"):
                _refresh_statistics(conn, report.chunks_added + report.chunks_removed)
        status = "interrupted" if report.interrupted else "completed"
    except KeyboardInterrupt:
        status = "interrupted"
        report.interrupted = True
        raise
    finally:
        report.seconds["total"] = perf_counter() - started
        ticker.close()
        with suppress(psycopg.Error):  # the connection may have died with the run
            finish_run(conn, run_id, repository_id, status, report.to_dict())
    return report


def _pipeline(
    project: ProjectHandle,
    run: Run,
    batches: list[Sequence[tuple[ScannedFile, KnownFile | None]]],
    cancel: threading.Event | None,
) -> None:
    """Chunk the next batch and write the last one while this one is embedded.

    The writer has a connection of its own and writes each batch in one transaction, in
    order. However the run ends (done, cancelled, an error, KeyboardInterrupt), the batch
    being written is finished and counted before this returns: a batch lands whole or
    not at all, and the next run starts after the last batch that landed.
    """
    if not batches:
        return
    with (
        project.connection() as writer_conn,
        ThreadPoolExecutor(1, thread_name_prefix="codelens-chunk") as chunker,
        ThreadPoolExecutor(1, thread_name_prefix="codelens-write") as writer,
    ):
        writer_conn.autocommit = True
        ahead = chunker.submit(run.chunk, batches[0])
        behind: Future[Batch] | None = None
        try:
            for i in range(len(batches)):
                if cancel is not None and cancel.is_set():
                    run.report.interrupted = True
                    break
                batch = ahead.result()
                if i + 1 < len(batches):
                    ahead = chunker.submit(run.chunk, batches[i + 1])
                run.embed(batch)
                run.judge_pace()
                if behind is not None:
                    written, behind = behind, None
                    run.account(written.result())
                behind = writer.submit(run.write, writer_conn, batch)
        finally:
            ahead.cancel()
            try:
                if behind is not None:
                    run.account(behind.result())
            finally:
                if not writer_conn.broken:
                    writer_conn.autocommit = False


def _has_chunks(conn: Connection) -> bool:
    row = conn.execute("SELECT EXISTS (SELECT 1 FROM chunks)").fetchone()
    return bool(row and row[0])


def _refresh_statistics(conn: Connection, changed: int) -> None:
    """ANALYZE chunks when a run changed a tenth of it or more.

    Lexical search weighs query words by the column statistics' word frequencies; until
    autovacuum gets round to a freshly loaded table, every word would weigh the same.
    """
    estimated = estimated_chunks(conn)
    if changed > 0 and (estimated < 0 or changed >= 0.1 * estimated):
        # The columns searches filter, join and weigh by; skipping content and embedding
        # halves the time (a vector column gets a costly histogram nothing reads).
        conn.execute(
            "ANALYZE chunks (search_tsv, path, language, kind, repository_id, file_id,"
            " content_hash)"
        )
