"""An index run: scan, chunk and store one repository, then embed what awaits a vector.

Two phases. First every changed file is chunked and stored, in batches, each in one
transaction: a file is never half stored (its chunks, its row and its change event land
together), and its chunks are searchable by words at once. A chunk gets a vector at
store time when its content hash has one in the project; the others await theirs. Then
the chunks awaiting vectors are embedded (:mod:`codelens._index.vectors`), here and now
(``embed="wait"``), on a background worker (``"background"``), or not in this call
(``"later"``; :func:`embed_pending` does it). An interrupted run loses at most the batch
in flight, and the next run (or embed pass) goes on from there.

An inline embedder (the static model: :func:`~codelens._embed.base.embeds_inline`) makes
the second phase moot: each batch is embedded as it is chunked and stored with its
vectors, so no chunk of the run awaits one; what is left to the second phase is the HNSW
index of a first load (built here with ``"wait"``, on the worker with ``"background"``).
``"later"`` keeps its meaning with every model: no embedding in this call, every new
chunk stored awaiting its vector. A caller asks for "later" to get the words-only store
at its fastest and to choose when the model runs (``embed_pending``); a mode that embeds
or not depending on the model would surprise more than the little time it saves.
"""

from __future__ import annotations

import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING

import psycopg

from codelens._chunk.tags import SYMBOLS_VERSION
from codelens._db.autocommit import autocommit
from codelens._db.awaiting import any_embedded, any_first_pass, awaiting_count
from codelens._db.estimates import estimated_chunks
from codelens._db.model_record import index_embedder, index_first_pass, search_embedder
from codelens._embed.base import embeds_inline
from codelens._embed.registry import resolve_embedder_spec
from codelens._index.background import EmbeddingJob, stop_job
from codelens._index.batch import Batch, Run, tapered, unchanged
from codelens._index.first_pass_renewal import renew_first_pass
from codelens._index.lock import index_lock, setup_lock
from codelens._index.progress import Progress
from codelens._index.report import IndexProgress, IndexReport
from codelens._index.repository_name import check_repository_name
from codelens._index.store import (
    KnownFile,
    bump_symbols_generation,
    chunked_by_today,
    delete_files,
    finish_run,
    interrupt_dead_runs,
    known_files,
    record_chunker_version,
    start_run,
    upsert_repository,
)
from codelens._index.target import index_target
from codelens._index.vector_index import ensure_first_pass_index, has_vector_index
from codelens._index.vectors import EMBED_BATCH, EmbedReport, embed_awaiting
from codelens._scan.nofollow import CheckedFolder
from codelens._scan.walk import ScannedFile, ScanOptions, scan
from codelens.errors import SERVER_STOPPED_DURING_INDEXING, DatabaseError, IndexingError

if TYPE_CHECKING:
    from codelens._db.handle import ProjectHandle
    from codelens._db.pool import Connection
    from codelens._embed.base import Embedder

__all__ = ["BATCH_FILES", "EMBED_MODES", "check_index_request", "embed_pending", "index_repository"]

# Small enough that an interrupt loses little, large enough to make few round trips.
BATCH_FILES = 32
# Writers storing batches at once. The server's share of a write (the full-text column
# above all) outweighs the chunking, so two backends keep a 2-core machine busy.
STORE_WRITERS = 2
# wait: embed before returning; background: return once stored, embed on a worker
# thread; later: return once stored, leave the vectors to embed_pending or the next run.
EMBED_MODES = ("wait", "background", "later")


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
    embed: str
    embed_batch: int


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
    embed: str = "wait",
    embed_batch: int = EMBED_BATCH,
) -> IndexReport:
    """Index the repository at ``path`` into ``project``; see :meth:`codelens.Project.index`."""
    _check_embed(embed)
    root, target = index_target(path)
    options = _Options(
        check_repository_name(name),
        force,
        progress,
        on_progress,
        cancel,
        embedder,
        scan_options,
        max(1, batch_files),
        embed,
        max(1, embed_batch),
    )
    started = perf_counter()
    # This process's own background embedding of the project stops after its batch in
    # flight: this run embeds whatever it leaves, after storing what changed.
    stop_job(project)
    locked = False
    try:
        with ExitStack() as lock:
            # Other repositories of the project are indexed at once; a forced run may switch
            # the model and drop every vector, so it has the project to itself.
            repository = None if force else str(root)
            lock.enter_context(index_lock(project, wait=wait, repository=repository))
            locked = True
            ticker = Progress(show=progress, callback=on_progress)
            with project.connection() as conn, autocommit(conn):
                report, model = _index(conn, project, root, target, options, ticker, started)
                report.chunks_awaiting = awaiting_count(conn)
                # Vectors stored inline still want the HNSW index the embed phase builds.
                unindexed = embeds_inline(model) and not report.chunks_awaiting and _unindexed(conn)
            if (
                report.interrupted
                or options.embed == "later"
                or not (report.chunks_awaiting or unindexed)
            ):
                ticker.close()
                return report
            if options.embed == "background":
                ticker.embedding(report.chunks_awaiting)
                job = EmbeddingJob(project, model, lock.pop_all(), ticker, options.embed_batch)
                report.embedding = job.start()
                return report
            try:
                _embed_now(project, model, ticker, report, options, started)
            finally:
                ticker.close()
        return report
    except DatabaseError as exc:
        if not locked:
            raise  # never got going: the reason to connect failed is the news
        raise DatabaseError(SERVER_STOPPED_DURING_INDEXING) from exc


