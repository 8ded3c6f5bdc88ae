"""codelens: explore codebases from a notebook.

``%load_ext codelens`` adds the ``%codelens`` and ``%codesearch`` magics; the functions below
are the same calls for code.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from codelens._analysis.analysis import Analysis
from codelens._api import (
    analyze,
    callees,
    callers,
    create_project,
    current_project,
    definitions,
    drop_project,
    evaluate,
    imports,
    index,
    project,
    projects,
    references,
    search,
    use,
    workspace,
)
from codelens._chunk.catalog import languages
from codelens._config import Settings
from codelens._embed.base import Embedder
from codelens._embed.registry import get_embedder
from codelens._index.dry_run_report import DryRunReport
from codelens._index.report import IndexProgress, IndexReport
from codelens._index.repository_drop import DroppedRepository
from codelens._project import Project
from codelens._scan.walk import ScanOptions
from codelens._search.results import SearchResults
from codelens._workspace import Workspace
from codelens.errors import CodelensError

if TYPE_CHECKING:
    from codelens._notebook.index_panel import index_ui
    from codelens._notebook.magics import load_ipython_extension, unload_ipython_extension
    from codelens._notebook.search_panel import ui

# The notebook's names load IPython and ipywidgets (a quarter of a second): they load when
# first asked for, so a terminal command or the MCP server imports codelens without them.
_NOTEBOOK = {
    "index_ui": "codelens._notebook.index_panel",
    "load_ipython_extension": "codelens._notebook.magics",
    "ui": "codelens._notebook.search_panel",
    "unload_ipython_extension": "codelens._notebook.magics",
}

__all__ = [
    "Analysis",
    "CodelensError",
    "DroppedRepository",
    "DryRunReport",
    "Embedder",
    "IndexProgress",
    "IndexReport",
    "Project",
    "ScanOptions",
    "SearchResults",
    "Settings",
    "Workspace",
    "analyze",
    "callees",
    "callers",
    "create_project",
    "current_project",
    "definitions",
    "drop_project",
    "evaluate",
    "get_embedder",
    "imports",
    "index",
    "index_ui",
    "languages",
    "load_ipython_extension",
    "project",
    "projects",
    "references",
    "search",
    "ui",
    "unload_ipython_extension",
    "use",
    "workspace",
]
__version__ = "0.1.0"

# Reprs, docs and pickles name codelens.X, wherever X happens to live inside the package.
for _name in __all__:
    if _name not in _NOTEBOOK:
        globals()[_name].__module__ = "codelens"
del _name


def __getattr__(name: str) -> Any:
    if name not in _NOTEBOOK:
        raise AttributeError(f"module 'codelens' has no attribute {name!r}")
    value = getattr(importlib.import_module(_NOTEBOOK[name]), name)
    value.__module__ = "codelens"
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_NOTEBOOK))
