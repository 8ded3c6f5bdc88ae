"""One repository dropped from a project: its files, chunks, vectors, symbols and history.

A project kept every repository it had indexed: a folder that moved, or one indexed into
the wrong project, stayed in every search, and re-indexing the project (every repository
from its recorded root) stopped at its missing folder. Dropping it is one transaction that
deletes the repository's row, and with it (``ON DELETE CASCADE``) its files, their chunks
and vectors, the files' vectors, its symbols and references, its index runs and change
events. It holds the project alone, as a forced run does: no index run and no embedding
pass writes the project meanwhile (``ProjectBusy`` names the one that does, or ``wait``
queues behind it). Readers that cached the symbol table see its generation move.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from codelens._index.drop_hint import drop_hint
from codelens._index.lock import index_lock
from codelens._index.store import bump_symbols_generation
from codelens.errors import CodelensError, IndexingError

if TYPE_CHECKING:
    from codelens._db.handle import ProjectHandle

__all__ = [
    "DROP_REPO_HELP",
    "DroppedRepository",
    "drop_repository",
    "no_repository",
    "repository_drop_question",
    "repository_gone",
    "repository_not_dropped",
]


DROP_REPO_HELP = (
    "drop only this repository (its name in the project's repositories) and what is"
    " indexed of it, keeping the project"
)


@dataclass(frozen=True, slots=True)
class DroppedRepository:
    """What :func:`drop_repository` deleted."""

    project: str
    name: str
    root_path: str
    files: int
    chunks: int

    def __str__(self) -> str:
        return (
            f"dropped repository {self.name!r} ({self.root_path}: {self.files} files,"
            f" {self.chunks} chunks) from project {self.project!r}"
        )


def drop_repository(project: ProjectHandle, name: str, *, wait: bool = False) -> DroppedRepository:
    """Delete repository ``name`` and everything indexed of it from ``project``."""
    with index_lock(project, wait=wait, exclusive=True), project.connection() as conn:
        with conn.transaction():
            row = conn.execute(
                "SELECT r.id, r.root_path,"
                " (SELECT count(*) FROM files f WHERE f.repository_id = r.id),"
                " (SELECT count(*) FROM chunks c WHERE c.repository_id = r.id)"
                " FROM repositories r WHERE r.name = %s",
                [name],
            ).fetchone()
            if row is None:
                names = [
                    str(r[0]) for r in conn.execute("SELECT name FROM repositories ORDER BY 1")
                ]
                raise no_repository(project.id, name, names)
            conn.execute("DELETE FROM repositories WHERE id = %s", [row[0]])
        bump_symbols_generation(conn)
        conn.commit()
    return DroppedRepository(project.id, name, str(row[1]), int(row[2]), int(row[3]))


def no_repository(project_id: str, name: str, names: list[str]) -> IndexingError:
    """``name`` is none of the project's repositories, ``names``."""
    return IndexingError(
        f"project {project_id!r} has no repository {name!r}"
        f" (its repositories: {', '.join(names) or 'none'})"
    )


def repository_drop_question(project_id: str, name: str) -> str:
    """What every front end asks before a repository is dropped from a project."""
    return f"Drop repository {name!r} and everything indexed of it from project {project_id!r}?"


def repository_not_dropped(project_id: str, name: str, fix: str) -> CodelensError:
    """The refusal when the question was not answered yes, with the front end's own fix."""
    return CodelensError(f"repository {name!r} of project {project_id!r} was not dropped: {fix}")


def repository_gone(project_id: str, name: str, root: str) -> IndexingError:
    """A re-index of every repository that finds one's folder gone, with the two ways out."""
    return IndexingError(
        f"repository {name!r} of project {project_id!r} has no folder at {root} on this"
        f" machine: put it back, or drop the repository ({drop_hint(project_id, name)})"
    )
