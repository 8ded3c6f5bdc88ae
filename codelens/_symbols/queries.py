"""The questions: definitions, references, callers, callees and the import graph.

Each answer is a pandas DataFrame with the columns of :data:`COLUMNS`, one row per place.

References and callers read the distinct places (file, scope, qualifier, name, kind) that
refer to a name, resolve each place once (once per file where the scope cannot change
the answer), and read the rows of the places that lead to the symbol only. What a name's
places resolve to is kept with the loaded table (until the index changes): the first
question about ``get`` in a project of a million references resolves its ~12,000 places
(0.15-0.6 s), the next questions about any ``get`` look their targets up (5-10 ms;
``benchmarks/symbols_latency.py``).
"""

from __future__ import annotations

import fnmatch
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np
import pandas as pd

from codelens._symbols.resolve import EXTERNAL, Resolved, Resolver, resolver_of
from codelens._symbols.table import Def, SymbolTable, symbol_table
from codelens.errors import SymbolError

if TYPE_CHECKING:
    from codelens._db.handle import ProjectHandle
    from codelens._db.pool import Connection

__all__ = [
    "COLUMNS",
    "IMPORT_COLUMNS",
    "REFERENCE_KINDS",
    "REFERENCE_KIND_HELP",
    "ReferenceKind",
    "callees",
    "caller_counts",
    "callers",
    "definitions",
    "imports",
    "no_definition",
    "references",
]

# Every answer's columns: where (path, line, column: 1-based), the definition that place
# sits in (``definition``, a qualname; "" at module level), the symbol it defines or
# refers to (``symbol``) and where that is defined (``target_path``/``target_line``),
# ``kind`` (a definition's: function, method, class...; a reference's: call, import,
# inherit, attribute, decorator, type), ``resolution`` (definition, import, scope, self,
# name-only, external), ``depth`` (1 for direct callers/callees, n for n steps away;
# 0 for definitions), ``language`` and ``repository`` (the repository's id).
COLUMNS = [
    "path",
    "line",
    "column",
    "definition",
    "symbol",
    "kind",
    "resolution",
    "target_path",
    "target_line",
    "depth",
    "language",
    "repository",
]
IMPORT_COLUMNS = ["importer", "importer_path", "imported", "imported_path", "names", "line"]
ReferenceKind = Literal["call", "import", "inherit", "attribute", "decorator", "type"]
REFERENCE_KINDS: tuple[str, ...] = get_args(ReferenceKind)
# The front ends' --kind option of a references query.
REFERENCE_KIND_HELP = "only this kind of reference (repeat for several)"
_GLOB = frozenset("*?[")
MAX_DEPTH = 10


_INTS = frozenset({"line", "column", "depth"})


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    # Column by column: pandas reads a list of dicts row by row, which cost more than the
    # rest of a question.
    if not rows:
        return _EMPTY.copy()
    columns: dict[str, Any] = {}
    for column in COLUMNS:
        values = [row[column] for row in rows]
        if column in _INTS:
            columns[column] = np.array(values, dtype="int64")
        elif column == "target_line":
            columns[column] = pd.array(values, dtype="Int64")
        elif column == "target_path":
            # None, not NaN, where a call leads out of the project: a path or nothing.
            columns[column] = pd.Series(values, dtype=object)
        else:
            columns[column] = values
    return pd.DataFrame(columns, columns=COLUMNS)


_EMPTY = pd.DataFrame([], columns=COLUMNS).astype(
    {
        "line": "int64",
        "column": "int64",
        "depth": "int64",
        "target_line": "Int64",
        "target_path": object,
    }
)


def _definition_row(d: Def, table: SymbolTable) -> dict[str, Any]:
    info = table.files.get(d.file_id)
    return {
        "path": d.path,
        "line": d.line,
        "column": d.column,
        "definition": d.scope,
        "symbol": d.qualname,
        "kind": d.kind,
        "resolution": "definition",
        "target_path": d.path,
        "target_line": d.line,
        "depth": 0,
        "language": d.language,
        "repository": info.repository_id if info is not None else None,
    }


def find_definitions(table: SymbolTable, symbol: str) -> list[Def]:
    """Definitions named ``symbol``: a name, a qualified name (``Session.request``, also
    module-qualified: ``pkg.sessions.Session.request``) or a glob over qualified names.

    A function's own parameters and variables (kind ``local``, stored to resolve through
    their types) are not among them."""
    return [d for d in _matching(table, symbol) if d.kind != "local"]


