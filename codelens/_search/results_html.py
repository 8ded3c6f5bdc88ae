"""The notebook view of search results: a header per hit and a highlighted snippet."""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name, get_lexer_for_filename
from pygments.util import ClassNotFound

from codelens._search.by_file import file_note
from codelens._search.links import file_href
from codelens._search.place import grouped_note, line_offset, match_text, place

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["results_html"]

_SNIPPET_LINES = 15
_WHOLE_LINES = 400


@lru_cache(maxsize=64)
def _lexer(language: str, path: str) -> Lexer:
    try:
        return get_lexer_by_name(language)
    except ClassNotFound:
        pass
    try:
        lexer: Lexer = get_lexer_for_filename(path)
    except ClassNotFound:
        lexer = TextLexer()
    return lexer


def _highlighted(text: str, start: int, row: pd.Series[Any]) -> str:
    lines = text.splitlines()
    more = len(lines) - _SNIPPET_LINES
    # Inline styles: the view must survive notebook sanitisers that drop <style> blocks.
    formatter = HtmlFormatter(noclasses=True, nowrap=False, linenos="inline", linenostart=start)
    lexer = _lexer(str(row.get("language") or ""), str(row["path"]))
    body = highlight("\n".join(lines[:_SNIPPET_LINES]), lexer, formatter)
    if more > 0:
        body += f'<div style="color:#888;font-size:85%">… {more} more lines</div>'
    return body


def _snippet(row: pd.Series[Any]) -> str:
    """The matching part; for a definition in parts, the whole of it below, folded."""
    parts = int(row.get("parts", 1) or 1)
    offset = line_offset(row)  # lines within the cell, for a notebook
    if parts <= 1:
        return _highlighted(str(row["content"]), int(row["start_line"]) + offset, row)
    body = _highlighted(match_text(row), int(row["match_start_line"]) + offset, row)
    lines = str(row["content"]).splitlines()
    # The whole definition, up to _WHOLE_LINES: a stretch of module code can be long.
    top = int(row["start_line"]) + offset
    whole = HtmlFormatter(noclasses=True, linenos="inline", linenostart=top)
    lexer = _lexer(str(row.get("language") or ""), str(row["path"]))
    text = highlight("\n".join(lines[:_WHOLE_LINES]), lexer, whole)
    if len(lines) > _WHOLE_LINES:
        text += (
            f'<div style="color:#888;font-size:85%">… {len(lines) - _WHOLE_LINES} more lines</div>'
        )
    summary = html.escape(
        f"whole definition: lines {top}-{int(row['end_line']) + offset}, {parts} parts"
    )
    return (
        f'{body}<details class="cl-whole"><summary style="color:#666;cursor:pointer">'
        f"{summary}</summary>{text}</details>"
    )


def _header(row: pd.Series[Any], position: int, roots: Mapping[str, str], base: str) -> str:
    rank = row.get("rank", position)
    where = f"<code>{html.escape(place(row))}</code>"
    href = file_href(roots.get(str(row.get("repository"))), str(row["path"]), base)
    if href is not None:
        title = html.escape(f"open {row['path']}")
        where = f'<a href="{html.escape(href)}" title="{title}">{where}</a>'
    bits = [f"<b>{rank}.</b> {where}"]
    if row.get("symbol"):
        bits.append(f"<b>{html.escape(str(row['symbol']))}</b>")
    if grouped_note(row):
        bits.append(f'<span style="color:#666">{html.escape(grouped_note(row).strip())}</span>')
    if file_note(row):
        bits.append(f'<span style="color:#666">{html.escape(file_note(row).strip())}</span>')
    meta = [str(row[c]) for c in ("kind", "language", "repository") if row.get(c)]
    if "score" in row:
        meta.append(f"score {row['score']:.4g}")
    for name, col in (("semantic", "semantic_rank"), ("lexical", "lexical_rank")):
        if col in row and row[col] is not None and str(row[col]) != "<NA>":
            meta.append(f"{name} #{row[col]}")
    bits.append(f'<span style="color:#666">{html.escape(" · ".join(meta))}</span>')
    return '<div style="margin-top:0.8em">' + " ".join(bits) + "</div>"


def results_html(
    results: pd.DataFrame,
    title: str,
    limit: int,
    note: str | None = None,
    *,
    roots: Mapping[str, str] | None = None,
    base: str | None = None,
) -> str:
    """Headers and snippets of the first ``limit`` hits. With ``roots`` (repository name ->
    root folder), a header links to its file when the file is below ``base`` (default: the
    working directory, which in a notebook is the notebook's folder): see ``links``."""
    shown = results.head(limit)
    here = base if base is not None else os.getcwd()
    parts = [f'<div class="codelens-results"><div><b>{html.escape(title)}</b></div>']
    for position, (_, row) in enumerate(shown.iterrows(), start=1):
        parts.append(_header(row, position, roots or {}, here))
        parts.append(_snippet(row))
    footer = f"showing {len(shown)} of {len(results)}"
    parts.append(f'<div style="color:#666;margin-top:0.5em">{footer}</div>')
    if note:
        parts.append(f'<div class="cl-coverage" style="color:#a60">{html.escape(note)}</div>')
    parts.append("</div>")
    return "".join(parts)
