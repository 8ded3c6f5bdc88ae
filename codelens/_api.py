"""The module-level API: the same calls as a Workspace's, on a default workspace from the environment."""

from __future__ import annotations

import os
import threading
from typing import Any

import pandas as pd

from ._project import Project
from ._report import IndexReport
from ._workspace import Workspace

__all__ = [
    "create_project",
    "current_project",
    "drop_project",
    "index",
    "project",
    "projects",
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
    project_id: str, *, description: str = "", embedder: str | None = None
) -> Project:
    """Register a project and provision its schema; errors if it exists."""
    return workspace().create(project_id, description=description, embedder=embedder)


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
    return workspace().current


def drop_project(project_id: str, *, force: bool = False) -> None:
    """Delete a project and everything indexed in it (asks first unless ``force``)."""
    workspace().drop(project_id, force=force)


def index(
    path: str | os.PathLike[str], *, project: str | Project | None = None, **options: Any
) -> IndexReport:
    """Index ``path`` into ``project`` (created on first use; default: the current project).

    Options are those of :meth:`Project.index`: name, force, progress, on_progress, cancel,
    wait, embedder, scan_options.
    """
    ws = workspace()
    target = project if isinstance(project, Project) else ws.project(project)
    return target.index(path, **options)
