"""One search hit in the panel: a path:lines header that toggles a highlighted snippet.

Folded, a hit shows the start of its best-matching part; unfolded, the whole definition
(all of its parts).
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from codelens._notebook.widget_util import classed
from codelens._search.by_file import file_note
from codelens._search.place import first_line, grouped_note, match_text, place

__all__ = ["PREVIEW_LINES", "ResultView", "snippet"]

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

    def __init__(self, row: Any, preview_lines: int) -> None:
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
        top = w.HBox([self.header, self.meta])
        self.widget = classed(w.VBox([top, self.body]), "cl-result")

    def toggle(self, _: Any = None) -> None:
        self.expanded = not self.expanded
        self.body.value = snippet(self.row, None if self.expanded else self.preview_lines)
        self.header.icon = "chevron-down" if self.expanded else "chevron-right"
