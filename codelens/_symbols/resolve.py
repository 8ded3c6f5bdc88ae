"""Which definition a reference means.

Resolution runs when a question is asked, over the references stored per file and the
project's definitions and import bindings (:mod:`codelens._symbols.table`). Nothing
resolved is stored, so an incremental run that changes one file changes the answers for
every reference into it or out of it at once, and no pass over unchanged files is needed.

Python is resolved the way the interpreter binds names: a bare name through the
enclosing functions, the module, its imports (``import a.b as c``, ``from .x import y as
z``, star imports, re-exports through ``__init__`` and other modules) and the
class members reached through a class name; ``self.m()``/``cls.m()`` through the
enclosing class and its bases in the project; ``super().m()`` through the bases;
``mod.f()`` through a module bound by an import; a value's type through a parameter's or
variable's annotation (a generic's own class: ``List[X]`` is a list), an attribute
assigned an annotated parameter (``self.stream = stream``), ``*args`` and ``**kwargs``
(a tuple and a dict), a class (or annotated factory) called into it, and a property's
return annotation. A name the interpreter would find nowhere in the project (a builtin,
a local variable, a parameter, a member ``super()`` or ``self`` inherit from a base
outside the project, a method of a value typed with a class from outside: ``t.IO``,
``dict``) resolves to nothing in it. What stays unknown (``obj.m()`` on a value of
unknown type) is matched by name and marked ``name-only``, as are the references of
every other language: a definition of that name in the same file first, then the same
folder, then anywhere. A Python ``obj.m()`` matched by name means a method ``m`` where
the project has one (not an attribute of that name holding a value), and of a family of
overrides the one they override: what a declared type would say. It means nothing when
its candidates spread over more than a few files, or when ``m`` is also a builtin type's
method (``update``, ``write``) that more than a couple of the project's classes define:
listing every one of them would be wrong far more often than right.
"""

from __future__ import annotations

import builtins
import io
import threading
import weakref
from typing import NamedTuple

from codelens._chunk.tags import UNKNOWN
from codelens._symbols.table import Binding, Def, FileInfo, SymbolTable

__all__ = [
    "EXTERNAL",
    "IMPORT",
    "NAME_ONLY",
    "SCOPE",
    "SELF",
    "Resolved",
    "Resolver",
    "by_name",
    "resolver_of",
]

IMPORT, SCOPE, SELF, NAME_ONLY = "import", "scope", "self", "name-only"
EXTERNAL = "external"  # bound to something outside the project (the stdlib, a dependency)
_BUILTINS = frozenset(dir(builtins))
_MAX_HOPS = 12
# A call on a value of unknown type (``x.m()``) matched by name means nothing when the
# candidates spread over more files than this, or more classes (not counting overrides):
# too many classes could be meant (aider weighs names defined in more than five files
# down, for the same reason).
_MAX_NAME_ONLY_FILES = 3
_MAX_NAME_ONLY_CLASSES = 3
# ... nor when it is a method of a builtin type (``d.update()``, ``f.write()``) that more
# classes of the project than this define: the value is as likely a dict or a file.
_MAX_BUILTIN_CLASSES = 2
_BUILTIN_METHODS = frozenset(
    name
    for kind in (
        object,
        str,
        bytes,
        bytearray,
        int,
        float,
        list,
        tuple,
        dict,
        set,
        frozenset,
        io.TextIOWrapper,  # what open() gives
        io.BufferedRandom,
    )
    for name in dir(kind)
)
_BY_CLASS = frozenset({"self", "cls", "super()"})
# How a reference uses what it names, as far as resolving it cares.
_HOW_USED = {"import": "import", "call": "call", "decorator": "call"}
# Bases that are no class a member can come from.
_NO_MEMBERS = frozenset({"object", "Generic", "typing.Generic", "Protocol", "typing.Protocol"})


class _Module(NamedTuple):
    info: FileInfo