def _matching(table: SymbolTable, symbol: str) -> list[Def]:
    symbol = symbol.strip()
    if not symbol:
        raise SymbolError(
            "give a symbol: a name, a qualified name such as Session.request, or a glob"
        )
    if _GLOB & set(symbol):
        found = []
        for defs in table.by_name.values():
            for d in defs:
                full = _full_name(d, table)
                if fnmatch.fnmatchcase(d.qualname, symbol) or fnmatch.fnmatchcase(full, symbol):
                    found.append(d)
        return _ordered(found)
    last = symbol.rpartition(".")[2]
    candidates = table.by_name.get(last, [])
    if "." not in symbol:
        return _ordered(candidates)
    dotted = "." + symbol
    # A full name (module, then qualname) ends with the symbol only where the qualname and
    # the symbol end alike: compared first, as a hot name has thousands of definitions.
    found = [
        d
        for d in candidates
        if d.qualname == symbol
        or (
            (d.qualname.endswith(dotted) or symbol.endswith("." + d.qualname))
            and (_full_name(d, table).endswith(dotted) or _full_name(d, table) == symbol)
        )
    ]
    return _ordered(found)


def _full_name(d: Def, table: SymbolTable) -> str:
    info = table.files.get(d.file_id)
    return f"{info.module}.{d.qualname}" if info is not None and info.module else d.qualname


def _ordered(defs: Iterable[Def]) -> list[Def]:
    return sorted(defs, key=lambda d: (d.path, d.line, d.column))


def no_definition(symbol: str) -> str:
    """What an empty answer about ``symbol`` says when the project defines no such name: a
    typo must not read as "nothing calls it"."""
    return f"no definition of {symbol!r}: try a shorter name or a glob such as '*{symbol}*'"


def definitions(project: ProjectHandle, symbol: str) -> pd.DataFrame:
    """Where ``symbol`` is defined; see :meth:`codelens.Project.definitions`."""
    with project.connection() as conn:
        table = symbol_table(project, conn)
    return _frame([_definition_row(d, table) for d in find_definitions(table, symbol)])


def _candidate_places(
    conn: Connection, names: Sequence[str], kinds: Sequence[str]
) -> list[tuple[Any, ...]]:
    """The distinct (file, scope, qualifier, name, language, kind) of the references to
    ``names``: a name called from thousands of places is called from far fewer such
    places, and each resolves the same for all of its references."""
    return conn.execute(
        "SELECT DISTINCT file_id, scope, qualifier, name, language, kind FROM symbol_refs"
        " WHERE name = ANY(%s) AND kind = ANY(%s)",
        [list(names), list(kinds)],
    ).fetchall()


