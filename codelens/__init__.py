"""codelens: explore codebases from a notebook.

``%load_ext codelens`` adds the ``%codelens`` and ``%codesearch`` magics; the functions below
are the same calls for code.
"""

from __future__ import annotations

from ._analysis import Analysis
from ._api import (
    analyze,
    create_project,
    current_project,
    drop_project,
    evaluate,
    index,
    project,
    projects,
    search,
    use,
    workspace,
)
from ._config import Settings
from ._embed import Embedder, get_embedder
from ._index_panel import index_ui
from ._magics import load_ipython_extension, unload_ipython_extension
from ._project import Project
from ._report import IndexProgress, IndexReport
from ._results import SearchResults
from ._scan import ScanOptions
from ._widgets import ui
from ._workspace import Workspace
from .errors import CodelensError

__all__ = [
    "Analysis",
    "CodelensError",
    "Embedder",
    "IndexProgress",
    "IndexReport",
    "Project",
    "ScanOptions",
    "SearchResults",
    "Settings",
    "Workspace",
    "analyze",
    "create_project",
    "current_project",
    "drop_project",
    "evaluate",
    "get_embedder",
    "index",
    "index_ui",
    "load_ipython_extension",
    "project",
    "projects",
    "search",
    "ui",
    "unload_ipython_extension",
    "use",
    "workspace",
]
__version__ = "0.1.0"
