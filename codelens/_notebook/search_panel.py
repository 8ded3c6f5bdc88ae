"""The search panel, ``codelens.ui()``: a query box over a project, filters, highlighted results.

Stock ipywidgets only, so it renders in JupyterLab 4, Notebook 7 and VS Code with no extension.
Every control carries a ``cl-*`` CSS class: tests and browsers find them by it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from codelens._languages import LANGUAGES
from codelens._notebook.result_view import PREVIEW_LINES, ResultView
from codelens._notebook.widget_util import (
    chosen_project,
    classed,
    one_line,
    set_status,
    workspace_of,
)
from codelens._search.category import CATEGORIES
from codelens._search.modes import DEFAULT_BY, DEFAULT_LIMIT, DEFAULT_MODE, MAX_LIMIT, MODES
from codelens.errors import CodelensError

if TYPE_CHECKING:
    from codelens._project import Project
    from codelens._workspace import Workspace

__all__ = ["SearchPanel", "ui"]


class SearchPanel:
    """Enter in the query box (or Search) runs the search; changing a filter re-runs it."""

    def __init__(
        self,
        project: Project | str | None = None,
        workspace: Workspace | None = None,
        *,
        limit: int = DEFAULT_LIMIT,
        mode: str = DEFAULT_MODE,
        preview_lines: int = PREVIEW_LINES,
    ) -> None:
        self.workspace = workspace_of(project, workspace)
        self.preview_lines = preview_lines
        chosen = chosen_project(project, self.workspace)
        self.project = classed(w.Dropdown(description="Project"), "cl-project")
        self.refresh_button = classed(
            w.Button(icon="refresh", tooltip="reload the project list"), "cl-refresh"
        )
        self.refresh_button.layout = w.Layout(width="3em")
        self.refresh(chosen)
        self.query = classed(
            w.Text(
                placeholder="words, a question or code; Enter searches",
                continuous_update=False,
                layout=w.Layout(flex="1 1 auto", width="auto"),
            ),
            "cl-query",
        )
        self.search_button = classed(
            w.Button(description="Search", icon="search", button_style="primary"),
            "cl-search-button",
        )
        narrow = {"description_width": "initial"}
        self.mode = classed(
            w.Dropdown(
                options=MODES,
                value=mode,
                description="Mode",
                style=narrow,
                layout=w.Layout(width="170px"),
            ),
            "cl-mode",
        )
        self.by = classed(
            w.Dropdown(
                options=[("per definition", "definition"), ("per file", "file")],
                value=DEFAULT_BY,
                description="One row",
                style=narrow,
                layout=w.Layout(width="210px"),
            ),
            "cl-by",
        )
        self.kind = classed(
            w.Dropdown(
                options=[("code and docs", ""), *((c, c) for c in CATEGORIES)],
                value="",
                description="Kind",
                style=narrow,
                layout=w.Layout(width="180px"),
            ),
            "cl-kind",
        )
        languages = [("any", ""), *((name, name) for name in sorted(LANGUAGES))]
        self.language = classed(
            w.Dropdown(
                options=languages,
                value="",
                description="Language",
                style=narrow,
                layout=w.Layout(width="190px"),
            ),
            "cl-language",
        )
        self.path = classed(
            w.Text(
                placeholder="glob, e.g. src/*.py",
                description="Path",
                continuous_update=False,
                style=narrow,
                layout=w.Layout(width="240px"),
            ),
            "cl-path",
        )
        self.limit = classed(
            w.IntSlider(
                value=limit, min=1, max=MAX_LIMIT, description="Results", continuous_update=False
            ),
            "cl-limit",
        )
        self.status = classed(w.HTML(), "cl-status")
        self.results = classed(w.VBox(), "cl-results")
        self.views: list[ResultView] = []
        self.last: Any = None  # the last SearchResults, for code that wants the DataFrame
        controls = (
            self.query,
            self.project,
            self.mode,
            self.by,
            self.kind,
            self.language,
            self.path,
        )
        for control in (*controls, self.limit):
            control.observe(self._changed, names="value")
        self.search_button.on_click(lambda _: self.search())
        self.refresh_button.on_click(lambda _: self.refresh(self.project.value))
        rows = [
            w.HBox([self.project, self.refresh_button, self.query, self.search_button]),
            w.HBox([self.mode, self.by, self.kind, self.language, self.path, self.limit]),
            self.status,
            self.results,
        ]
        self.widget = classed(w.VBox(rows), "cl-panel")

    def refresh(self, keep: str | None = None) -> None:
        ids = self.workspace.ids()
        self.project.options = ids
        self.project.value = keep if keep in ids else (ids[0] if ids else None)

    def _changed(self, _: Any) -> None:
        if self.query.value.strip():
            self.search()

    def show_status(self, text: str, *, error: bool = False) -> None:
        set_status(self.status, text, error=error)

    def search(self) -> None:
        """Run the query now; results, "no results" or a one-line error land in the panel."""

        query = self.query.value.strip()
        self.views, self.last = [], None
        self.results.children = ()
        if not query:
            self.show_status("type a query, then press Enter")
            return
        started = time.perf_counter()
        try:
            if not self.project.value:
                raise CodelensError(
                    "no project yet: create one with `%codelens create NAME --path DIR`"
                )
            results = self.workspace.get(self.project.value).search(
                query,
                limit=self.limit.value,
                mode=self.mode.value,
                by=self.by.value,
                language=self.language.value or None,
                path=self.path.value.strip() or None,
                kind=self.kind.value or None,
            )
        except Exception as error:  # every failure, not just ours: a callback has no traceback
            self.show_status(one_line(error), error=True)
            return
        self.last = results
        if results.empty:
            unmatched = f": {results.filter_note}" if results.filter_note else ""
            self.show_status(f"no results for {query!r} in project {self.project.value}{unmatched}")
            return
        seconds = time.perf_counter() - started
        self.show_status(
            f"{len(results)} results for {query!r} ({self.mode.value}, {seconds:.2f} s)"
        )
        project = self.workspace.get(self.project.value)
        self.views = [ResultView(row, self.preview_lines, project) for _, row in results.iterrows()]
        self.results.children = tuple(view.widget for view in self.views)


def ui(
    project: Project | str | None = None,
    workspace: Workspace | None = None,
    *,
    limit: int = DEFAULT_LIMIT,
    mode: str = DEFAULT_MODE,
) -> Any:
    """The search panel (an ipywidgets VBox) on ``project``, else the current project."""
    panel = SearchPanel(project, workspace, limit=limit, mode=mode)
    panel.widget.panel = panel  # reachable from the widget, for code that drives it
    return panel.widget