def embed_pending(
    project: ProjectHandle,
    *,
    progress: bool = True,
    on_progress: Callable[[IndexProgress], None] | None = None,
    cancel: threading.Event | None = None,
    wait: bool = False,
    background: bool = False,
) -> EmbedReport | EmbeddingJob:
    """Embed the chunks of ``project`` that await a vector; see :meth:`codelens.Project.embed_pending`."""
    stop_job(project)
    with ExitStack() as lock:
        lock.enter_context(index_lock(project, wait=wait, exclusive=False))
        model = search_embedder(project)
        ticker = Progress(show=progress, callback=on_progress)
        if background:
            with project.connection() as conn:
                ticker.embedding(awaiting_count(conn))
            return EmbeddingJob(project, model, lock.pop_all(), ticker).start()
        try:
            return embed_awaiting(project, model, ticker, cancel=cancel)
        finally:
            ticker.close()


def check_index_request(
    path: str | os.PathLike[str],
    *,
    embed: object = "wait",
    embedder: str | None = None,
    name: object = None,
) -> None:
    """Fail, in one line, on what an index run of ``path`` would refuse at once: a folder
    that is not there, an unknown ``embed`` mode or model, a repository ``name`` that is
    no name. Front ends ask before they create a project, so that a mistyped request takes
    no name."""
    _check_embed(embed)
    index_target(path)
    check_repository_name(name)
    if embedder is not None:
        resolve_embedder_spec(embedder)


def _check_embed(embed: object) -> None:
    if embed not in EMBED_MODES:
        raise IndexingError(
            f"embed must be one of {', '.join(map(repr, EMBED_MODES))}, not {embed!r}"
        )


def _embed_now(
    project: ProjectHandle,
    model: Embedder,
    ticker: Progress,
    report: IndexReport,
    options: _Options,
    started: float,
) -> None:
    done = EmbedReport()
    counted = False
    try:
        embed_awaiting(
            project,
            model,
            ticker,
            cancel=options.cancel,
            report=done,
            batch_chunks=options.embed_batch,
        )
        counted = True
    finally:
        report.chunks_embedded += done.chunks_embedded
        # A pass that ended counted what still awaits (0 included); one cut short by an
        # error could not, and what it wrote is all that is known.
        report.chunks_awaiting = (
            done.chunks_awaiting
            if counted
            else max(report.chunks_awaiting - done.chunks_embedded, 0)
        )
        report.interrupted = report.interrupted or done.interrupted
        report.failures.update(done.failures)
        report.files_failed += len(done.failures)
        report.files_indexed -= len(done.failures)
        for stage in ("embed", "store vectors", "vector index"):
            if stage in done.seconds:
                report.seconds[stage] = report.seconds.get(stage, 0.0) + done.seconds[stage]
        report.seconds["total"] = perf_counter() - started


