"""A workspace: the registry of projects on one server, and the session's current project."""

from __future__ import annotations

import json
import sys
import threading
from typing import TYPE_CHECKING, Any

import pandas as pd
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg.rows import dict_row

from codelens._config import Settings
from codelens._db.access import check_owner, grant, project_access, revoke
from codelens._db.ids import schema_name, validate_project_id
from codelens._db.migrations import migrate_project
from codelens._db.pool import Database, shown_url
from codelens._embed.registry import resolve_embedder_spec
from codelens._project import Project
from codelens.errors import AccessDenied, CodelensError, ProjectExists, ProjectNotFound

if TYPE_CHECKING:
    from codelens._db.embedded import ServerStatus

__all__ = ["Workspace", "drop_question", "exists_already", "not_dropped"]

_PROJECT_COLUMNS = [
    "id",
    "description",
    "created_at",
    "embedder",
    "embedding_model",
    "embedding_dimensions",
    "repositories",
    "files",
    "chunks",
]


class Workspace:
    """Projects on one PostgreSQL server. Each project's rows live in its own schema."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings if settings is not None else Settings.from_env()
        self.db = Database(self.settings)
        self._current: str | None = None
        self._migrated: set[str] = set()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        url = self.settings.database_url
        where = "embedded server" if url is None else f"server {shown_url(url)}"
        return f"<codelens.Workspace {where}, home={str(self.settings.home)!r}>"

    # -- registry ---------------------------------------------------------------------------

    def _row(self, project_id: str) -> dict[str, Any] | None:
        with self.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute("SELECT * FROM codelens.projects WHERE id = %s", [project_id])
            return cur.fetchone()

    def exists(self, project_id: str) -> bool:
        return self._row(validate_project_id(project_id)) is not None

    def create(
        self,
        project_id: str,
        *,
        description: str = "",
        embedder: str | None = None,
        exist_ok: bool = False,
        first_pass: bool | None = None,
    ) -> Project:
        """Register a project and provision its schema.

        ``first_pass=False`` turns the first pass off (None: ``Settings.first_pass``, on
        unless ``CODELENS_FIRST_PASS=0``): a project whose model is not inline then
        searches by meaning only what that model has embedded (README, "The first pass")."""
        validate_project_id(project_id)
        if embedder is not None or self.settings.embedder:
            # A spec that names no embedder is refused here, before anything is registered,
            # not at the project's first index. With none given, the default rule runs at
            # the first index: asking Ollama now would cost every create half a second.
            resolve_embedder_spec(embedder, settings=self.settings)
        try:
            with self.db.connection() as conn, conn.transaction():
                conn.execute(
                    "INSERT INTO codelens.projects (id, schema_name, description, embedder,"
                    " settings) VALUES (%s, %s, %s, %s, %s)",
                    [
                        project_id,
                        schema_name(project_id),
                        description,
                        embedder,
                        json.dumps({} if first_pass is None else {"first_pass": first_pass}),
                    ],
                )
                migrate_project(conn, project_id)
            self._wrote()
        except pg_errors.InsufficientPrivilege as exc:
            raise cannot_create(project_id, exc) from None
        except pg_errors.UniqueViolation:
            if self._row(project_id) is None:
                # Names are unique on the server: one this role may not read is taken too.
                raise ProjectExists(
                    f"project {project_id!r} exists already and this role may not read it:"
                    f" ask its owner for `codelens grant {project_id} --read ROLE`, or choose"
                    " another name"
                ) from None
            if not exist_ok:
                raise exists_already(project_id) from None
            # Someone else's row, perhaps of an older codelens: bring its schema up to date
            # (idempotent, under the migration lock) before it counts as migrated.
            self._ensure_migrated(project_id)
            return Project(self, project_id)
        with self._lock:
            self._migrated.add(project_id)
        return Project(self, project_id)

    def get(self, project_id: str) -> Project:
        """An existing project, migrated to this codelens' schema version on first use."""
        validate_project_id(project_id)
        if self._row(project_id) is None:
            raise ProjectNotFound(
                f"no project {project_id!r}: create it first (codelens.create_project,"
                f" `%codelens create {project_id}` or `codelens create {project_id}`);"
                " codelens.projects() lists the existing ones"
            )
        self._ensure_migrated(project_id)
        return Project(self, project_id)

    def project(self, project_id: str | None = None) -> Project:
        """The named project, created on first use; with no name, the current project."""
        if project_id is None:
            return self.current
        if not self.exists(project_id):
            return self.create(project_id, exist_ok=True)
        return self.get(project_id)

    def _ensure_migrated(self, project_id: str) -> None:
        if project_id in self._migrated:
            return
        with self.db.connection() as conn:
            migrate_project(conn, project_id)
        with self._lock:
            self._migrated.add(project_id)

    def _wrote(self) -> None:
        # A read on the replica then waits until it has this project (or its drop).
        if self.db.replica is not None:
            with self.db.connection() as conn:
                self.db.wrote(conn)

    def ids(self) -> list[str]:
        with self.db.connection() as conn:
            return [r[0] for r in conn.execute("SELECT id FROM codelens.projects ORDER BY id")]

    def projects(self) -> pd.DataFrame:
        """One row per project, with its model and its counts of repositories, files and chunks."""
        rows: list[dict[str, Any]] = []
        with self.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT id, description, created_at, embedder, embedding_model,"
                " embedding_dimensions, schema_name FROM codelens.projects ORDER BY id"
            )
            for row in cur.fetchall():
                schema = row.pop("schema_name")
                cur.execute(
                    sql.SQL(
                        "SELECT (SELECT count(*) FROM {}) AS repositories,"
                        " (SELECT count(*) FROM {}) AS files, (SELECT count(*) FROM {}) AS chunks"
                    ).format(
                        sql.Identifier(schema, "repositories"),
                        sql.Identifier(schema, "files"),
                        sql.Identifier(schema, "chunks"),
                    )
                )
                counts = cur.fetchone()
                rows.append({**row, **(counts or {})})
        return pd.DataFrame(rows, columns=_PROJECT_COLUMNS)

    def drop(self, project_id: str, *, force: bool = False) -> None:
        """Delete a project's schema and registry row in one transaction."""
        validate_project_id(project_id)
        if not force and not _confirm(drop_question(project_id)):
            raise not_dropped(project_id, "confirm, or pass force=True")
        with self.db.connection() as conn, conn.transaction():
            if self._row(project_id) is not None:
                # Row security would quietly delete nothing: say who may.
                check_owner(conn, schema_name(project_id), project_id, "drop")
            deleted = conn.execute(
                "DELETE FROM codelens.projects WHERE id = %s RETURNING schema_name", [project_id]
            ).fetchone()
            if deleted is None:
                raise ProjectNotFound(
                    f"no project {project_id!r} to drop: codelens.projects() lists the existing ones"
                )
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(deleted[0]))
            )
        self._wrote()
        with self._lock:
            self._migrated.discard(project_id)
            if self._current == project_id:
                self._current = None

    # -- access --------------------------------------------------------------------------

    def grant(self, project_id: str, role: str, *, write: bool = False) -> None:
        """Let ``role`` read the project (search, list, analyse), or also index it with
        ``write=True``. Only the project's owner may grant; PostgreSQL enforces it all."""
        project = self.get(project_id)
        with self.db.connection() as conn:
            grant(conn, project.id, project.schema, role, "write" if write else "read")

    def revoke(self, project_id: str, role: str, *, write: bool = False) -> None:
        """Take back ``role``'s access to the project, or only its writing with ``write=True``.
        Its next call sees the change."""
        project = self.get(project_id)
        with self.db.connection() as conn:
            revoke(conn, project.id, project.schema, role, "write" if write else "read")

    def access(self, project_id: str | None = None) -> pd.DataFrame:
        """Who may read, write or own each project this role can see (or ``project_id``):
        one row per project and role."""
        if project_id is not None:
            self.get(project_id)
        with self.db.connection() as conn:
            return project_access(conn, project_id)

    # -- the session's current project ---------------------------------------------------

    def use(self, project_id: str) -> Project:
        project = self.get(project_id)
        self._current = project_id
        return project

    @property
    def current(self) -> Project:
        if self._current is None:
            raise CodelensError(
                "no current project: choose one with codelens.use('NAME') or `%codelens use NAME`"
            )
        return Project(self, self._current)

    @property
    def current_id(self) -> str | None:
        return self._current

    def resolve(self, project: str | Project | None) -> Project:
        """A project named, given, or current; never created on the way."""
        if isinstance(project, Project):
            return project
        if project is None:
            return self.current
        return self.get(project)

    # -- server --------------------------------------------------------------------------

    def server_status(self) -> ServerStatus | str:
        if not self.db.embedded:
            return f"external PostgreSQL at {self.db.address()} (CODELENS_DATABASE_URL)"
        from codelens._db.embedded import server_status

        return server_status(self.settings.pgdata)

    def close(self) -> None:
        self.db.close()


