"""Which filter of a search that found nothing matches nothing in the project on its own.

A typo in a filter (``language="pyhton"``, a repository's old name, ``path="scr"``) used
to look like a question with no answer. When a filtered search returns no result, each
filter is checked alone, in the order below, and the first that no chunk passes is named
in one line with what the project has instead (its languages, repositories or kinds).
When every filter matches something alone, none is named: the combination, or the query,
found nothing. Only searches that come back empty pay for the check.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from psycopg import sql

from codelens._search.category import CATEGORIES
from codelens._search.filters import Filters

if TYPE_CHECKING:
    from codelens._db.pool import Connection

__all__ = ["listed", "unmatched_filter"]

# Values listed after the message, at most; the rest are counted.
_LISTED = 12

# (filter, the statement listing what the project has instead, or None for no list)
_CHECKS: tuple[tuple[str, str | None], ...] = (
    ("repository", "SELECT DISTINCT name FROM repositories ORDER BY 1"),
    ("language", "SELECT DISTINCT language FROM chunks WHERE language IS NOT NULL ORDER BY 1"),
    ("file_type", None),
    ("path", None),
    ("kind", "SELECT DISTINCT kind FROM chunks WHERE kind IS NOT NULL ORDER BY 1"),
)
_PLURALS = {"repository": "repositories", "language": "languages", "kind": "kinds"}


def listed(values: Sequence[str], *, at_most: int = _LISTED, none: str = "none") -> str:
    """``values`` for a one-line note: the first ``at_most`` joined, the rest counted."""
    shown = ", ".join(values[:at_most]) or none
    if len(values) > at_most:
        shown += f" and {len(values) - at_most} more"
    return shown


def unmatched_filter(conn: Connection, filters: Filters) -> str | None:
    """The one-line note naming the first of ``filters`` that no chunk passes alone (see
    the module docstring), or None."""
    for name, listing in _CHECKS:
        value = getattr(filters, name)
        if value is None:
            continue
        where, params = Filters(**{name: value}).where()
        found = conn.execute(
            sql.SQL("SELECT EXISTS (SELECT FROM chunks c WHERE {})").format(where), params
        ).fetchone()
        if found is not None and found[0]:
            continue
        if listing is None:
            return f"{name} filter {value!r} matches no file of this project"
        if name == "kind" and value in CATEGORIES:
            return f"kind filter {value!r} matches no chunk of this project: it has no {value}"
        values = [str(r[0]) for r in conn.execute(listing).fetchall()]
        if name == "repository" and value in values:
            return f"repository filter {value!r} matches no chunk of this project: it has none yet"
        shown = listed(values)
        what = "names no repository" if name == "repository" else "matches no chunk"
        return f"{name} filter {value!r} {what} of this project (its {_PLURALS[name]}: {shown})"
    return None
