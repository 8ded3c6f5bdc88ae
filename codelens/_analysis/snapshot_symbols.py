"""The symbols of a project for its snapshot: definitions, references resolved, module imports.

PostgreSQL stores each file's references as written; which definition one means is worked
out when asked (:mod:`codelens._symbols.resolve`). The snapshot stores the answer, resolved
by the same resolver the symbol questions use, so that DuckDB can join and count it
(graphs, hotspots, unreferenced definitions) without Python per row. The copy is whole, at each
refresh that finds a write of symbols since the last: a change in one file can change
what references in any other file mean.
Runs in the refresh's read-only transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from codelens._symbols.resolve import Resolver
from codelens._symbols.table import symbol_table

if TYPE_CHECKING:
    from codelens._db.handle import ProjectHandle
    from codelens._db.pool import Connection

__all__ = ["SYMBOL_SCHEMAS", "read_symbols", "symbols_generation"]

SYMBOL_SCHEMAS: dict[str, pa.Schema] = {
    "definitions": pa.schema(
        [
            ("id", pa.int64()),
            ("file_id", pa.int64()),
            ("repository_id", pa.int64()),
            ("path", pa.string()),
            ("module", pa.string()),
            ("language", pa.string()),
            ("name", pa.string()),
            ("qualname", pa.string()),
            ("kind", pa.string()),
            ("line", pa.int32()),
            ("col", pa.int32()),
            ("end_line", pa.int32()),
            ("scope", pa.string()),
        ]
    ),
    "symbol_refs": pa.schema(
        [
            ("file_id", pa.int64()),
            ("repository_id", pa.int64()),
            ("path", pa.string()),
            ("language", pa.string()),
            ("name", pa.string()),
            ("qualifier", pa.string()),
            ("kind", pa.string()),
            ("line", pa.int32()),
            ("col", pa.int32()),
            ("scope", pa.string()),
            ("definition_id", pa.int64()),
            ("target_id", pa.int64()),
            ("resolution", pa.string()),
        ]
    ),
    "module_imports": pa.schema(
        [
            ("file_id", pa.int64()),
            ("importer", pa.string()),
            ("importer_path", pa.string()),
            ("imported", pa.string()),
            ("imported_path", pa.string()),
            ("line", pa.int32()),
        ]
    ),
}

_REFS = (
    "SELECT file_id, repository_id, path, language, name, qualifier, kind, line, col, scope"
    " FROM symbol_refs ORDER BY file_id, line, col"
)
_IMPORTS = "SELECT file_id, path, module, name, line FROM symbol_imports ORDER BY file_id, line"


def symbols_generation(conn: Connection) -> tuple[int, int]:
    """What the stored symbols are at: it moves after every write of symbols commits (and
    with a re-created table), so a snapshot that holds this number holds them all."""
    # The number the symbols' own cache keys on (codelens._symbols.table).
    row = conn.execute(
        "SELECT s.last_value + s.is_called::int, 'definitions'::regclass::oid::int8"
        " FROM symbols_generation s"
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def read_symbols(project: ProjectHandle, conn: Connection) -> dict[str, pa.Table]:
    """The three symbol tables of the snapshot, from the caller's transaction."""
    table = symbol_table(project, conn)
    resolver = Resolver(table)
    definitions: list[tuple[object, ...]] = []
    for d in table.by_id.values():
        if d.kind == "local":  # a function's own variable: no symbol of the project's
            continue
        info = table.files[d.file_id]
        definitions.append(
            (
                d.id,
                d.file_id,
                info.repository_id,
                d.path,
                info.module,
                d.language,
                d.name,
                d.qualname,
                d.kind,
                d.line,
                d.column,
                d.end_line,
                d.scope,
            )
        )
    refs: list[tuple[object, ...]] = []
    for row in conn.execute(_REFS):
        file_id, _, _, language, name, qualifier, kind, _, _, scope = row
        here = table.files.get(file_id)
        inside = here.defs.get(scope) if here is not None and scope else None
        found = resolver.resolve(file_id, scope, qualifier, name, language, kind)
        enclosing = inside.id if inside is not None else None
        # One row per definition it may mean: name-only matches give several.
        for target in found.targets or (None,):
            target_id = target.id if target is not None else None
            refs.append((*row, enclosing, target_id, found.how))
    first: dict[tuple[int, str], tuple[object, ...]] = {}
    for file_id, path, module, name, line in conn.execute(_IMPORTS):
        importing = table.files.get(file_id)
        # ``from pkg import mod`` imports the submodule pkg.mod when the project has it.
        sub = table.module(f"{module}.{name}", importing) if name and name != "*" else None
        imported = sub or table.module(module, importing)
        importer = importing.module if importing is not None else path
        # A module of the project by its path, as importer is; else as written.
        named = imported.module if imported is not None else module
        where = imported.path if imported is not None else None
        first.setdefault((file_id, named), (file_id, importer, path, named, where, line))
    imports = list(first.values())
    rows = {"definitions": definitions, "symbol_refs": refs, "module_imports": imports}
    return {name: _table(rows[name], schema) for name, schema in SYMBOL_SCHEMAS.items()}


def _table(rows: list[tuple[object, ...]], schema: pa.Schema) -> pa.Table:
    if not rows:
        return schema.empty_table()
    columns = [
        pa.array(c, type=f.type) for c, f in zip(zip(*rows, strict=True), schema, strict=True)
    ]
    return pa.Table.from_arrays(columns, schema=schema)