class _External(NamedTuple):
    pass


class _Local(NamedTuple):
    pass


class _Instance(NamedTuple):
    """A value of a project class: ``self``, ``Class()``, a variable typed ``Class``."""

    cls: Def


_OUTSIDE = _External()
# A name bound in a function (a variable, a parameter): nothing of the project's as a
# bare name, a value of unknown type as a qualifier.
_LOCAL = _Local()
_Target = Def | _Module | _External | _Local | _Instance | None


class Resolved(NamedTuple):
    """What a reference means: ``targets`` (one when resolved; the candidates when
    name-only; none when it leads out of the project) and ``how``."""

    targets: tuple[Def, ...]
    how: str


_NOTHING = Resolved((), EXTERNAL)


def by_name(
    table: SymbolTable,
    name: str,
    info: FileInfo | None,
    language: str | None,
    *,
    member: bool = False,
    calls: bool = False,
) -> tuple[Def, ...]:
    """The definitions a reference by ``name`` alone may mean: those of the same file,
    else the same folder, else all of that language. ``member``: a class's members only;
    ``calls``: of those, the methods and classes, where the project has any."""
    index = table.named(name, language, member, calls)
    if info is None or not index.all:
        return index.all
    same = index.by_file.get(info.id)
    if same:
        return same
    return index.by_folder.get(info.path.rpartition("/")[0]) or index.all