def _references_at(conn: Connection, places: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The references at ``places``, each (file, scope, qualifier, name, kind)."""
    file_ids, scopes, qualifiers, names, kinds = (list(c) for c in zip(*places, strict=True))
    return conn.execute(
        "SELECT r.file_id, r.path, r.line, r.col, r.name, r.qualifier, r.kind, r.scope,"
        " r.language, r.repository_id FROM symbol_refs r"
        " JOIN unnest(%s::int8[], %s::text[], %s::text[], %s::text[], %s::text[])"
        " AS p(file_id, scope, qualifier, name, kind)"
        " ON r.name = p.name AND r.kind = p.kind AND r.file_id = p.file_id"
        " AND r.scope = p.scope AND r.qualifier = p.qualifier"
        " ORDER BY r.path, r.line, r.col",
        [file_ids, scopes, qualifiers, names, kinds],
    ).fetchall()


def _reference_row(ref: tuple[Any, ...], target: Def, how: str, depth: int) -> dict[str, Any]:
    _, path, line, col, _, _, kind, scope, language, repository_id = ref
    return {
        "path": path,
        "line": line,
        "column": col,
        "definition": scope,
        "symbol": target.qualname,
        "kind": kind,
        "resolution": how,
        "target_path": target.path,
        "target_line": target.line,
        "depth": depth,
        "language": language,
        "repository": repository_id,
    }


def _check_kind(kind: str | Sequence[str] | None) -> tuple[str, ...]:
    if kind is None:
        return REFERENCE_KINDS
    kinds = (kind,) if isinstance(kind, str) else tuple(kind)
    for k in kinds:
        if k not in REFERENCE_KINDS:
            raise SymbolError(
                f"unknown reference kind {k!r}: use one of {', '.join(REFERENCE_KINDS)}"
            )
    return kinds


def _check_depth(depth: int) -> int:
    if not isinstance(depth, int) or isinstance(depth, bool) or not 1 <= depth <= MAX_DEPTH:
        raise SymbolError(f"depth must be a whole number from 1 to {MAX_DEPTH}, got {depth!r}")
    return depth


@dataclass(slots=True)
class _Places:
    """The places that refer to one name, each resolved, grouped by what they resolve
    to (matches by name share one tuple of candidates across thousands of places), and
    the groups that lead to each target."""

    groups: dict[tuple[int, str], tuple[Resolved, list[tuple[Any, ...]]]] = field(
        default_factory=dict
    )
    by_target: dict[tuple[int, str], list[tuple[int, str]]] = field(default_factory=dict)


# Per resolver (so per loaded table, which a change of the index replaces): the places of
# each name asked about, resolved once; the next question about the name only looks up
# its targets. References change only with the table's generation, like the table.
_places: weakref.WeakKeyDictionary[Resolver, dict[tuple[str, tuple[str, ...]], _Places]] = (
    weakref.WeakKeyDictionary()
)
_places_lock = threading.Lock()


def _places_of(conn: Connection, resolver: Resolver, name: str, kinds: tuple[str, ...]) -> _Places:
    with _places_lock:
        cache = _places.setdefault(resolver, {})
    found = cache.get((name, kinds))
    if found is not None:
        return found
    found = _Places()
    for place in _candidate_places(conn, [name], kinds):
        file_id, scope, qualifier, _, language, kind = place
        resolved = resolver.resolve(file_id, scope, qualifier, name, language, kind)
        if not resolved.targets:
            continue
        # The group holds ``resolved``: its id stays its own while the cache lives.
        key = (id(resolved.targets), resolved.how)
        group = found.groups.get(key)
        if group is None:
            group = found.groups[key] = (resolved, [])
            for target in resolved.targets:
                found.by_target.setdefault((target.file_id, target.qualname), []).append(key)
        group[1].append((file_id, scope, qualifier, name, kind))
    cache[(name, kinds)] = found
    return found


def _referencing(
    conn: Connection,
    resolver: Resolver,
    targets: Sequence[Def],
    kinds: Sequence[str],
    depth: int,
) -> list[tuple[tuple[Any, ...], Def, str]]:
    """The references among ``kinds`` that mean one of ``targets``, each with its target."""
    # By place and name, not row: a name defined twice in a file (under if/else, a
    # property's getter and setter) is one symbol, and resolution returns the first.
    wanted = {(d.file_id, d.qualname): d for d in targets}
    out: list[tuple[tuple[Any, ...], Def, str]] = []
    names = resolver.table.names_for({d.name for d in targets})
    # Resolved once per place (file, scope, qualifier, name, kind), not per reference,
    # and once per resolver: only the places that lead to a target have their
    # references read.
    chosen_at: dict[tuple[Any, ...], tuple[list[Def], str]] = {}
    for name in sorted(names):
        places = _places_of(conn, resolver, name, tuple(kinds))
        hit = {group for key in wanted for group in places.by_target.get(key, ())}
        for group in hit:
            resolved, at = places.groups[group]
            chosen = [
                same
                for target in resolved.targets
                if (same := wanted.get((target.file_id, target.qualname))) is not None
            ]
            for place in at:
                chosen_at[place] = (chosen, resolved.how)
    if not chosen_at:
        return out
    for ref in _references_at(conn, chosen_at):
        file_id, _, _, _, name, qualifier, kind, scope, _, _ = ref
        chosen, how = chosen_at[(file_id, scope, qualifier, name, kind)]
        out.extend((ref, same, how) for same in chosen)
    return out


def references(
    project: ProjectHandle, symbol: str, kind: str | Sequence[str] | None = None
) -> pd.DataFrame:
    """Where ``symbol`` is used; see :meth:`codelens.Project.references`."""
    kinds = _check_kind(kind)
    with project.connection() as conn:
        table = symbol_table(project, conn)
        targets = find_definitions(table, symbol)
        if not targets:
            return _frame([])
        found = _referencing(conn, resolver_of(table), targets, kinds, 1)
    return _frame([_reference_row(ref, target, how, 1) for ref, target, how in found])


_Step = Callable[[list[Def], int], Iterator[tuple[dict[str, Any], Def | None]]]


def _walk(frontier: list[Def], depth: int, step: _Step) -> list[dict[str, Any]]:
    """Breadth first from ``frontier`` to ``depth``: ``step`` gives a level's rows, each with
    the definition it leads to (None for none); a definition is walked from once."""
    rows: list[dict[str, Any]] = []
    seen = {d.id for d in frontier}
    for level in range(1, depth + 1):
        if not frontier:
            break
        next_level: list[Def] = []
        for row, reached in step(frontier, level):
            rows.append(row)
            if reached is not None and reached.id not in seen:
                seen.add(reached.id)
                next_level.append(reached)
        frontier = next_level
    return rows


def callers(project: ProjectHandle, symbol: str, depth: int = 1) -> pd.DataFrame:
    """The calls of ``symbol``, and with ``depth`` > 1 their callers' callers; see
    :meth:`codelens.Project.callers`."""
    depth = _check_depth(depth)
    with project.connection() as conn:
        table = symbol_table(project, conn)
        resolver = resolver_of(table)

        def step(frontier: list[Def], level: int) -> Iterator[tuple[dict[str, Any], Def | None]]:
            for ref, target, how in _referencing(conn, resolver, frontier, ("call",), level):
                yield _reference_row(ref, target, how, level), _definition_at(table, ref[0], ref[7])

        rows = _walk(find_definitions(table, symbol), depth, step)
    return _frame(rows)


def _definition_at(table: SymbolTable, file_id: int, scope: str) -> Def | None:
    info = table.files.get(file_id)
    return info.defs.get(scope) if info is not None and scope else None


def callees(project: ProjectHandle, symbol: str, depth: int = 1) -> pd.DataFrame:
    """What ``symbol`` calls, and with ``depth`` > 1 what those call; see
    :meth:`codelens.Project.callees`. A call out of the project (the standard library, a
    dependency) is a row with ``resolution`` external and no target."""
    depth = _check_depth(depth)
    with project.connection() as conn:
        table = symbol_table(project, conn)
        resolver = resolver_of(table)

        def step(frontier: list[Def], level: int) -> Iterator[tuple[dict[str, Any], Def | None]]:
            calls = conn.execute(
                "SELECT file_id, path, line, col, name, qualifier, kind, scope, language,"
                " repository_id FROM symbol_refs"
                " WHERE (file_id, scope) IN (SELECT * FROM unnest(%s::int8[], %s::text[]))"
                " AND kind = 'call' ORDER BY path, line, col",
                [[d.file_id for d in frontier], [d.qualname for d in frontier]],
            ).fetchall()
            for ref in calls:
                file_id, path, line, col, name, qualifier, kind, scope, language, repo = ref
                found = resolver.resolve(file_id, scope, qualifier, name, language)
                if not found.targets:
                    written = f"{qualifier}.{name}" if qualifier else name
                    yield (
                        {
                            "path": path,
                            "line": line,
                            "column": col,
                            "definition": scope,
                            "symbol": written,
                            "kind": kind,
                            "resolution": EXTERNAL,
                            "target_path": None,
                            "target_line": None,
                            "depth": level,
                            "language": language,
                            "repository": repo,
                        },
                        None,
                    )
                    continue
                for target in found.targets:
                    yield _reference_row(ref, target, found.how, level), target

        rows = _walk(find_definitions(table, symbol), depth, step)
    return _frame(rows)


def caller_counts(project: ProjectHandle, places: Sequence[tuple[str, str]]) -> list[int]:
    """How many places call each definition given as (path, qualname); 0 for a place that
    is no definition. Name-only matches count: the count is what ``callers`` lists."""
    if not places:
        return []
    wanted = set(places)
    with project.connection() as conn:
        table = symbol_table(project, conn)
        by_place: dict[tuple[str, str], Def] = {}
        for path, qualname in wanted:
            for d in table.by_name.get(qualname.rpartition(".")[2], ()):
                if d.path == path and d.qualname == qualname:
                    by_place.setdefault((path, qualname), d)
        targets = list(by_place.values())
        counts = {d.id: 0 for d in targets}
        if targets:
            for _, target, _ in _referencing(conn, resolver_of(table), targets, ("call",), 1):
                counts[target.id] += 1
    return [counts.get(by_place[p].id, 0) if p in by_place else 0 for p in places]


def imports(project: ProjectHandle, module: str | None = None) -> pd.DataFrame:
    """The module dependency graph; see :meth:`codelens.Project.imports`."""
    with project.connection() as conn:
        table = symbol_table(project, conn)
        rows = conn.execute(
            "SELECT file_id, path, module, array_agg(name ORDER BY line, col), min(line)"
            " FROM symbol_imports GROUP BY file_id, path, module ORDER BY path, min(line)"
        ).fetchall()
    out = []
    for file_id, path, imported, names, line in rows:
        info = table.files.get(file_id)
        importer = info.module if info is not None else path
        target = table.module(imported, info)
        if module is not None and not (
            _in_module(importer, module) or _in_module(imported, module)
        ):
            continue
        out.append(
            {
                "importer": importer,
                "importer_path": path,
                "imported": imported,
                "imported_path": target.path if target is not None else None,
                "names": [n for n in names if n is not None],
                "line": line,
            }
        )
    frame = pd.DataFrame(out, columns=IMPORT_COLUMNS)
    frame["line"] = frame["line"].astype("int64")
    frame["imported_path"] = frame["imported_path"].astype(object)
    frame.loc[frame["imported_path"].isna(), "imported_path"] = None
    return frame


def _in_module(name: str, module: str) -> bool:
    return name == module or name.startswith(module + ".")
