"""The facade users call for one project; every stage it calls gets its small handle."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import pandas as pd
from psycopg.rows import dict_row

from codelens._analysis.analysis import Analysis
from codelens._db.access import my_access
from codelens._db.awaiting import VectorCoverage, vector_coverage
from codelens._db.handle import ProjectHandle
from codelens._db.model_record import next_embedder, search_embedder
from codelens._embed.base import embeds_inline
from codelens._index.background import EmbeddingJob, running_job
from codelens._index.dry_run import dry_run
from codelens._index.dry_run_report import DryRunReport
from codelens._index.report import IndexProgress, IndexReport
from codelens._index.repository_drop import DroppedRepository, drop_repository, repository_gone
from codelens._index.run import embed_pending, index_repository
from codelens._index.vectors import EmbedReport
from codelens._search.engine import search
from codelens._search.modes import DEFAULT_BY, DEFAULT_LIMIT, DEFAULT_MODE
from codelens._search.results import SearchResults
from codelens._symbols import queries as symbols

if TYPE_CHECKING:
    import os
    import threading
    from collections.abc import Callable, Sequence

    from codelens._db.pool import Connection
    from codelens._embed.base import Embedder
    from codelens._scan.walk import ScanOptions
    from codelens._workspace import Workspace

__all__ = ["Project"]


class Project:
    """One project of a workspace. Cheap to create: it holds a name, not a connection."""

    def __init__(self, workspace: Workspace, project_id: str) -> None:
        self.workspace = workspace
        self.handle = ProjectHandle(workspace.db, project_id)
        self.id = self.handle.id
        self.schema = self.handle.schema

    def __repr__(self) -> str:
        return f"<codelens.Project {self.id!r}>"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Project) and other.id == self.id and other.workspace is self.workspace
        )

    def __hash__(self) -> int:
        return hash((id(self.workspace), self.id))

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A pooled connection whose search_path is this project's schema alone (plus public)."""
        with self.handle.connection() as conn:
            yield conn

    def info(self) -> dict[str, Any]:
        """The registry row: description, embedder, model and dimensions, settings."""
        return self.handle.info()

    def access_line(self) -> str:
        """What this workspace's role may do to the project: owner, write or read (with the
        owner), or superuser."""
        with self.connection() as conn:
            return f"{conn.info.user}, {my_access(conn, self.schema)}"

    def repositories(self) -> pd.DataFrame:
        """The repositories of this project with their file and chunk counts."""
        with self.handle.read_connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT r.id, r.name, r.root_path, r.created_at, r.last_indexed_at,"
                " (SELECT count(*) FROM files f WHERE f.repository_id = r.id) AS files,"
                " (SELECT count(*) FROM chunks c WHERE c.repository_id = r.id) AS chunks"
                " FROM repositories r ORDER BY r.name"
            )
            rows = cur.fetchall()
        columns = ["id", "name", "root_path", "created_at", "last_indexed_at", "files", "chunks"]
        return pd.DataFrame(rows, columns=columns)

    def counts(self) -> dict[str, int]:
        """Repositories, files by status, chunks, change events and chunks awaiting vectors."""
        with self.handle.read_connection() as conn:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM repositories),"
                " (SELECT count(*) FROM files WHERE status = 'indexed'),"
                " (SELECT count(*) FROM files WHERE status = 'skipped'),"
                " (SELECT count(*) FROM files WHERE status = 'failed'),"
                " (SELECT count(*) FROM chunks), (SELECT count(*) FROM change_events),"
                " (SELECT count(*) FROM chunks WHERE embedding IS NULL)"
            ).fetchone()
        assert row is not None
        keys = (
            "repositories",
            "indexed_files",
            "skipped_files",
            "failed_files",
            "chunks",
            "events",
            "chunks_awaiting_vectors",
        )
        return dict(zip(keys, (int(v) for v in row), strict=True))

    def embedder(self) -> Embedder:
        """The embedding model this project was indexed with (raises NotIndexed before that)."""
        return search_embedder(self.handle)

    @overload
    def index(
        self,
        path: str | os.PathLike[str],
        *,
        name: str | None = ...,
        force: bool = ...,
        progress: bool = ...,
        on_progress: Callable[[IndexProgress], None] | None = ...,
        cancel: threading.Event | None = ...,
        wait: bool = ...,
        embedder: str | None = ...,
        scan_options: ScanOptions | None = ...,
        embed: str = ...,
        dry_run: Literal[False] = ...,
    ) -> IndexReport: ...
    @overload
    def index(
        self,
        path: str | os.PathLike[str],
        *,
        name: str | None = ...,
        force: bool = ...,
        progress: bool = ...,
        on_progress: Callable[[IndexProgress], None] | None = ...,
        cancel: threading.Event | None = ...,
        wait: bool = ...,
        embedder: str | None = ...,
        scan_options: ScanOptions | None = ...,
        embed: str = ...,
        dry_run: Literal[True],
    ) -> DryRunReport: ...
    @overload
    def index(
        self,
        path: str | os.PathLike[str],
        *,
        name: str | None = ...,
        force: bool = ...,
        progress: bool = ...,
        on_progress: Callable[[IndexProgress], None] | None = ...,
        cancel: threading.Event | None = ...,
        wait: bool = ...,
        embedder: str | None = ...,
        scan_options: ScanOptions | None = ...,
        embed: str = ...,
        dry_run: bool,
    ) -> IndexReport | DryRunReport: ...
    def index(
        self,
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
        embed: str = "wait",
        dry_run: bool = False,
    ) -> IndexReport | DryRunReport:
        """Index (or re-index) the repository at ``path``; only changed files cost anything.

        Every changed file is stored first, searchable by words at once; then the chunks
        awaiting vectors are embedded. ``embed`` says whether this call waits for them:
        ``"wait"`` (the default: the report comes when everything is embedded),
        ``"background"`` (returns once stored; a worker thread embeds, holding the
        project's index lock, and ``report.embedding`` is that job: ``.cancel()``,
        ``.wait()``) or ``"later"`` (returns once stored; :meth:`embed_pending` or the
        next run embeds them). With an inline model (``embedder="static"``) each batch is
        stored with its vectors, so nothing awaits once stored, with ``"wait"`` or
        ``"background"`` alike; ``"later"`` still stores chunks only.

        ``force`` re-embeds everything (and switches to ``embedder`` if it differs from the
        project's model). ``on_progress`` receives :class:`IndexProgress` ticks; setting
        ``cancel`` stops the run after the batch in flight, with ``report.interrupted``.
        ``wait`` queues behind another indexer of the project instead of raising ProjectBusy.
        ``dry_run`` writes nothing and returns :meth:`dry_run`'s report instead.
        """
        if dry_run:
            return self.dry_run(
                path,
                name=name,
                force=force,
                embedder=embedder,
                scan_options=scan_options,
                progress=progress,
                cancel=cancel,
            )
        return index_repository(
            self.handle,
            path,
            name=name,
            force=force,
            progress=progress,
            on_progress=on_progress,
            cancel=cancel,
            wait=wait,
            embedder=embedder,
            scan_options=scan_options,
            embed=embed,
        )

    def reindex(
        self, *, force: bool = False, progress: bool = True, embed: str = "wait"
    ) -> list[IndexReport]:
        """Index every repository of the project again, from the roots it recorded.

        With ``embed="background"`` every repository is stored first and one worker then
        embeds what all of them left; the last report carries it as ``.embedding``. An
        inline model (static) stores each repository with its vectors instead. A
        repository whose folder is not on this machine stops it before anything is indexed
        (:meth:`drop_repository` drops one that is gone for good).
        """
        table = self.repositories()
        roots = list(zip(table["root_path"], table["name"], strict=True))
        # One folder gone would stop the loop halfway, the repositories before it indexed.
        for root, name in roots:
            if not Path(root).is_dir():
                raise repository_gone(self.id, name, root)
        # Storing an inline model's vectors with the chunks costs less than a second pass.
        early = embed
        if embed == "background" and len(roots) > 1:
            early = "wait" if embeds_inline(next_embedder(self.handle)) else "later"
        reports = []
        for i, (root, name) in enumerate(roots):
            last = i == len(roots) - 1
            mode = embed if last or embed == "wait" else early
            reports.append(self.index(root, name=name, force=force, progress=progress, embed=mode))
        return reports

    def drop_repository(self, name: str, *, wait: bool = False) -> DroppedRepository:
        """Delete repository ``name`` (its name in :meth:`repositories`) and everything
        indexed of it: its files, chunks, vectors and symbols. The folder on disk is not
        touched; indexing it again brings it back. ``wait`` queues behind an index run or
        embedding pass of the project instead of raising ``ProjectBusy``."""
        return drop_repository(self.handle, name, wait=wait)

    def embed_pending(
        self,
        *,
        progress: bool = True,
        on_progress: Callable[[IndexProgress], None] | None = None,
        cancel: threading.Event | None = None,
        wait: bool = False,
        background: bool = False,
    ) -> EmbedReport | EmbeddingJob:
        """Embed the chunks that await a vector (left by ``embed="later"``, a cancel or a crash).

        Returns the pass's report, or with ``background=True`` the running job at once.
        """
        return embed_pending(
            self.handle,
            progress=progress,
            on_progress=on_progress,
            cancel=cancel,
            wait=wait,
            background=background,
        )

    def embedding_job(self) -> EmbeddingJob | None:
        """This process's background embedding of the project, while it runs."""
        return running_job(self.handle)

    def coverage(self) -> VectorCoverage:
        """Chunks with their vector, of all chunks: meaning search covers the first."""
        with self.connection() as conn:
            return vector_coverage(conn)

    def dry_run(
        self,
        path: str | os.PathLike[str],
        *,
        name: str | None = None,
        force: bool = False,
        embedder: str | None = None,
        scan_options: ScanOptions | None = None,
        measure: bool = True,
        progress: bool = True,
        cancel: threading.Event | None = None,
    ) -> DryRunReport:
        """What :meth:`index` with these options would do, without writing anything.

        The files to index per language, those skipped per reason, the paths ignored and the
        rules that matched most, the biggest folders, the chunks to write and to embed, the
        files unchanged since the last run, and estimates of the time until everything is
        searchable by words and until every chunk is embedded. The model's speed is measured
        on a sample of the repository's own chunks unless ``measure=False`` (then a nominal
        figure). The project need not exist: a dry run creates nothing.
        """
        return dry_run(
            self.handle,
            path,
            name=name,
            force=force,
            embedder=embedder,
            scan_options=scan_options,
            measure=measure,
            progress=progress,
            cancel=cancel,
        )

    def search(
        self,
        query: str,
        *,
        limit: int = DEFAULT_LIMIT,
        mode: str = DEFAULT_MODE,
        language: str | None = None,
        path: str | None = None,
        repository: str | None = None,
        file_type: str | None = None,
        by: str = DEFAULT_BY,
        kind: str | None = None,
    ) -> SearchResults:
        """Search this project; see :func:`codelens.search`.

        Every result also carries ``callers``: how many places in the project call its
        definition (as :meth:`callers` lists them; 0 for module code).
        """
        results = search(
            self.handle,
            query,
            limit=limit,
            mode=mode,
            language=language,
            path=path,
            repository=repository,
            file_type=file_type,
            by=by,
            kind=kind,
        )
        places = list(zip(results["path"], results["symbol"], strict=True))
        results["callers"] = pd.array(symbols.caller_counts(self.handle, places), dtype="int64")
        return results

    def analyze(self, *, refresh: bool = True, scan_options: ScanOptions | None = None) -> Analysis:
        """DuckDB over a snapshot of this project's index and a scan of its repositories.

        Pass the ``scan_options`` the project was indexed with, if not the defaults, so that
        the disk is judged by the same rules.
        """
        return Analysis(self.handle, refresh=refresh, scan_options=scan_options)

    def definitions(self, name: str) -> pd.DataFrame:
        """Where ``name`` is defined: a name (``request``), a qualified name
        (``Session.request``, or with its module, ``pkg.sessions.Session.request``) or a
        glob over qualified names (``Session.*``).

        One row per definition, with the columns every symbol question answers with:
        ``path``, ``line``, ``column`` (1-based), ``definition`` (the enclosing
        definition's qualified name, "" at module level), ``symbol`` (the qualified
        name), ``kind`` (function, method, class, constant, variable, ...),
        ``resolution`` ("definition" here), ``target_path``/``target_line`` (the place
        itself here), ``depth`` (0), ``language`` and ``repository`` (its id).
        """
        return symbols.definitions(self.handle, name)

    def references(self, symbol: str, kind: str | Sequence[str] | None = None) -> pd.DataFrame:
        """Every place that uses ``symbol`` (as :meth:`definitions` names it), one row each.

        ``kind`` keeps some: ``"call"``, ``"import"``, ``"inherit"`` (a class's base),
        ``"attribute"`` (an attribute read, ``obj.name``), ``"decorator"`` or ``"type"``
        (a type named, in languages whose tags mark them). ``symbol``/``target_path``/
        ``target_line`` say which definition the place means; ``resolution`` how that
        was found: ``import`` (through the file's imports), ``scope`` (a name defined in
        the same file or class), ``self`` (``self.m()``, ``cls.m()``, ``super().m()``
        through the class and its bases) or ``name-only`` (matched by name alone: every
        language but Python, and Python calls on values of unknown type). Filter on
        ``resolution != "name-only"`` to keep the sure ones.
        """
        return symbols.references(self.handle, symbol, kind)

    def callers(self, symbol: str, depth: int = 1) -> pd.DataFrame:
        """The calls of ``symbol``: one row per call site, ``definition`` the caller.

        With ``depth`` > 1 (at most 10) the callers' callers too, each row with its
        ``depth`` (1: calls ``symbol`` itself). Columns as :meth:`references`.
        """
        return symbols.callers(self.handle, symbol, depth)

    def callees(self, symbol: str, depth: int = 1) -> pd.DataFrame:
        """What ``symbol`` calls: one row per call in its body, ``symbol`` the callee.

        A call that leads out of the project (the standard library, a dependency) has
        ``resolution`` ``"external"``, ``symbol`` as written and no target. With ``depth``
        > 1 the callees' own calls follow, each row with its ``depth``.
        """
        return symbols.callees(self.handle, symbol, depth)

    def imports(self, module: str | None = None) -> pd.DataFrame:
        """The module dependency graph of the project's Python files: one row per
        importing file and imported module, with ``importer`` (dotted, from the path),
        ``importer_path``, ``imported`` (relative imports made absolute),
        ``imported_path`` (the project's file, None when it is outside the project),
        ``names`` (the names taken, empty for ``import m``) and ``line``. ``module`` keeps
        the rows that import it or its submodules, or are in it.
        """
        return symbols.imports(self.handle, module)