class Resolver:
    """Resolves references against one table; caches what it worked out for one question."""

    def __init__(self, table: SymbolTable) -> None:
        self.table = table
        self._cache: dict[tuple[int, str, str, str, str], Resolved] = {}
        # By the id of a tuple of candidates the table's indexes hold (so the id stays
        # that tuple's for as long as the table lives).
        self._judged: dict[int, Resolved] = {}

    def resolve(
        self,
        file_id: int,
        scope: str,
        qualifier: str,
        name: str,
        language: str | None,
        kind: str = "call",
    ) -> Resolved:
        """What the reference by ``name`` through ``qualifier`` at ``scope`` of a file means."""
        importing = kind == "import"
        key = (
            file_id,
            self._scope_that_counts(file_id, scope, qualifier, name, language, importing),
            qualifier,
            name,
            _HOW_USED.get(kind, ""),
        )
        found = self._cache.get(key)
        if found is None:
            found = self._resolve(file_id, scope, qualifier, name, language, kind)
            self._cache[key] = found
        return found

    def _scope_that_counts(
        self,
        file_id: int,
        scope: str,
        qualifier: str,
        name: str,
        language: str | None,
        importing: bool,
    ) -> str:
        """``scope``, or "" where the answer is the same at every scope of the file: the
        places of a name called from thousands of functions resolve once per file."""
        if language != "python" or importing or not scope:
            return ""
        info = self.table.files.get(file_id)
        if info is None:
            return ""
        # Only the name a bare reference or its qualifier starts with is looked up through
        # the enclosing definitions, and ``self``/``cls``/``super()`` through the class.
        head = qualifier.partition(".")[0] if qualifier else name
        if head in _BY_CLASS or head.removesuffix("()") in info.nested:
            return scope
        return ""

    def _resolve(
        self,
        file_id: int,
        scope: str,
        qualifier: str,
        name: str,
        language: str | None,
        kind: str,
    ) -> Resolved:
        info = self.table.files.get(file_id)
        importing, calling = kind == "import", _HOW_USED.get(kind) == "call"
        if language != "python" or info is None:
            return Resolved(by_name(self.table, name, info, language), NAME_ONLY)
        target: _Target
        if importing:  # from MODULE import name (MODULE made absolute), import MODULE.name
            target = self._in_module(qualifier, info, name, 0) if qualifier else None
            return Resolved((target,), IMPORT) if isinstance(target, Def) else _NOTHING
        if qualifier == "":
            target, how = self._name(info, scope, name, 0)
            if isinstance(target, _Local):
                return _NOTHING
            if target is None:  # a star import from outside may bind it
                return self._unknown(info, name, calling, member=False)
            return self._result(target, how, info, name, calling)
        if qualifier == "super()":
            cls = self._enclosing_class(info, scope)
            if cls is None:
                return self._unknown(info, name, calling)
            for base in self._bases(cls, 0):
                member = self._class_member(base, name, 0)
                if member is not None:
                    return Resolved((member,), SELF)
            # No base in the project has it: the interpreter finds it on a base outside
            # the project, or on ``object``.
            return _NOTHING
        if qualifier == UNKNOWN:
            return self._unknown(info, name, calling)
        head, *rest = qualifier.split(".")
        if head in ("self", "cls"):
            cls = self._enclosing_class(info, scope)
            if cls is None:
                return self._unknown(info, name, calling)
            target, how = _Instance(cls), SELF
            if not rest:
                member = self._class_member(cls, name, 0)
                if member is not None:
                    return Resolved((member,), SELF)
                if self._leaves_project(cls, 0):
                    return _NOTHING  # inherited from a base outside the project
        else:
            called = head.endswith("()")
            target, how = self._name(info, scope, head.removesuffix("()"), 0)
            if called:
                target = self._called(target)
        for part in rest:
            target = self._member(target, part.removesuffix("()"), 0)
            if part.endswith("()"):
                target = self._called(target)
        target = self._member(target, name, 0)
        return self._result(target, how, info, name, calling)

    def _result(
        self, target: _Target, how: str, info: FileInfo, name: str, calling: bool
    ) -> Resolved:
        if isinstance(target, Def):
            return Resolved((target,), how)
        if isinstance(target, _Module | _External | _Instance):
            return _NOTHING
        return self._unknown(info, name, calling)  # a value of unknown type, a member not found

    def _unknown(self, info: FileInfo, name: str, calling: bool, member: bool = True) -> Resolved:
        """Matches by name of a reference codelens cannot follow. A ``member`` (``x.m()``
        on a value of unknown type) means a class's member, never a module's function; a
        call, a method where the project has one of that name (not an attribute that
        holds a value)."""
        found = by_name(self.table, name, info, "python", member=member, calls=calling)
        if not (member and found):
            return Resolved(found, NAME_ONLY)
        # The candidates are one tuple per file, folder or project: judged once each.
        verdict = self._judged.get(id(found))
        if verdict is None:
            too_many = len({d.file_id for d in found}) > _MAX_NAME_ONLY_FILES or (
                name in _BUILTIN_METHODS
                and len(self.table.named(name, "python", True).all) > _MAX_BUILTIN_CLASSES
            )
            kept = () if too_many else self._overridden_least(found)
            if len({(d.file_id, d.scope) for d in kept}) > _MAX_NAME_ONLY_CLASSES:
                kept = ()
            verdict = self._judged[id(found)] = Resolved(kept, NAME_ONLY)
        return verdict

    def _overridden_least(self, found: tuple[Def, ...]) -> tuple[Def, ...]:
        """The candidates no other candidate's class is a base of: ``x.as_const()`` on a
        value of unknown type, where ``Expr.as_const`` and the overrides of a dozen of its
        subclasses match, means what the value's declared type, at most ``Expr``, says;
        an override is what runs, never what a reader of the call can tell is called."""
        classes = {}
        for d in found:
            info = self.table.files.get(d.file_id)
            holder = info.defs.get(d.scope) if info is not None else None
            if holder is None or holder.kind != "class":
                return found  # not methods of classes: nothing to order
            classes[d.id] = holder
        owners = {c.id for c in classes.values()}
        return (
            tuple(
                d for d in found if not any(b.id in owners for b in self._ancestors(classes[d.id]))
            )
            or found
        )

    def _ancestors(self, cls: Def) -> list[Def]:
        """Every base of ``cls`` in the project, their bases, and so on."""
        seen: dict[int, Def] = {}
        todo = [cls]
        while todo and len(seen) <= _MAX_HOPS * 4:
            for base in self._bases(todo.pop(), 0):
                if base.id not in seen and base is not cls:
                    seen[base.id] = base
                    todo.append(base)
        return list(seen.values())

    def _leaves_project(self, cls: Def, hops: int) -> bool:
        """Whether a base of ``cls`` (or of its bases) is a class outside the project."""
        if hops > _MAX_HOPS:
            return False
        bases = self._bases(cls, hops)
        if len(bases) < len([b for b in cls.bases if b not in _NO_MEMBERS]):
            return True
        return any(self._leaves_project(b, hops + 1) for b in bases)

    def _name(self, info: FileInfo, scope: str, name: str, hops: int) -> tuple[_Target, str]:
        """What a bare ``name`` means at ``scope`` in ``info``, and how that was found."""
        # Enclosing functions' own definitions, innermost first; class bodies are not
        # scopes for the functions inside them, only for their own statements.
        at = scope
        first = True
        while at:
            holder = info.defs.get(at)
            if holder is not None and (first or holder.kind not in ("class",)):
                found = info.defs.get(f"{at}.{name}")
                if found is not None:
                    return found, SCOPE
            first = False
            at = at.rpartition(".")[0]
        found = info.defs.get(name)
        if found is not None:
            return found, SCOPE
        binding = info.bindings.get(name)
        if binding is not None:
            return self._binding(info, binding, hops), IMPORT
        for module in info.stars:
            target = self._in_module(module, info, name, hops)
            if target is not None:
                return target, IMPORT
        if name in _BUILTINS:
            return _OUTSIDE, EXTERNAL
        if info.stars:
            return None, NAME_ONLY  # may come from a star import of a module outside
        return _LOCAL, EXTERNAL

    def _binding(self, info: FileInfo, binding: Binding, hops: int) -> _Target:
        if binding.name is None:
            module = binding.module
            if "." in module and binding.alias == module.split(".")[0]:
                module = binding.alias  # import a.b binds a
            found = self.table.module(module, info)
            return _Module(found) if found is not None else _OUTSIDE
        return self._in_module(binding.module, info, binding.name, hops)

    def _in_module(self, module: str, near: FileInfo, name: str, hops: int) -> _Target:
        found = self.table.module(module, near)
        if found is None:
            return _OUTSIDE
        return self._member(_Module(found), name, hops)

    def _member(self, target: _Target, name: str, hops: int) -> _Target:
        """Attribute ``name`` of what ``target`` is."""
        if hops > _MAX_HOPS or target is None or isinstance(target, _Local):
            return None
        if isinstance(target, _External):
            return target
        if isinstance(target, _Module):
            info = target.info
            found = info.defs.get(name)
            if found is not None:
                return found
            binding = info.bindings.get(name)
            if binding is not None:
                # ``from pkg import sub`` in pkg/__init__.py binds the submodule: when the
                # binding leads nowhere, the submodule below still answers.
                bound = self._binding(info, binding, hops + 1)
                if bound is not None:
                    return bound
            submodule = self.table.module(f"{info.module}.{name}", info)
            if submodule is not None:
                return _Module(submodule)
            for module in info.stars:
                star = self._in_module(module, info, name, hops + 1)
                if isinstance(star, Def | _Module):
                    return star
            return None
        if isinstance(target, _Instance):
            return self._class_member(target.cls, name, hops)
        if target.kind == "class":
            return self._class_member(target, name, hops)
        if target.bases and target.kind in ("variable", "constant", "local", "method"):
            # A method read as an attribute and then followed is a property: a bound
            # method has no attributes of the project's, so its return annotation says
            # what the attribute holds.
            cls = self._type_of(target, hops)
            return self._class_member(cls, name, hops) if isinstance(cls, Def) else cls
        return None

    def _called(self, target: _Target) -> _Target:
        """What calling ``target`` gives: an instance of a class; out of the project, out."""
        if isinstance(target, Def) and target.kind == "class":
            return _Instance(target)
        if isinstance(target, _External):
            return target
        if isinstance(target, Def) and target.bases and target.kind in ("function", "method"):
            cls = self._type_of(target, 0)  # its return annotation
            return _Instance(cls) if isinstance(cls, Def) else cls
        return None  # a function's result without an annotation: its type is not known

    def _type_of(self, variable: Def, hops: int) -> Def | _External | None:
        """The project class a typed variable holds an instance of (or a function returns);
        ``_OUTSIDE`` for a class from outside the project (``t.IO``, ``dict``), whose
        methods are none of the project's."""
        info = self.table.files.get(variable.file_id)
        if info is None or hops > _MAX_HOPS:
            return None
        named = variable.bases[0]
        head, *rest = named.split(".")
        target, _ = self._name(info, variable.scope, head, hops + 1)
        for part in rest:
            target = self._member(target, part, hops + 1)
        if isinstance(target, _External):
            # Only a class gives an instance: what a function from outside returns
            # (``getattr(...)``, ``copy.copy(self)``) may well be the project's.
            return target if _is_class_name(named.rpartition(".")[2]) else None
        if not isinstance(target, Def):
            return None
        if target.kind in ("function", "method") and target.bases:
            # x = factory(...): what the factory's return annotation names
            return self._type_of(target, hops + 1)
        return target if target.kind == "class" else None

    def _enclosing_class(self, info: FileInfo, scope: str) -> Def | None:
        at = scope
        while at:
            holder = info.defs.get(at)
            if holder is not None and holder.kind == "class":
                return holder
            if holder is not None and holder.kind in ("variable", "constant"):
                # ``C = wrap(C)`` after the class: its methods are still the class's.
                for d in self.table.by_name.get(holder.name, ()):
                    if d.file_id == info.id and d.qualname == at and d.kind == "class":
                        return d
            at = at.rpartition(".")[0]
        return None

    def _bases(self, cls: Def, hops: int) -> list[Def]:
        info = self.table.files.get(cls.file_id)
        if info is None:
            return []
        found = []
        for base in cls.bases:
            head, *rest = base.split(".")
            target, _ = self._name(info, cls.scope, head, hops + 1)
            for part in rest:
                target = self._member(target, part, hops + 1)
            if isinstance(target, Def) and target.kind == "class" and target is not cls:
                found.append(target)
        return found

    def _class_member(self, cls: Def, name: str, hops: int) -> Def | None:
        """``name`` on class ``cls``: its own, else its bases' in order (depth first)."""
        if hops > _MAX_HOPS:
            return None
        info = self.table.files.get(cls.file_id)
        if info is None:
            return None
        own = info.defs.get(f"{cls.qualname}.{name}")
        if own is not None:
            return own
        for base in self._bases(cls, hops):
            found = self._class_member(base, name, hops + 1)
            if found is not None:
                return found
        return None


def _is_class_name(name: str) -> bool:
    """Whether a name from outside the project names a class: a builtin type (``dict``,
    ``str``) or a CapWords name (``TextIO``, ``Path``), the convention for classes."""
    if name in _BUILTINS:
        return isinstance(getattr(builtins, name), type) and name != "object"
    return name[:1].isupper()


_resolvers: weakref.WeakKeyDictionary[SymbolTable, Resolver] = weakref.WeakKeyDictionary()
_resolvers_lock = threading.Lock()


def resolver_of(table: SymbolTable) -> Resolver:
    """The one resolver of ``table``: what it worked out for one question serves the next,
    for as long as the table is current (a table never changes once loaded)."""
    with _resolvers_lock:
        found = _resolvers.get(table)
        if found is None:
            found = _resolvers[table] = Resolver(table)
        return found
