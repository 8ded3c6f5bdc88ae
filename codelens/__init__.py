"""codelens: explore codebases from a notebook."""

from __future__ import annotations

from ._api import (
    create_project,
    current_project,
    drop_project,
    project,
    projects,
    use,
    workspace,
)
from ._config import Settings
from ._project import Project
from ._workspace import Workspace
from .errors import CodelensError

__all__ = [
    "CodelensError",
    "Project",
    "Settings",
    "Workspace",
    "create_project",
    "current_project",
    "drop_project",
    "project",
    "projects",
    "use",
    "workspace",
]
__version__ = "0.1.0"
