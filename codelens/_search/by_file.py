"""Files as results: the ranked definitions regrouped so that each file is one row.

A question about behaviour or architecture is often answered by a file rather than one
definition. ``search(..., by="file")`` ranks more definitions than it returns
(``FILE_SPREAD`` per file asked for), then keeps each file's first, best-ranked result as
its row, in that order, and lists every result of the file under it in ``definitions``
(``(symbol, start_line, end_line)``, best first; the row's own first) with their count in
``file_results``. Every other column is the best result's, so each front end shows a file
row as it shows a result, with its other definitions named under the header.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from codelens._search.modes import BY
from codelens.errors import SearchError

if TYPE_CHECKING:
    from codelens._search.results import SearchResults

__all__ = ["FILE_COLUMNS", "FILE_SPREAD", "by_file", "check_by", "file_note"]

FILE_SPREAD = 4
FILE_COLUMNS = ["file_results", "definitions"]
_NOTE_NAMES = 3


def check_by(by: object) -> str:
    """``by`` as given, or a SearchError naming the choices."""
    if by not in BY:
        raise SearchError(f"unknown grouping by={by!r}: use one of {', '.join(BY)}")
    return str(by)


def by_file(results: SearchResults, limit: int) -> SearchResults:
    """The first ``limit`` files of ``results`` (see the module docstring)."""
    keys = list(zip(results["repository"], results["path"], strict=True))
    definitions: dict[tuple[Any, Any], list[tuple[str, int, int]]] = {}
    first: dict[tuple[Any, Any], int] = {}
    for position, (key, symbol, start, end) in enumerate(
        zip(keys, results["symbol"], results["start_line"], results["end_line"], strict=True)
    ):
        first.setdefault(key, position)
        definitions.setdefault(key, []).append((str(symbol), int(start), int(end)))
    rows = sorted(first.values())[:limit]
    files = results.iloc[rows].reset_index(drop=True)
    files["rank"] = np.arange(1, len(files) + 1, dtype=np.int64)
    listed = [definitions[keys[row]] for row in rows]
    files["file_results"] = np.array([len(d) for d in listed], dtype=np.int64)
    column = np.empty(len(listed), dtype=object)
    for i, found in enumerate(listed):
        column[i] = tuple(found)
    files["definitions"] = column
    files.attrs["by"] = "file"
    return files


def file_note(row: Any) -> str:
    """ " (+2 more in this file: Pool.get 40-52, Pool.put 60-71)" for a file row with
    further results, else ""."""
    found = row.get("definitions")
    if not isinstance(found, tuple) or len(found) <= 1:
        return ""
    named = ", ".join(f"{s or 'module code'} {a}-{b}" for s, a, b in found[1 : 1 + _NOTE_NAMES])
    more = len(found) - 1 - _NOTE_NAMES
    return f" (+{len(found) - 1} more in this file: {named}{', ...' if more > 0 else ''})"
