"""Symbol answers in the notebook: each place with its file link and the lines around it.

``%codelens def|refs|callers|callees`` return :class:`SymbolPlaces`, the core's DataFrame
(one row per place) that a notebook shows the way it shows search hits: a header per
place (``path:line:column``, linked to the file when it is below the notebook's folder)
and a highlighted snippet of the lines around it, the place's line marked. The snippet
is cut from the indexed chunk that holds the line, so it shows what the index saw.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from codelens._search.links import file_href

if TYPE_CHECKING:
    from codelens._project import Project

__all__ = ["CONTEXT_LINES", "Snippet", "SymbolPlaces", "place_html", "places", "snippets"]

CONTEXT_LINES = 2  # lines shown above and below a place


@dataclass(frozen=True, slots=True)
class Snippet:
    """The lines around one place, numbered as its reader counts them."""

    first: int  # the number of the first line shown (within the cell for a notebook)
    text: str
    marked: int  # 1-based position of the place's line among those shown
    language: str | None
    cell: int | None  # a notebook's cell, as JupyterLab numbers it


# A place's key: (repository id, path, line).
Key = tuple[int, str, int]

_CHUNKS = (
    "SELECT repository_id, path, start_line, end_line, content, language, cell_number,"
    " cell_start_line FROM chunks"
    " WHERE (repository_id, path) IN (SELECT * FROM unnest(%s::int8[], %s::text[]))"
    " AND cell_kind IS DISTINCT FROM 'output'"
)


def snippets(project: Project, frame: pd.DataFrame) -> dict[Key, Snippet]:
    """The snippet of every place in ``frame`` that an indexed chunk holds, in one query."""
    if frame.empty:
        return {}
    wanted = {(int(r), str(p), int(n)) for r, p, n in zip(*_key_columns(frame), strict=True)}
    files = sorted({(r, p) for r, p, _ in wanted})
    with project.connection() as conn:
        rows = conn.execute(_CHUNKS, [[r for r, _ in files], [p for _, p in files]]).fetchall()
    by_file: dict[tuple[int, str], list[tuple[Any, ...]]] = {}
    for row in rows:
        by_file.setdefault((int(row[0]), str(row[1])), []).append(row)
    found: dict[Key, Snippet] = {}
    for key in wanted:
        chunks = by_file.get(key[:2], [])
        holding = [c for c in chunks if c[2] <= key[2] <= c[3]]
        if holding:
            # The narrowest chunk names the language and the cell; the lines around come
            # from every chunk of that cell (or file), so the context crosses chunk edges.
            best = min(holding, key=lambda c: c[3] - c[2])
            found[key] = _cut(best, [c for c in chunks if c[6] == best[6]], key[2])
    return found


def _key_columns(frame: pd.DataFrame) -> tuple[Any, Any, Any]:
    return frame["repository"], frame["path"], frame["line"]


def _cut(best: tuple[Any, ...], chunks: list[tuple[Any, ...]], line: int) -> Snippet:
    text: dict[int, str] = {}
    for chunk in chunks:
        for number, body in enumerate(str(chunk[4]).split("\n"), start=int(chunk[2])):
            text.setdefault(number, body)
    low = line
    while low > line - CONTEXT_LINES and low - 1 in text:
        low -= 1
    high = line
    while high < line + CONTEXT_LINES and high + 1 in text:
        high += 1
    _, _, start, _, _, language, cell, cell_start = best
    offset = int(cell_start) - int(start) if cell_start is not None else 0
    return Snippet(
        first=low + offset,
        text="\n".join(text[n] for n in range(low, high + 1)),
        marked=line - low + 1,
        language=language,
        cell=int(cell) if cell is not None else None,
    )


def _where(row: Any, snippet: Snippet | None) -> str:
    if snippet is not None and snippet.cell is not None:
        line = int(row["line"]) + snippet.first - _line_of_first(row, snippet)
        return f"{row['path']} · cell {snippet.cell} · line {line}"
    return f"{row['path']}:{row['line']}:{row['column']}"


def _line_of_first(row: Any, snippet: Snippet) -> int:
    # The file's own number of the snippet's first line.
    return int(row["line"]) - snippet.marked + 1


def _highlighted(snippet: Snippet) -> str:
    try:
        lexer = get_lexer_by_name(snippet.language or "text")
    except ClassNotFound:
        lexer = TextLexer()
    # Inline styles, as notebook sanitisers may drop <style>; hl_lines counts from 1.
    formatter = HtmlFormatter(
        noclasses=True,
        linenos="inline",
        linenostart=snippet.first,
        hl_lines=[snippet.marked],
    )
    return highlight(snippet.text, lexer, formatter)


def place_html(
    row: Any,
    position: int,
    snippet: Snippet | None,
    roots: Mapping[int, str],
    base: str | None = None,
) -> str:
    """One place: its header (linked to its file when below ``base``) and its snippet."""
    where = f"<code>{html.escape(_where(row, snippet))}</code>"
    href = file_href(roots.get(int(row["repository"])), str(row["path"]), base)
    if href is not None:
        title = html.escape(f"open {row['path']}")
        where = f'<a href="{html.escape(href)}" title="{title}">{where}</a>'
    bits = [f"<b>{position}.</b> {where}", f"<b>{html.escape(str(row['symbol']))}</b>"]
    if row["definition"]:
        bits.append(f"in <code>{html.escape(str(row['definition']))}</code>")
    meta = [str(row[c]) for c in ("kind", "resolution", "language") if row[c]]
    if int(row["depth"]) > 1:
        meta.append(f"depth {row['depth']}")
    bits.append(f'<span style="color:#666">{html.escape(" · ".join(meta))}</span>')
    header = '<div class="cl-place" style="margin-top:0.8em">' + " ".join(bits) + "</div>"
    if snippet is None:
        return header + '<div style="color:#888">(not in the index)</div>'
    return header + _highlighted(snippet)


class SymbolPlaces(pd.DataFrame):
    """A symbol question's answer: the core's DataFrame (one row per place; see
    :meth:`codelens.Project.references` for the columns), shown in a notebook as a header
    and a snippet per place. ``attrs`` holds ``title``, ``snippets`` (by repository id,
    path and line) and ``roots`` (repository id -> root folder, for links to files)."""

    _metadata: ClassVar[list[str]] = ["display_limit"]
    display_limit: int = 20

    @property
    def _constructor(self) -> type[SymbolPlaces]:
        return SymbolPlaces

    def _repr_html_(self) -> str | None:
        found: Mapping[Key, Snippet] = self.attrs.get("snippets", {})
        roots: Mapping[int, str] = self.attrs.get("roots", {})
        here = os.getcwd()
        shown = self.head(self.display_limit)
        title = html.escape(str(self.attrs.get("title", f"{len(self)} places")))
        parts = [f'<div class="codelens-places"><div><b>{title}</b></div>']
        for position, (_, row) in enumerate(shown.iterrows(), start=1):
            key = (int(row["repository"]), str(row["path"]), int(row["line"]))
            parts.append(place_html(row, position, found.get(key), roots, here))
        if len(self):
            footer = f"showing {len(shown)} of {len(self)}"
            parts.append(f'<div style="color:#666;margin-top:0.5em">{footer}</div>')
        parts.append("</div>")
        return "".join(parts)


def places(project: Project, frame: pd.DataFrame, title: str) -> SymbolPlaces:
    """``frame`` (a symbol answer of ``project``) ready for the notebook."""
    result = SymbolPlaces(frame)
    roots = project.repositories()
    result.attrs.update(
        title=title,
        snippets=snippets(project, frame),
        roots={int(i): str(p) for i, p in zip(roots["id"], roots["root_path"], strict=True)},
    )
    return result
