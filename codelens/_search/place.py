"""Where a hit is, in the words its reader uses: ``path:3-12`` for a file, and for a
notebook ``analysis.ipynb · cell 7 [5] · lines 3-12`` (the cell as JupyterLab numbers it,
its execution count as JupyterLab shows it, and the lines within the cell).

One function for every front end (DataFrame listing, notebook view, panel, CLI, MCP), so
that a hit reads the same wherever it is shown.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

__all__ = ["CELL_COLUMNS", "first_line", "grouped_note", "line_offset", "match_text", "place"]

# A notebook hit's cell, in the search results and the MCP tool's hits (None/<NA> elsewhere).
CELL_COLUMNS = ("cell_number", "cell_kind", "execution_count", "cell_start_line", "cell_end_line")


class Row(Protocol):
    """A search result row: a pandas Series, or a dict from ``to_dict(orient="records")``."""

    def __getitem__(self, key: str, /) -> Any: ...

    def get(self, key: str, default: Any = None, /) -> Any: ...


# C0 and C1 control characters and DEL: a file name may hold any of them but NUL.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _shown(path: str) -> str:
    """``path`` on one line: each control character (a newline in a file name) written as
    its Python escape, every other character, accented or not, as it is."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], path)


def _number(value: Any) -> int | None:
    # A missing value arrives as None, NaN or pandas.NA depending on the column's dtype.
    try:
        return int(value) if value is not None and value == value else None
    except (TypeError, ValueError):
        return None


def place(row: Row) -> str:
    """The place of the hit in ``row`` (a search result row, or any mapping with its columns)."""
    path = _shown(str(row["path"]))
    cell = _number(row.get("cell_number"))
    if cell is None:
        return f"{path}:{row['start_line']}-{row['end_line']}"
    first = first_line(row)
    last = _number(row.get("cell_end_line")) or first
    where = f"cell {cell}"
    count = _number(row.get("execution_count"))
    if count is not None:
        where += f" [{count}]"
    if row.get("cell_kind") == "output":
        where += " output"
    lines = f"line {first}" if first == last else f"lines {first}-{last}"
    return f"{path} · {where} · {lines}"


def first_line(row: Row) -> int:
    """The number a snippet's first line shows: within the cell for a notebook."""
    return _number(row.get("cell_start_line")) or int(row["start_line"])


def line_offset(row: Row) -> int:
    """What turns a line of the file into the line its reader sees: 0 for a file, and for a
    notebook minus the lines of the cells before this one."""
    return first_line(row) - int(row["start_line"])


def match_text(row: Any) -> str:
    """The lines of ``row``'s best-matching part (all of ``content`` for a whole definition)."""
    content = str(row["content"])
    if "match_start_line" not in row or int(row.get("parts", 1)) <= 1:
        return content
    top = int(row["start_line"])
    lines = content.split("\n")
    return "\n".join(
        lines[int(row["match_start_line"]) - top : int(row["match_end_line"]) - top + 1]
    )


def grouped_note(row: Any) -> str:
    """ " (match 40-62 of 4 parts)" for a definition in parts, else ""."""
    parts = _number(row.get("parts"))
    if parts is None or parts <= 1:
        return ""
    offset = line_offset(row)  # lines within the cell, for a notebook
    start, end = int(row["match_start_line"]) + offset, int(row["match_end_line"]) + offset
    return f" (match {start}-{end} of {parts} parts)"