def exists_already(project_id: str) -> ProjectExists:
    """The refusal to create a project that exists."""
    return ProjectExists(
        f"project {project_id!r} exists already: use codelens.project({project_id!r})"
        f" to open it, or drop it first"
    )


def cannot_create(project_id: str, exc: pg_errors.InsufficientPrivilege) -> AccessDenied:
    """The refusal of a role that may not create schemas in the database."""
    return AccessDenied(
        f"cannot create project {project_id!r} ({exc.diag.message_primary}): the role needs"
        " CREATE on the database (an admin runs GRANT CREATE ON DATABASE ... TO ...), or an"
        f" admin creates it and runs `codelens grant {project_id} --write ROLE`"
    )


def drop_question(project_id: str) -> str:
    """What every front end asks before a project and its index are deleted."""
    return f"Drop project {project_id!r} and everything indexed in it?"


def not_dropped(project_id: str, fix: str) -> CodelensError:
    """The refusal when the question was not answered yes, with the front end's own fix."""
    return CodelensError(f"project {project_id!r} was not dropped: {fix}")


def _confirm(question: str) -> bool:
    if not sys.stdin or not sys.stdin.isatty():
        try:
            from IPython import get_ipython

            if get_ipython() is None:
                return False
        except ImportError:  # pragma: no cover - IPython is a dependency
            return False
    try:
        answer = input(f"{question} [y/N] ")
    except (EOFError, OSError, NotImplementedError):
        # A front end with no stdin (nbclient, a kernel without input): no answer is a no.
        return False
    return answer.strip().lower() in ("y", "yes")
