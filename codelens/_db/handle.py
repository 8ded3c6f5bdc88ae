"""The small handle every stage takes: one project's id and schema on one database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from psycopg import errors as pg_errors
from psycopg.rows import dict_row

from codelens._config import Settings
from codelens._db.access import refused_write
from codelens._db.ids import schema_name, validate_project_id
from codelens._db.pool import Connection, Database
from codelens.errors import ProjectNotFound

__all__ = ["HasHandle", "ProjectHandle", "handle_of"]


class ProjectHandle:
    """What a stage needs of a project, and nothing of the facade's conveniences."""

    __slots__ = ("db", "id", "schema")

    def __init__(self, db: Database, project_id: str) -> None:
        self.db = db
        self.id = validate_project_id(project_id)
        self.schema = schema_name(project_id)

    def __repr__(self) -> str:
        return f"<ProjectHandle {self.id!r}>"

    @property
    def settings(self) -> Settings:
        return self.db.settings

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A pooled connection whose search_path is this project's schema alone (plus public)."""
        with self.db.connection(self.schema) as conn:
            try:
                yield conn
            except pg_errors.InsufficientPrivilege as exc:
                refused, role = exc, conn.info.user
            else:
                return
        if not self.exists():
            # Its grant was revoked since this handle was made: as absent as any other.
            raise ProjectNotFound(f"no project {self.id!r}: codelens.projects() lists yours")
        # A role granted reading only: one line, naming the grant it lacks.
        raise refused_write(self.id, role, refused.diag.message_primary or "") from None

    @contextmanager
    def read_connection(self, *, settings_by_caller: bool = False) -> Iterator[Connection]:
        """Like :meth:`connection`, for reads only: on the read replica when there is one.
        ``settings_by_caller``: see :meth:`Database.connection`."""
        with self.db.connection(
            self.schema, read=True, settings_by_caller=settings_by_caller
        ) as conn:
            yield conn

    def registry_row(self) -> dict[str, Any] | None:
        with self.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute("SELECT * FROM codelens.projects WHERE id = %s", [self.id])
            return cur.fetchone()

    def exists(self) -> bool:
        return self.registry_row() is not None

    def info(self) -> dict[str, Any]:
        """The registry row: description, embedder, model and dimensions, settings."""
        row = self.registry_row()
        if row is None:
            raise ProjectNotFound(f"project {self.id!r} was dropped: create it again to use it")
        return row


class HasHandle(Protocol):
    """Anything that carries a project's handle: the facade's Project does."""

    @property
    def handle(self) -> ProjectHandle: ...


def handle_of(project: ProjectHandle | HasHandle) -> ProjectHandle:
    """The handle itself, or the one a Project carries: for public stage classes that users
    may construct with either."""
    return project if isinstance(project, ProjectHandle) else project.handle
