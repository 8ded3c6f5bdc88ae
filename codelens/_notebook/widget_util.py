"""What both codelens panels share: CSS classes, one-line errors, which project to open."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from codelens._api import workspace as default_workspace
from codelens._project import Project

if TYPE_CHECKING:
    from codelens._workspace import Workspace

__all__ = ["chosen_project", "classed", "one_line", "set_status", "workspace_of"]


def classed(widget: Any, *classes: str) -> Any:
    for name in classes:
        widget.add_class(name)
    return widget


def one_line(error: BaseException) -> str:
    """How an error shows in a panel: CodelensError's own line, else type and message."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


def set_status(label: Any, text: str, *, error: bool = False) -> None:
    """One line in an HTML widget; errors in red and marked with the cl-error class."""
    color = "#c0392b" if error else "#555"
    label.value = f'<span style="color:{color}">{html.escape(text)}</span>'
    if error:
        label.add_class("cl-error")
    else:
        label.remove_class("cl-error")


def workspace_of(project: Project | str | None, workspace: Workspace | None) -> Workspace:
    if workspace is not None:
        return workspace
    if isinstance(project, Project):
        return project.workspace
    return default_workspace()


def chosen_project(project: Project | str | None, ws: Workspace) -> str | None:
    """The project a panel opens on: the one given (it must exist), else the current one."""
    if isinstance(project, Project):
        return project.id
    if project is not None:
        return ws.get(project).id
    return ws.current_id
