"""Ordered SQL migrations for the registry and for every project schema.

Files live in ``migrations/registry`` and ``migrations/project`` as ``NNNN_name.sql``.
Files are ``psycopg.sql.SQL`` templates: in project files ``{project_id}`` is bound as a literal,
so a literal brace is written ``{{``. Each schema keeps a ``schema_migrations`` table of
the versions applied to it; an advisory lock per schema makes concurrent runs safe.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psycopg import errors as pg_errors
from psycopg import sql

from codelens._db.ids import schema_name
from codelens.errors import AccessDenied

if TYPE_CHECKING:
    import psycopg

__all__ = ["Migration", "migrate_project", "migrate_registry", "migrations"]

REGISTRY_SCHEMA = "codelens"
_NAME = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql\Z")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    text: str


def _root() -> Path:
    here = Path(__file__).parent.parent  # the codelens package
    # Installed wheels carry the folder inside the package; a source checkout has it beside.
    for candidate in (here / "migrations", here.parent / "migrations"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("codelens' migrations folder is missing from this installation")


@functools.cache
def migrations(kind: str) -> tuple[Migration, ...]:
    found = []
    for path in sorted((_root() / kind).glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise ValueError(f"migration file {path.name} must be named NNNN_name.sql")
        found.append(Migration(int(match[1]), match[2], path.read_text()))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise ValueError(f"{kind} migrations must be numbered 1..n without gaps: {versions}")
    return tuple(found)


def _apply(
    conn: psycopg.Connection[Any],
    schema: str,
    kind: str,
    params: dict[str, sql.Composable],
    upto: int | None,
) -> list[int]:
    wanted = {m.version for m in migrations(kind) if upto is None or m.version <= upto}
    if wanted <= _applied(conn, schema):
        # Up to date: nothing written, so a role that may only read opens it too.
        return []
    try:
        return _migrate(conn, schema, kind, params, upto)
    except pg_errors.InsufficientPrivilege as exc:
        role = conn.info.user
        what = "the codelens registry" if kind == "registry" else f"the tables of {schema}"
        raise AccessDenied(
            f"role {role!r} cannot create or upgrade {what} in database {conn.info.dbname!r}"
            f" ({exc.diag.message_primary}): {_SETUP_FIX[kind]}"
        ) from None


# Who can bring a schema up to date, when the role at hand cannot.
_SETUP_FIX = {
    "registry": "an admin (a role with CREATE on the database) sets it up by running any"
    " codelens command once, e.g. `codelens projects`, with its own role",
    "project": "the project's owner upgrades it by running `codelens status -p PROJECT`"
    " once with its own role",
}


def _applied(conn: psycopg.Connection[Any], schema: str) -> set[int]:
    """The versions applied to ``schema``, read without writing anything (none: empty)."""
    exists = conn.execute(
        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relname = 'schema_migrations'",
        [schema],
    ).fetchone()
    if exists is None:
        return set()
    table = sql.Identifier(schema, "schema_migrations")
    return {row[0] for row in conn.execute(sql.SQL("SELECT version FROM {}").format(table))}


def _migrate(
    conn: psycopg.Connection[Any],
    schema: str,
    kind: str,
    params: dict[str, sql.Composable],
    upto: int | None,
) -> list[int]:
    applied: list[int] = []
    with conn.transaction():
        conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", ["codelens:migrate:" + schema]
        )
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        table = sql.Identifier(schema, "schema_migrations")
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            ).format(table)
        )
        done = {row[0] for row in conn.execute(sql.SQL("SELECT version FROM {}").format(table))}
        conn.execute(sql.SQL("SET LOCAL search_path TO {}, public").format(sql.Identifier(schema)))
        for migration in migrations(kind):
            if migration.version in done or (upto is not None and migration.version > upto):
                continue
            conn.execute(sql.SQL(migration.text).format(**params))
            conn.execute(
                sql.SQL("INSERT INTO {} (version, name) VALUES (%s, %s)").format(table),
                [migration.version, migration.name],
            )
            applied.append(migration.version)
    return applied


def migrate_registry(conn: psycopg.Connection[Any]) -> list[int]:
    """Bring the ``codelens`` registry schema up to date; returns the versions applied."""
    return _apply(conn, REGISTRY_SCHEMA, "registry", {}, None)


def migrate_project(
    conn: psycopg.Connection[Any], project_id: str, *, upto: int | None = None
) -> list[int]:
    """Create or upgrade a project's schema; ``upto`` stops early (for upgrade tests)."""
    params: dict[str, sql.Composable] = {"project_id": sql.Literal(project_id)}
    return _apply(conn, schema_name(project_id), "project", params, upto)


def latest(kind: str) -> int:
    return len(migrations(kind))
