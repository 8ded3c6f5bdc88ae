"""One search hit in the panel: a path:lines header that toggles a highlighted snippet.

Folded, a hit shows the start of its best-matching part; unfolded, the whole definition
(all of its parts). A hit whose definition is called shows how many places call it (the
``callers`` search gives) on a button that unfolds them, fetched when first asked for.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as w
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from codelens._notebook.places import place_html, snippets
from codelens._notebook.widget_util import classed, one_line, set_status
from codelens._search.by_file import file_note
from codelens._search.place import first_line, grouped_note, match_text, place

if TYPE_CHECKING:
    from codelens._project import Project

__all__ = ["PREVIEW_LINES", "ResultView", "callers_html", "snippet"]

PREVIEW_LINES = 12


def snippet(row: Any, lines: int | None) -> str:
    """Highlighted HTML of a result: with ``lines``, that many lines of its matching part;
    with None, the whole definition."""
    # Line numbers as the reader counts them: within the cell for a notebook.
    offset = first_line(row) - int(row["start_line"])
    if lines is None:
        body, first = str(row["content"]).splitlines(), int(row["start_line"]) + offset
    else:
        body, first = match_text(row).splitlines(), int(row["match_start_line"]) + offset
    shown = body if lines is None else body[:lines]
    try:
        lexer = get_lexer_by_name(str(row["language"] or "text"))
    except ClassNotFound:
        lexer = TextLexer()
    # Inline styles, as notebook sanitisers may drop <style>; the "highlight" class stays.
    formatter = HtmlFormatter(noclasses=True, linenos="inline", linenostart=first)
    text = highlight("\n".join(shown), lexer, formatter)
    hidden = len(str(row["content"]).splitlines()) - len(shown)
    if lines is not None and hidden > 0:
        lines_word = "line" if hidden == 1 else "lines"
        text += (
            f'<div class="cl-more" style="color:#888">… {hidden} more {lines_word}:'
            " click the header</div>"
        )
    return text


class ResultView:
    """One hit: a header button (path:lines symbol) that toggles the whole definition below it."""

    def __init__(self, row: Any, preview_lines: int, project: Project | None = None) -> None:
        self.row = row
        self.preview_lines = preview_lines
        self.expanded = False
        where = f"{row['rank']}. {place(row)}"
        title = f"{where}  {row['symbol']}" if row["symbol"] else where
        title += grouped_note(row) + file_note(row)
        self.header = classed(
            w.Button(description=title, icon="chevron-right", tooltip="show the whole definition"),
            "cl-result-header",
        )
        self.header.layout = w.Layout(width="auto", max_width="70%")
        meta = [str(row[c]) for c in ("kind", "language", "repository") if row[c]]
        meta.append(f"score {row['score']:.4g}")
        self.meta = classed(w.HTML(html.escape(" · ".join(meta))), "cl-result-meta")
        self.body = classed(w.HTML(snippet(row, preview_lines)), "cl-snippet")
        self.header.on_click(self.toggle)
        top = [self.header, self.meta]
        self.project = project
        self.callers_button: Any = None
        self.callers = classed(w.VBox(), "cl-callers-list")
        count = row.get("callers")
        if project is not None and count is not None and row["symbol"]:
            # The count search gave; the places themselves only when asked for.
            word = "caller" if int(count) == 1 else "callers"
            self.callers_button = classed(
                w.Button(
                    description=f"{int(count)} {word}",
                    icon="chevron-right",
                    tooltip="show the places that call it",
                    disabled=int(count) == 0,
                ),
                "cl-callers",
            )
            self.callers_button.layout = w.Layout(width="auto")
            self.callers_button.on_click(self.toggle_callers)
            top.append(self.callers_button)
        self.widget = classed(w.VBox([w.HBox(top), self.body, self.callers]), "cl-result")

    def toggle(self, _: Any = None) -> None:
        self.expanded = not self.expanded
        self.body.value = snippet(self.row, None if self.expanded else self.preview_lines)
        self.header.icon = "chevron-down" if self.expanded else "chevron-right"

    def toggle_callers(self, _: Any = None) -> None:
        """Unfold the places that call this hit's definition (fetched then), or fold them."""
        if self.callers.children:
            self.callers.children = ()
            self.callers_button.icon = "chevron-right"
            return
        self.callers_button.icon = "chevron-down"
        label = classed(w.HTML(), "cl-callers-places")
        try:
            assert self.project is not None
            label.value = callers_html(self.project, self.row)
        except Exception as error:  # every failure: a callback has no traceback to show
            set_status(label, one_line(error), error=True)
        self.callers.children = (label,)


def callers_html(project: Project, row: Any) -> str:
    """The calls of the definition in search hit ``row``: only those of this definition
    (same path), where another of the same name lives elsewhere."""
    found = project.callers(str(row["symbol"]))
    found = found[found["target_path"] == row["path"]]
    roots = project.repositories()
    links = {int(i): str(p) for i, p in zip(roots["id"], roots["root_path"], strict=True)}
    places = snippets(project, found)
    parts = [
        place_html(r, n, places.get((int(r["repository"]), str(r["path"]), int(r["line"]))), links)
        for n, (_, r) in enumerate(found.iterrows(), start=1)
    ]
    return "".join(parts) or '<div style="color:#888">no calls found now</div>'
