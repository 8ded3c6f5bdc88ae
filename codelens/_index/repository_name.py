"""A repository's name in its project: what its results, reports, filters and commands
call it.

By default the folder's name (``payments``, then ``payments-2`` for a second folder of
that name); ``name=`` (``--name``) chooses it, and a later run with another name renames
the repository. A name is one line of text, at most ``MAX_NAME`` characters, surrounding
blanks not part of it; an empty one, a line break or the name of another repository of
the project is refused in one line, where it used to go through (a repository no filter could name)
or fail with PostgreSQL's unique-violation text.
"""

from __future__ import annotations

from codelens._unicode import check_unicode
from codelens.errors import IndexingError

__all__ = ["MAX_NAME", "check_repository_name", "name_taken"]

MAX_NAME = 200


def check_repository_name(name: object) -> str | None:
    """``name`` as a repository's name (stripped), None for the default; or IndexingError."""
    if name is None:
        return None
    if not isinstance(name, str):
        raise IndexingError(f"repository name must be a string, not {type(name).__name__}")
    check_unicode("repository name", name, IndexingError)
    clean = name.strip()
    if not clean:
        raise IndexingError("repository name is empty: give a name such as 'payments'")
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in clean):
        raise IndexingError(
            f"repository name {clean!r} holds a control character: give one line of text"
        )
    if len(clean) > MAX_NAME:
        raise IndexingError(f"repository name is {len(clean)} characters long: at most {MAX_NAME}")
    return clean


def name_taken(project_id: str, name: str, root: str) -> IndexingError:
    """``name`` is the name of the project's repository at ``root``."""
    return IndexingError(
        f"repository name {name!r} is taken in project {project_id!r} by {root}: choose another"
        " name"
    )
