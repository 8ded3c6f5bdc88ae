"""The module-level API: the same calls as a Workspace's, on a default workspace from the environment."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Literal, overload

import pandas as pd

from codelens._index.dry_run_report import DryRunReport
from codelens._index.report import IndexProgress, IndexReport
from codelens._index.run import check_index_request
from codelens._project import Project
from codelens._search.evaluate import evaluate as run_evaluation
from codelens._search.modes import DEFAULT_BY, DEFAULT_LIMIT, DEFAULT_MODE, MODES

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from codelens._analysis.analysis import Analysis
    from codelens._scan.walk import ScanOptions
    from codelens._search.results import SearchResults
from codelens._workspace import Workspace

__all__ = [
    "analyze",
    "callees",
    "callers",
    "create_project",
    "current_project",
    "definitions",
    "drop_project",
    "evaluate",
    "imports",
    "index",
    "project",
    "projects",
    "references",
    "search",
    "use",
    "workspace",
]


class _Default:
    # Created on first use and replaceable (tests, %codelens with another home): the one piece
    # of module state, kept behind a lock instead of a bare global.
    lock = threading.Lock()
    workspace: Workspace | None = None


def workspace(new: Workspace | None = None) -> Workspace:
    """The default workspace (settings from CODELENS_* variables); ``new`` replaces it."""
    with _Default.lock:
        if new is not None:
            _Default.workspace = new
        elif _Default.workspace is None:
            _Default.workspace = Workspace()
        return _Default.workspace


def create_project(
    project_id: str,
    *,
    description: str = "",
    embedder: str | None = None,
    first_pass: bool | None = None,
) -> Project:
    """Register a project and provision its schema; errors if it exists.

    ``first_pass=False``: no first-pass vectors (see :meth:`Workspace.create`)."""
    return workspace().create(
        project_id, description=description, embedder=embedder, first_pass=first_pass
    )


def project(project_id: str | None = None) -> Project:
    """The named project (created on first use), or the current one."""
    return workspace().project(project_id)


def projects() -> pd.DataFrame:
    """Every project with its model and counts."""
    return workspace().projects()


def use(project_id: str) -> Project:
    """Make a project the current one for this session."""
    return workspace().use(project_id)


def current_project() -> Project:
    """The session's current project; an error says how to choose one when there is none."""
    return workspace().current


def drop_project(project_id: str, *, force: bool = False) -> None:
    """Delete a project and everything indexed in it (asks first unless ``force``)."""
    workspace().drop(project_id, force=force)


@overload
def index(
    path: str | os.PathLike[str],
    *,
    project: str | Project | None = ...,
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
    path: str | os.PathLike[str],
    *,
    project: str | Project | None = ...,
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
    path: str | os.PathLike[str],
    *,
    project: str | Project | None = ...,
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
    path: str | os.PathLike[str],
    *,
    project: str | Project | None = None,
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
    """Index ``path`` into ``project`` (created on first use; default: the current project).

    The options are those of :meth:`Project.index`. ``dry_run=True`` returns what the run
    would do (:meth:`Project.dry_run`) and writes nothing: not even a new project.
    """
    ws = workspace()
    if dry_run:
        if isinstance(project, Project):
            planned = project
        else:  # never created by a dry run
            planned = ws.current if project is None else Project(ws, project)
        return planned.dry_run(
            path,
            name=name,
            force=force,
            embedder=embedder,
            scan_options=scan_options,
            progress=progress,
            cancel=cancel,
        )
    if not isinstance(project, Project):
        # Before a new project is created: a mistyped request takes no name.
        check_index_request(path, embed=embed, embedder=embedder, name=name)
    target = project if isinstance(project, Project) else ws.project(project)
    return target.index(
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


def search(
    query: str,
    *,
    project: str | Project | None = None,
    limit: int = DEFAULT_LIMIT,
    mode: str = DEFAULT_MODE,
    language: str | None = None,
    path: str | None = None,
    repository: str | None = None,
    file_type: str | None = None,
    by: str = DEFAULT_BY,
    kind: str | None = None,
) -> SearchResults:
    """Search a project (default: the current one) for code matching ``query``.

    ``mode``: ``"hybrid"`` (default; semantic and lexical fused), ``"semantic"`` (cosine
    similarity of embeddings) or ``"lexical"`` (PostgreSQL full text, identifiers split).
    Filters: ``language``, ``path`` (a glob or a folder, under the repository's root or
    absolute), ``repository`` (its name),
    ``file_type`` (an extension), ``kind`` (``"code"`` or ``"docs"``, or a definition kind
    such as ``"function"``); ``limit`` 1..100. The result is a pandas DataFrame with
    rank, score, project, repository, path, start_line, end_line, symbol, kind, language,
    category (code or docs), content, semantic_rank and lexical_rank; it renders
    highlighted in notebooks.
    ``by="file"``: one row per file instead, ranked, with each file's matching
    definitions in ``definitions`` (their count in ``file_results``).
    """
    return (
        workspace()
        .resolve(project)
        .search(
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
    )


def evaluate(
    project: str | Project | None,
    queries: pd.DataFrame,
    *,
    modes: Sequence[str] = MODES,
    by: str | None = None,
) -> pd.DataFrame:
    """Recall@1/5/10 and MRR@10 per mode of ``queries`` (question, path, line or symbol)."""
    return run_evaluation(workspace().resolve(project).handle, queries, modes=modes, by=by)


def analyze(
    project: str | Project | None = None,
    *,
    refresh: bool = True,
    scan_options: ScanOptions | None = None,
) -> Analysis:
    """DuckDB tables over a snapshot of a project's index and a scan of its repositories."""
    return workspace().resolve(project).analyze(refresh=refresh, scan_options=scan_options)


def definitions(name: str, *, project: str | Project | None = None) -> pd.DataFrame:
    """Where ``name`` is defined in a project (default: the current one); see
    :meth:`Project.definitions`."""
    return workspace().resolve(project).definitions(name)


def references(
    symbol: str, kind: str | Sequence[str] | None = None, *, project: str | Project | None = None
) -> pd.DataFrame:
    """Every place that uses ``symbol``; see :meth:`Project.references`."""
    return workspace().resolve(project).references(symbol, kind)


def callers(symbol: str, depth: int = 1, *, project: str | Project | None = None) -> pd.DataFrame:
    """The calls of ``symbol`` (and their callers up to ``depth``); see :meth:`Project.callers`."""
    return workspace().resolve(project).callers(symbol, depth)


def callees(symbol: str, depth: int = 1, *, project: str | Project | None = None) -> pd.DataFrame:
    """What ``symbol`` calls (and so on up to ``depth``); see :meth:`Project.callees`."""
    return workspace().resolve(project).callees(symbol, depth)


def imports(module: str | None = None, *, project: str | Project | None = None) -> pd.DataFrame:
    """The module dependency graph of a project; see :meth:`Project.imports`."""
    return workspace().resolve(project).imports(module)
