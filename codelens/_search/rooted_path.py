"""A path filter given as an absolute folder, file or glob, read under its repository's root.

Stored paths are relative to their repository's root, so a filter such as
``~/src/payments/billing`` or ``/home/ana/src/payments/**/*.py`` (what an editor, a shell's
completion or an agent holding the workspace's folder knows; MCP's ``directory``) matched
nothing. When such a path lies under one of the project's repository roots (the deepest
one, where roots nest), the filter becomes the path under that root and the repository
filter that root's repository; the root itself selects the whole repository. The path is
compared as given and with its symbolic links resolved, since roots are stored resolved.
A path outside every root, or in another repository than the repository filter names, is
a one-line error that says what to pass instead.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING

from codelens._search.unmatched import listed
from codelens.errors import SearchError

if TYPE_CHECKING:
    from codelens._db.pool import Connection
    from codelens._search.filters import Filters

__all__ = ["rooted"]

# Roots named in the error, at most; the rest are counted.
_LISTED = 5


def rooted(conn: Connection, filters: Filters) -> Filters:
    """``filters`` with an absolute path filter read under its repository's root (see the
    module docstring); other filters are returned as they are, without a statement."""
    path = filters.path
    if path is None or not filters.absolute_path:
        return filters
    roots = [
        (str(name), str(root))
        for name, root in conn.execute(
            "SELECT name, root_path FROM repositories ORDER BY length(root_path) DESC, name"
        ).fetchall()
    ]
    for candidate in dict.fromkeys((path, os.path.realpath(path))):
        for name, root in roots:
            base = root.rstrip("/")
            if candidate != base and not candidate.startswith(base + "/"):
                continue
            if filters.repository is not None and filters.repository != name:
                raise SearchError(
                    f"path filter {path!r} lies in repository {name!r}, not"
                    f" {filters.repository!r}: drop one of the two filters"
                )
            return replace(filters, path=candidate[len(base) + 1 :] or None, repository=name)
    shown = listed(sorted(root for _, root in roots), at_most=_LISTED, none="none yet")
    raise SearchError(
        f"path filter {path!r} lies outside this project's repositories ({shown}): give a"
        " folder inside one of them, or a path relative to its root such as 'src/billing'"
    )