def _index(
    conn: Connection,
    project: ProjectHandle,
    root: Path,
    target: Path | CheckedFolder,
    options: _Options,
    ticker: Progress,
    started: float,
) -> tuple[IndexReport, Embedder]:
    with conn.transaction():
        setup_lock(conn, project)
        model, rechunk, renew = index_embedder(project, conn, options.embedder, force=options.force)
        repository_id, repository = upsert_repository(conn, project.id, str(root), options.name)
        rechunk = rechunk or not chunked_by_today(conn, repository_id)
        interrupt_dead_runs(conn, repository_id)
        run_id = start_run(conn, repository_id)
    report = IndexReport(repository, str(root), run_id)
    # Vectors are reused by content hash; a project with none (a first index) skips the
    # lookups, one index probe per chunk: a seventh of a first index's work. (An indexer of
    # another repository may embed meanwhile: its vectors are then computed again here.)
    reuse = not options.force and any_embedded(conn)
    inline = embeds_inline(model) and options.embed != "later"
    run = Run(conn, project, model, report, ticker, repository_id, reuse=reuse, inline=inline)
    status = "failed"
    try:
        if renew:
            with run.timed("first-pass renewal"):
                renewed = renew_first_pass(conn, project, model, ticker, options.cancel)
            if not renewed:
                report.interrupted = True
                status = "interrupted"
                return report, model
        first = index_first_pass(conn)
        if first is not None:
            # Its vectors are reused by content hash as the model's are, on their own test:
            # a project stored with embed="later" has first-pass vectors and none of its
            # model's.
            run.first_pass(first, reuse=not options.force and any_first_pass(conn))
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
                if f.indexable and old is not None and old.symbols_version != SYMBOLS_VERSION:
                    run.symbols_only.add(f.path)
                    todo.append((f, old))
                continue
            todo.append((f, old))
        report.files_seen = len(scanned)
        ticker.start(len(todo))
        try:
            _pipeline(project, run, list(tapered(todo, options.batch_files)), options.cancel)
        finally:
            # Readers cache symbols per generation: it moves once the batches are in
            # (or the run stopped), not after each batch, which had a reader asking
            # during a run load every definition again after every batch.
            with suppress(psycopg.Error):
                bump_symbols_generation(conn)
        if not report.interrupted:
            seen = {f.path for f in scanned}
            gone = sorted(p for p in known if p not in seen)
            with run.timed("store"):
                with conn.transaction():
                    report.chunks_removed += delete_files(conn, repository_id, run_id, gone)
                    if rechunk:
                        record_chunker_version(conn, repository_id)
                bump_symbols_generation(conn)
            report.files_deleted = len(gone)
            with run.timed("analyze"):
                _refresh_statistics(conn, report.chunks_added + report.chunks_removed)
            if first is not None and (options.embed == "later" or not awaiting_count(conn)):
                # No embed phase follows in this call: build it here. Else the embed phase
                # builds it first thing (a minute at 100k chunks, kept off the store's
                # critical path); meanwhile the first pass is searched by an exact scan.
                with run.timed("first-pass index"):
                    ensure_first_pass_index(conn)
        status = "interrupted" if report.interrupted else "completed"
    except KeyboardInterrupt:
        status = "interrupted"
        report.interrupted = True
        raise
    finally:
        report.seconds["total"] = perf_counter() - started
        if status != "completed":
            ticker.close()
        with suppress(psycopg.Error):  # the connection may have died with the run
            finish_run(conn, run_id, repository_id, status, report.to_dict())
    return report, model


def _pipeline(
    project: ProjectHandle,
    run: Run,
    batches: list[Sequence[tuple[ScannedFile, KnownFile | None]]],
    cancel: threading.Event | None,
) -> None:
    """Chunk batches on a thread ahead of the writers; each writer stores a batch at a time.

    Each writer has a connection of its own and writes a batch in one transaction, so
    however the run ends (done, cancelled, an error, KeyboardInterrupt) a batch lands
    whole or not at all, and the next run stores whatever did not land. Batches may land
    out of order: nothing depends on their order, each file's row says what it holds.
    """
    if not batches:
        return
    writers = min(STORE_WRITERS, len(batches))
    with ExitStack() as stack:
        free: queue.SimpleQueue[Connection] = queue.SimpleQueue()
        for _ in range(writers):
            conn = stack.enter_context(project.connection())
            stack.enter_context(autocommit(conn))
            free.put(conn)
        chunker = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="codelens-chunk"))
        writing = stack.enter_context(
            ThreadPoolExecutor(writers, thread_name_prefix="codelens-store")
        )

        def write(batch: Batch) -> Batch:
            conn = free.get()
            try:
                return run.write(conn, batch)
            finally:
                free.put(conn)

        # Chunking stays as many batches ahead as there are writers to feed.
        todo = iter(batches)
        chunked: deque[Future[Batch]] = deque(
            chunker.submit(run.chunk, b) for b in islice(todo, writers)
        )
        written: deque[Future[Batch]] = deque()
        try:
            while chunked:
                # Count what has landed, at once for the progress bar; wait for a free
                # writer. A cancel (also one that counting set off) starts no more writes.
                while written and (len(written) >= writers or written[0].done()):
                    run.account(written.popleft().result())
                if cancel is not None and cancel.is_set():
                    run.report.interrupted = True
                    break
                batch = chunked.popleft().result()
                upcoming = next(todo, None)
                if upcoming is not None:
                    chunked.append(chunker.submit(run.chunk, upcoming))
                written.append(writing.submit(write, batch))
            while written:
                run.account(written.popleft().result())
        finally:
            for f in chunked:
                f.cancel()
            # Writes in flight finish (each lands whole) and are counted as landed.
            for f in written:
                with suppress(Exception):
                    run.account(f.result())


def _unindexed(conn: Connection) -> bool:
    """Whether the project has vectors but not yet their HNSW index (a first load)."""
    return not has_vector_index(conn) and any_embedded(conn)


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
