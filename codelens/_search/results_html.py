"""The notebook view of search results: a header per hit and a highlighted snippet."""

from __future__ import annotations

import html
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name, get_lexer_for_filename
from pygments.util import ClassNotFound

from codelens._search.place import first_line, place

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["results_html"]

_SNIPPET_LINES = 15


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


def _snippet(row: pd.Series[Any]) -> str:
    lines = str(row["content"]).splitlines()
    more = len(lines) - _SNIPPET_LINES
    text = "\n".join(lines[:_SNIPPET_LINES])
    # Inline styles: the view must survive notebook sanitisers that drop <style> blocks.
    formatter = HtmlFormatter(
        noclasses=True, nowrap=False, linenos="inline", linenostart=first_line(row)
    )
    lexer = _lexer(str(row.get("language") or ""), str(row["path"]))
    body = highlight(text, lexer, formatter)
    if more > 0:
        body += f'<div style="color:#888;font-size:85%">… {more} more lines</div>'
    return body


def _header(row: pd.Series[Any], position: int) -> str:
    rank = row.get("rank", position)
    where = html.escape(place(row))
    bits = [f"<b>{rank}.</b> <code>{where}</code>"]
    if row.get("symbol"):
        bits.append(f"<b>{html.escape(str(row['symbol']))}</b>")
    meta = [str(row[c]) for c in ("kind", "language", "repository") if row.get(c)]
    if "score" in row:
        meta.append(f"score {row['score']:.4g}")
    for name, col in (("semantic", "semantic_rank"), ("lexical", "lexical_rank")):
        if col in row and row[col] is not None and str(row[col]) != "<NA>":
            meta.append(f"{name} #{row[col]}")
    bits.append(f'<span style="color:#666">{html.escape(" · ".join(meta))}</span>')
    return '<div style="margin-top:0.8em">' + " ".join(bits) + "</div>"


def results_html(results: pd.DataFrame, title: str, limit: int, note: str | None = None) -> str:
    shown = results.head(limit)
    parts = [f'<div class="codelens-results"><div><b>{html.escape(title)}</b></div>']
    for position, (_, row) in enumerate(shown.iterrows(), start=1):
        parts.append(_header(row, position))
        parts.append(_snippet(row))
    footer = f"showing {len(shown)} of {len(results)}"
    parts.append(f'<div style="color:#666;margin-top:0.5em">{footer}</div>')
    if note:
        parts.append(f'<div class="cl-coverage" style="color:#a60">{html.escape(note)}</div>')
    parts.append("</div>")
    return "".join(parts)
