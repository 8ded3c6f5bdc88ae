"""A folder inside a repository of the project, or around one, is not a repository of it.

Indexing a folder of an indexed repository (to refresh just that part) would make a second
repository of the same files, and every result of them would come twice; a folder around
one would do the same the other way. Both are refused before anything is written.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from codelens._index.drop_hint import drop_hint
from codelens.errors import IndexingError

if TYPE_CHECKING:
    from psycopg import Connection

__all__ = ["check_not_nested"]


def check_not_nested(conn: Connection, project_id: str, root: str) -> None:
    """Raise :class:`IndexingError` if ``root`` (a new repository's folder: no repository
    of the project has it yet) lies inside the folder of one of them, or holds one."""
    folder = PurePosixPath(root)
    for name, other in conn.execute("SELECT name, root_path FROM repositories ORDER BY name"):
        known = PurePosixPath(other)
        if folder.is_relative_to(known):
            below = folder.relative_to(known).as_posix()
            raise IndexingError(
                f"{root} lies inside repository {name!r} of project {project_id!r} ({other}),"
                f" which indexes its files already: index {other} again (unchanged files take"
                f" no time) and search the folder with a path filter ({below!r}), or drop"
                f" repository {name!r} first ({drop_hint(project_id, name)})"
            )
        if known.is_relative_to(folder):
            raise IndexingError(
                f"{root} holds repository {name!r} of project {project_id!r} ({other}): its"
                f" files would be indexed twice; index {root} into another project, or drop"
                f" repository {name!r} first ({drop_hint(project_id, name)})"
            )
