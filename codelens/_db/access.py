"""Access per project: PostgreSQL's own grants on the project's schema, issued by its owner.

Reading is ``USAGE`` on the schema and ``SELECT`` on its tables; writing adds ``INSERT``,
``UPDATE`` and ``DELETE`` (and ``MAINTAIN`` where the server has it, for ``ANALYZE``).
Default privileges carry both to the tables a later migration adds. The registry's row
security (registry migration 0002) shows a role only the projects whose schema it may use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import pandas as pd
from psycopg import sql

from codelens.errors import AccessDenied, ConfigError

if TYPE_CHECKING:
    from codelens._db.pool import Connection

__all__ = [
    "ACCESS_COLUMNS",
    "Level",
    "check_owner",
    "grant",
    "my_access",
    "owns_chunks",
    "project_access",
    "refused_write",
    "revoke",
]

Level = Literal["read", "write"]
ACCESS_COLUMNS = ["project", "role", "access"]

_READ = "SELECT"
_WRITE = "INSERT, UPDATE, DELETE"
# PostgreSQL 17 added MAINTAIN (ANALYZE, VACUUM); older servers skip a non-owner's ANALYZE
# with a warning, which costs a writer's run nothing but fresher statistics.
_MAINTAIN_SINCE = 170000


def check_owner(conn: Connection, schema: str, project_id: str, doing: str) -> None:
    row = conn.execute(
        "SELECT pg_has_role(nspowner, 'USAGE'), pg_get_userbyid(nspowner)"
        " FROM pg_namespace WHERE nspname = %s",
        [schema],
    ).fetchone()
    if row is None or not row[0]:
        owner = row[1] if row is not None else "its owner"
        raise AccessDenied(
            f"only the owner of project {project_id!r} ({owner}) may {doing} it, not role"
            f" {conn.info.user!r}: ask {owner} or a superuser to run it"
        )


def _role(conn: Connection, role: str) -> sql.Identifier:
    if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone() is None:
        raise ConfigError(
            f"no role {role!r} on this server: create it first"
            f" (CREATE ROLE {role} LOGIN PASSWORD '...'), then grant it access"
        )
    return sql.Identifier(role)


def _write_privileges(conn: Connection) -> sql.SQL:
    maintain = conn.info.server_version >= _MAINTAIN_SINCE
    return sql.SQL(_WRITE + (", MAINTAIN" if maintain else ""))


def grant(conn: Connection, project_id: str, schema: str, role: str, level: Level) -> None:
    """Let ``role`` read (or read and write) the project; only its owner may."""
    check_owner(conn, schema, project_id, "grant access to")
    who = _role(conn, role)
    where = sql.Identifier(schema)
    with conn.transaction():
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(where, who))
        _change(conn, "GRANT", sql.SQL(_READ), "TABLES", where, who)
        if level == "write":
            _change(conn, "GRANT", _write_privileges(conn), "TABLES", where, who)
        # Readers read sequences too: search asks the symbols' generation for its cache.
        sequences = "USAGE, SELECT" if level == "write" else "SELECT"
        _change(conn, "GRANT", sql.SQL(sequences), "SEQUENCES", where, who)


def revoke(conn: Connection, project_id: str, schema: str, role: str, level: Level) -> None:
    """Take back ``role``'s writing (``level="write"``) or all its access to the project."""
    check_owner(conn, schema, project_id, "revoke access to")
    who = _role(conn, role)
    where = sql.Identifier(schema)
    taken = _write_privileges(conn) if level == "write" else sql.SQL("ALL")
    with conn.transaction():
        _change(conn, "REVOKE", taken, "TABLES", where, who)
        # A writer made a reader again keeps reading sequences.
        _change(
            conn, "REVOKE", sql.SQL("USAGE" if level == "write" else "ALL"), "SEQUENCES", where, who
        )
        if level == "read":
            conn.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM {}").format(where, who))


def _change(
    conn: Connection,
    verb: Literal["GRANT", "REVOKE"],
    privileges: sql.Composable,
    objects: Literal["TABLES", "SEQUENCES"],
    schema: sql.Identifier,
    who: sql.Composable,
) -> None:
    """GRANT (or REVOKE) ``privileges`` on every table (or sequence) of ``schema``, those
    there now and those an index run creates later."""
    to = sql.SQL("TO" if verb == "GRANT" else "FROM")
    kind = sql.SQL(objects)
    conn.execute(
        sql.SQL("{} {} ON ALL {} IN SCHEMA {} {} {}").format(
            sql.SQL(verb), privileges, kind, schema, to, who
        )
    )
    conn.execute(
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} {} {} ON {} {} {}").format(
            schema, sql.SQL(verb), privileges, kind, to, who
        )
    )


_ACCESS = """
SELECT p.id AS project, r.rolname AS role,
       CASE WHEN r.oid = n.nspowner THEN 'owner'
            WHEN has_table_privilege(r.oid, c.oid, 'INSERT') THEN 'write'
            ELSE 'read' END AS access
FROM codelens.projects p
JOIN pg_namespace n ON n.nspname = p.schema_name
JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = 'chunks'
JOIN pg_roles r ON r.oid = n.nspowner
    OR r.oid IN (SELECT a.grantee FROM aclexplode(n.nspacl) a WHERE a.privilege_type = 'USAGE')
WHERE %(project)s::text IS NULL OR p.id = %(project)s
ORDER BY p.id, r.oid <> n.nspowner, r.rolname
"""


def project_access(conn: Connection, project_id: str | None) -> pd.DataFrame:
    """Who may do what to each project this role can see (or to ``project_id``)."""
    rows = conn.execute(_ACCESS, {"project": project_id}).fetchall()
    return pd.DataFrame(rows, columns=ACCESS_COLUMNS)


def my_access(conn: Connection, schema: str) -> str:
    """What this connection's role may do to the project in ``schema``, in one word."""
    row = conn.execute(
        "SELECT r.rolsuper, pg_has_role(n.nspowner, 'USAGE'),"
        " has_table_privilege(c.oid, 'INSERT'), pg_get_userbyid(n.nspowner)"
        " FROM pg_roles r, pg_namespace n JOIN pg_class c"
        " ON c.relnamespace = n.oid AND c.relname = 'chunks'"
        " WHERE r.rolname = current_user AND n.nspname = %s",
        [schema],
    ).fetchone()
    if row is None:
        return "none"
    superuser, owner, write, owned_by = row
    if superuser:
        return "superuser"
    if owner:
        return "owner"
    return f"{'write' if write else 'read'} (owner {owned_by})"


def owns_chunks(conn: Connection) -> bool:
    """Whether this role owns the chunks table on the search_path: only an owner may alter
    it or index it; a writer goes through the registry's functions."""
    row = conn.execute(
        "SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = 'chunks'::regclass"
    ).fetchone()
    return bool(row and row[0])


def refused_write(project_id: str, role: str, reason: str) -> AccessDenied:
    """The one line for a role that may read a project but not change it."""
    return AccessDenied(
        f"role {role!r} may not change project {project_id!r} ({reason}): its owner grants"
        f" that with `codelens grant {project_id} --write {role}`"
    )
