"""The folder an index run (or its dry run) reads: a path given by a user, or one checked before."""

from __future__ import annotations

import os
from pathlib import Path

from codelens._scan.nofollow import CheckedFolder, reopen
from codelens.errors import IndexingError

__all__ = ["index_target"]


def index_target(path: str | os.PathLike[str]) -> tuple[Path, Path | CheckedFolder]:
    """The repository's root as recorded, and what to scan: the resolved folder, or the
    :class:`CheckedFolder` itself when the caller checked it (the MCP server's roots)."""
    if isinstance(path, CheckedFolder):
        # Index that very folder, never what its path may lead to now: it is not resolved
        # again but recognised.
        os.close(reopen(path))
        return Path(path.path), path
    given = Path(path).expanduser()
    if not given.is_dir():
        what = "is not a folder" if given.exists() else "does not exist"
        raise IndexingError(f"{str(given)!r} {what}: pass the folder of a repository to index")
    root = given.resolve()
    return root, root
