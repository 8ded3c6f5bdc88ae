"""The definitions and import bindings of a project, loaded once and cached in memory.

References stay in the database (there are many more of them, and a question reads only
those of a few names); definitions and imports are what resolving any reference needs,
so they are read whole, once per change of the index: an index run moves the
``symbols_generation`` sequence once its batches have committed (not after each batch,
so a reader asking during a run does not load everything again per batch; it answers
from what it loaded until the run ends), and a reader that sees it moved loads again. A reader takes the number first, so at worst it caches newer rows under an older
number, and loads once more.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from codelens._chunk.tags import module_of_path

if TYPE_CHECKING:
    from codelens._db.handle import ProjectHandle
    from codelens._db.pool import Connection

__all__ = ["Def", "FileInfo", "NameIndex", "SymbolTable", "symbol_table"]


@dataclass(frozen=True, slots=True, eq=False)
class Def:
    """One stored definition (identity is the row: two rows are two definitions)."""

    id: int
    file_id: int
    path: str
    language: str | None
    name: str
    qualname: str
    kind: str
    line: int
    column: int
    end_line: int
    scope: str
    bases: tuple[str, ...]

    @property
    def folder(self) -> str:
        return self.path.rpartition("/")[0]


@dataclass(slots=True)
class Binding:
    alias: str
    module: str
    name: str | None


@dataclass(slots=True)
class FileInfo:
    id: int
    path: str
    repository_id: int
    language: str | None
    module: str
    defs: dict[str, Def] = field(default_factory=dict)  # by qualname
    bindings: dict[str, Binding] = field(default_factory=dict)  # by alias; the last wins
    stars: list[str] = field(default_factory=list)  # modules star-imported
    # Names defined inside a definition (a method, a nested function, a local): only a
    # reference to one of these can mean something else at another scope of the file.
    nested: set[str] = field(default_factory=set)


# What a call can mean by name, before an attribute that holds a value.
_CALLABLE = frozenset({"method", "class", "function"})


class NameIndex:
    """The definitions of one name, by file and by folder."""

    __slots__ = ("all", "by_file", "by_folder")

    def __init__(self, defs: list[Def]) -> None:
        self.all = tuple(defs)
        self.by_file: dict[int, tuple[Def, ...]] = {}
        self.by_folder: dict[str, tuple[Def, ...]] = {}
        for d in defs:
            self.by_file[d.file_id] = (*self.by_file.get(d.file_id, ()), d)
            self.by_folder[d.folder] = (*self.by_folder.get(d.folder, ()), d)


class SymbolTable:
    """Every definition and import binding of a project, indexed for resolution."""

    def __init__(self) -> None:
        self.files: dict[int, FileInfo] = {}
        self.by_name: dict[str, list[Def]] = {}
        self.by_id: dict[int, Def] = {}
        self._modules: dict[str, list[int]] = {}  # every dotted suffix of a module's name
        self._named: dict[tuple[str, str | None, bool, bool], NameIndex] = {}
        # The local names that imports give a name: ``from m import f as g`` makes g of f.
        self.aliases: dict[str, set[str]] = {}

    def named(
        self, name: str, language: str | None, member: bool, calls: bool = False
    ) -> NameIndex:
        """The definitions called ``name`` (of ``language``; with ``member``, only a class's
        members; with ``calls`` too, its methods and classes where it has any: a call
        ``x.m()`` means a method ``m`` before an attribute ``self.m = ...``), indexed by file
        and folder: what matching by name reads, once per name."""
        key = (name, language, member, calls)
        found = self._named.get(key)
        if found is None:
            defs = [
                d
                for d in self.by_name.get(name, ())
                if (language is None or d.language == language)
                and (not member or (d.scope and d.kind not in ("function", "local")))
            ]
            if member and calls:
                defs = [d for d in defs if d.kind in _CALLABLE] or defs
            found = self._named[key] = NameIndex(defs)
        return found

    def add_file(self, file_id: int, path: str, repository_id: int, language: str | None) -> None:
        self.files[file_id] = FileInfo(file_id, path, repository_id, language, module_of_path(path))

    def add_def(self, d: Def) -> None:
        info = self.files.get(d.file_id)
        if info is None:
            return
        # The last definition of a name wins, as when the module runs (@overload stubs,
        # then the implementation), except a variable that cannot say what it holds over
        # a class or function (``C = wrap(C)`` still leads to C's code), and one typed by
        # a call through itself (``x = x.copy()``: the type it had is the better guess).
        if d.scope:
            info.nested.add(d.name)
        before = info.defs.get(d.qualname)
        if before is None or not _keeps(before, d):
            info.defs[d.qualname] = d
        self.by_name.setdefault(d.name, []).append(d)
        self.by_id[d.id] = d

    def add_binding(self, file_id: int, alias: str, module: str, name: str | None) -> None:
        info = self.files.get(file_id)
        if info is None:
            return
        if name == "*":
            info.stars.append(module)
        else:
            info.bindings[alias] = Binding(alias, module, name)
            if name is not None and alias != name:
                self.aliases.setdefault(name, set()).add(alias)

    def names_for(self, names: set[str]) -> set[str]:
        """``names`` and every name an import renames one of them to, and so on."""
        found = set(names)
        todo = list(names)
        while todo:
            for alias in self.aliases.get(todo.pop(), ()):
                if alias not in found:
                    found.add(alias)
                    todo.append(alias)
        return found

    def index_modules(self) -> None:
        """Name each Python file by every dotted suffix of its path: ``src/pkg/b.py`` is
        ``src.pkg.b``, ``pkg.b`` and ``b``, so that a package under ``src/`` or any other
        folder on the import path is found by its import name."""
        for info in self.files.values():
            if not info.path.endswith((".py", ".pyi")):
                continue
            parts = info.module.split(".")
            for i in range(len(parts)):
                self._modules.setdefault(".".join(parts[i:]), []).append(info.id)

    def module(self, name: str, near: FileInfo | None = None) -> FileInfo | None:
        """The project's file for module ``name``, or None when it is not in the project.

        A module named by the path from its repository's root comes first; a shorter
        suffix match (a package under ``src/``) next, preferring the importing file's
        repository and then the shortest path. A top-level standard-library name matches
        only a file of that name at a repository's root.
        """
        found = self._modules.get(name)
        if not found:
            return None
        infos = [self.files[i] for i in found]
        exact = [f for f in infos if f.module == name]
        if exact:
            infos = exact
        elif "." not in name and name in sys.stdlib_module_names:
            return None
        if near is not None:
            same = [f for f in infos if f.repository_id == near.repository_id]
            infos = same or infos
        return min(infos, key=lambda f: (len(f.path), f.path))


_VARIABLES = frozenset({"variable", "constant", "local"})


def _keeps(before: Def, after: Def) -> bool:
    """Whether ``before`` still answers for the name after ``after`` redefines it."""
    if after.kind not in _VARIABLES:
        return False
    if not after.bases:
        return before.kind not in _VARIABLES
    return after.bases[0].split(".")[0].removesuffix("()") == after.name


_cache_lock = threading.Lock()
_cache: dict[tuple[int, str], tuple[tuple[int, int], SymbolTable]] = {}


def symbol_table(project: ProjectHandle, conn: Connection) -> SymbolTable:
    """The project's table, from the cache while no write of symbols has landed since."""
    row = conn.execute(
        "SELECT s.last_value + s.is_called::int, 'definitions'::regclass::oid::int8"
        " FROM symbols_generation s"
    ).fetchone()
    assert row is not None
    generation = (int(row[0]), int(row[1]))
    key = (id(project.db), project.schema)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None and cached[0] == generation:
        return cached[1]
    table = _load(conn)
    with _cache_lock:
        _cache[key] = (generation, table)
    return table


def _load(conn: Connection) -> SymbolTable:
    # fetchall, not iterating the cursor: psycopg checks its result on every next(), which
    # cost half the load at a million references.
    table = SymbolTable()
    for file_id, path, repository_id, language in conn.execute(
        "SELECT id, path, repository_id, language FROM files WHERE symbols_version IS NOT NULL"
    ).fetchall():
        table.add_file(file_id, path, repository_id, language)
    for row in conn.execute(
        "SELECT id, file_id, path, language, name, qualname, kind, line, col, end_line, scope,"
        " bases FROM definitions ORDER BY file_id, line, col"
    ).fetchall():
        def_id, file_id, path, language, name, qualname, kind, line, col, end, scope = row[:11]
        table.add_def(
            Def(
                def_id,
                file_id,
                path,
                language,
                name,
                qualname,
                kind,
                line,
                col,
                end,
                scope,
                tuple(row[11]),
            )
        )
    for file_id, alias, module, name in conn.execute(
        "SELECT file_id, alias, module, name FROM symbol_imports ORDER BY file_id, line, col"
    ).fetchall():
        table.add_binding(file_id, alias, module, name)
    table.index_modules()
    return table
