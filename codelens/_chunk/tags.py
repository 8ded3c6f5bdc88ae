"""Definitions, references and import bindings of a file, read off its tree-sitter tree.

What is extracted here is raw: names as written, each with the dotted expression it was
reached through (its qualifier), the definition it sits in (its scope) and, for Python,
the file's import bindings. Nothing here looks at other files; resolution (which
definition a reference means) is :mod:`codelens._symbols`' job, at query time, so that a
file's facts never go stale when another file changes.

Python is read with codelens' own query (methods, qualifiers, imports, bases); the other
languages with the ``tags.scm`` query their grammar wheel ships, or codelens' own where it
ships none or a broken one.
"""

from __future__ import annotations

import dataclasses
import importlib
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TypeVar

import tree_sitter
from tree_sitter import Node

from codelens._chunk.grammars import _WHEELS, AST_LANGUAGES, grammar
from codelens._languages import CONFIG_LANGUAGES

__all__ = [
    "SYMBOLS_VERSION",
    "Definition",
    "FileSymbols",
    "ImportBinding",
    "Reference",
    "extract_symbols",
    "module_of_path",
]

# Stored with every file's symbols: a new value has every file's symbols extracted again.
SYMBOLS_VERSION = 3
# A qualifier that is an expression codelens does not follow (a call, a subscript, ...).
UNKNOWN = "?"
_MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class Definition:
    """A named definition: ``qualname`` nests it in its enclosing definitions (``C.m``)."""

    name: str
    qualname: str
    kind: str  # function, method, class, constant, interface, module, type, macro
    line: int  # 1-based
    column: int  # 1-based, in characters
    end_line: int
    scope: str  # the enclosing definition's qualname, "" at module level
    # A class's bases as written (dotted names); a function's return annotation, a
    # variable's type (the class it is annotated with or assigned an instance of).
    bases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Reference:
    """A use of a name: ``qualifier`` is what it was reached through (``self``, ``os.path``,
    ``""`` for a bare name, ``"?"`` for an expression not followed)."""

    name: str
    qualifier: str
    kind: str  # call, import, inherit, attribute, decorator, type
    line: int
    column: int
    scope: str


@dataclass(frozen=True, slots=True)
class ImportBinding:
    """A name an import statement binds in a Python file.

    ``import a.b`` binds ``a`` (module ``a.b``, name None); ``import a.b as c`` binds
    ``c``; ``from m import x as y`` binds ``y`` to ``x`` of module ``m``; ``from m import
    *`` has name ``*``. Relative modules are made absolute from the file's path.
    """

    alias: str
    module: str
    name: str | None
    line: int
    column: int


@dataclass(slots=True)
class FileSymbols:
    """A file's symbols, read as ``language`` (a notebook's: its code cells')."""

    language: str | None = None
    definitions: list[Definition] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    imports: list[ImportBinding] = field(default_factory=list)

    def shifted(self, lines: int) -> FileSymbols:
        """The same symbols ``lines`` further down (a notebook cell among the others)."""
        return FileSymbols(
            self.language,
            [_shift(d, lines) for d in self.definitions],
            [_shift(r, lines) for r in self.references],
            [_shift(i, lines) for i in self.imports],
        )

    def extend(self, other: FileSymbols) -> None:
        self.language = self.language or other.language
        self.definitions += other.definitions
        self.references += other.references
        self.imports += other.imports


_T = TypeVar("_T", Definition, Reference, ImportBinding)


def _shift(item: _T, lines: int) -> _T:
    if isinstance(item, Definition):
        return dataclasses.replace(item, line=item.line + lines, end_line=item.end_line + lines)
    return dataclasses.replace(item, line=item.line + lines)


# Read with ``QueryCursor.captures``: one capture per pattern, named for the kind, so no
# per-match dictionaries are built (``matches`` cost nearly twice as much); the name and
# qualifier of each capture are read off its node by field (``_python_name``).
_PYTHON_QUERY = """
(class_definition name: (identifier)) @class
(function_definition name: (identifier)) @function
(assignment left: (identifier)) @assign
(assignment left: (attribute object: (identifier) attribute: (identifier))) @self
(typed_parameter . (identifier)) @param
(typed_default_parameter name: (identifier)) @param
(list_splat_pattern (identifier)) @varargs
(dictionary_splat_pattern (identifier)) @varargs
(call function: (identifier)) @call
(attribute object: (_) attribute: (identifier)) @attribute
(decorator (identifier)) @decorator
(import_statement) @import
(import_from_statement) @import
"""

_DEFINITION_KINDS = {"class", "function"}
# Variables: a module's or class's names, and the typed ones of functions (a parameter
# with an annotation, ``*args`` and ``**kwargs``, ``x = Class(...)``, ``self.x =
# Class(...)``), whose type lets ``x.method()`` resolve. They never hold references: they
# open no scope.
_VARIABLE_KINDS = {"assign", "self", "param", "varargs"}
_CLASS_LIKE = {"class", "interface", "module", "type", "object"}


@cache
def _python_query() -> tree_sitter.Query:
    return tree_sitter.Query(grammar("python"), _PYTHON_QUERY)


# What the wheels' tags.scm miss: calls in C and C++ (they tag none), and TypeScript's
# tags, which assume JavaScript's are read with them (classes, functions, calls).
_EXTRA_TAGS = {
    "c": "(call_expression function: (identifier) @name) @reference.call",
    "cpp": """
(call_expression function: (identifier) @name) @reference.call
(call_expression function: (field_expression field: (field_identifier) @name)) @reference.call
(call_expression function: (qualified_identifier name: (identifier) @name)) @reference.call
""",
    # PHP's tags miss a call of a plain (unqualified) function name.
    "php": "(function_call_expression function: (name) @name) @reference.call",
    # Scala's tag ``new C`` as an interface reference and miss method calls (``xs.map(f)``).
    "scala": """
(instance_expression (type_identifier) @name) @reference.class
(call_expression function: (field_expression field: (identifier) @name)) @reference.call
""",
    # The grammars below ship no tags.scm: these follow its conventions, on the node
    # types the chunker reads (codelens._chunk.languages).
    "csharp": """
(namespace_declaration name: (_) @name) @definition.module
(class_declaration name: (identifier) @name) @definition.class
(record_declaration name: (identifier) @name) @definition.class
(struct_declaration name: (identifier) @name) @definition.class
(interface_declaration name: (identifier) @name) @definition.interface
(enum_declaration name: (identifier) @name) @definition.type
(method_declaration name: (identifier) @name) @definition.method
(constructor_declaration name: (identifier) @name) @definition.method
(local_function_statement name: (identifier) @name) @definition.function
(base_list (identifier) @name) @reference.implementation
(base_list (generic_name (identifier) @name)) @reference.implementation
(object_creation_expression type: (identifier) @name) @reference.class
(invocation_expression function: (identifier) @name) @reference.call
(invocation_expression function: (member_access_expression name: (identifier) @name))
  @reference.call
""",
    "kotlin": """
(class_declaration "class" name: (identifier) @name) @definition.class
(class_declaration "interface" name: (identifier) @name) @definition.interface
(object_declaration name: (identifier) @name) @definition.object
(function_declaration name: (identifier) @name) @definition.function
(delegation_specifier (constructor_invocation (user_type (identifier) @name)))
  @reference.implementation
(delegation_specifier (user_type (identifier) @name)) @reference.implementation
(call_expression . (identifier) @name) @reference.call
(call_expression . (navigation_expression (identifier) @name .)) @reference.call
""",
    "zig": """
(variable_declaration (identifier) @name
  [(struct_declaration) (union_declaration) (opaque_declaration)]) @definition.class
(variable_declaration (identifier) @name (enum_declaration)) @definition.type
(function_declaration name: (identifier) @name) @definition.function
(call_expression function: (identifier) @name) @reference.call
(call_expression function: (field_expression member: (identifier) @name)) @reference.call
""",
    "shell": """
(function_definition name: (word) @name) @definition.function
(command name: (command_name (word) @name)) @reference.call
""",
    "haskell": """
(class name: (name) @name) @definition.interface
(class_declarations (signature name: (variable) @name) @definition.function)
(data_type name: (name) @name) @definition.class
(newtype name: (name) @name) @definition.class
(type_synonym name: (name) @name) @definition.type
(function name: (variable) @name) @definition.function
(bind name: (variable) @name) @definition.function
(apply function: (variable) @name) @reference.call
(apply function: (qualified id: (variable) @name)) @reference.call
""",
}
_INHERITS_TAGS = {"typescript": "javascript", "tsx": "javascript"}
# Used instead of the wheel's tags.scm: Swift's captures a whole class as the definition
# of each of its methods and properties, which nests every member in the one before it.
_OWN_TAGS = {
    "swift": """
(class_declaration name: (type_identifier) @name) @definition.class
(protocol_declaration name: (type_identifier) @name) @definition.interface
(protocol_function_declaration name: (simple_identifier) @name) @definition.function
(function_declaration name: (simple_identifier) @name) @definition.function
(init_declaration "init" @name) @definition.function
(class_body
  (property_declaration name: (pattern bound_identifier: (simple_identifier) @name))
  @definition.property)
(inheritance_specifier inherits_from: (user_type (type_identifier) @name)) @reference.implementation
(call_expression (simple_identifier) @name) @reference.call
(call_expression
  (navigation_expression suffix: (navigation_suffix suffix: (simple_identifier) @name)))
  @reference.call
""",
}


def _wheel_tags(language: str) -> str:
    module = importlib.import_module(_WHEELS[language][0])
    path = Path(module.__file__ or "").parent / "queries" / "tags.scm"
    return path.read_text(encoding="utf-8") if path.is_file() else ""


@cache
def _tags_query(language: str) -> tree_sitter.Query | None:
    parts = [_OWN_TAGS.get(language) or _wheel_tags(language), _EXTRA_TAGS.get(language, "")]
    if language in _INHERITS_TAGS:
        parts.insert(0, _wheel_tags(_INHERITS_TAGS[language]))
    source = "\n".join(p for p in parts if p)
    return tree_sitter.Query(grammar(language), source) if source else None


def module_of_path(path: str) -> str:
    """The dotted module a Python file's path names from its repository root."""
    parts = path.replace("\\", "/").split("/")
    last = parts[-1]
    for suffix in (".pyi", ".py"):
        if last.endswith(suffix):
            last = last[: -len(suffix)]
            break
    parts[-1] = last
    if last == "__init__":
        parts.pop()
    return ".".join(p for p in parts if p)


class _Source:
    """Byte rows of the parsed text, to turn tree-sitter points into 1-based characters."""

    __slots__ = ("ascii", "data", "starts")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.ascii = data.isascii()
        self.starts: list[int] = []
        if not self.ascii:
            self.starts = [0]
            at = data.find(b"\n")
            while at >= 0:
                self.starts.append(at + 1)
                at = data.find(b"\n", at + 1)

    def column(self, node: Node) -> int:
        row, col = node.start_point
        if self.ascii:
            return col + 1
        start = self.starts[row]
        return len(self.data[start : start + col].decode("utf-8", "replace")) + 1

    def text(self, node: Node) -> str:
        return (node.text or b"").decode("utf-8", "replace")


def extract_symbols(path: str, language: str | None, root: Node, data: bytes) -> FileSymbols:
    """The definitions, references and (Python) imports in the tree ``root`` of ``data``."""
    if language == "python":
        return _python(path, root, _Source(data))
    if language in AST_LANGUAGES and language not in CONFIG_LANGUAGES:
        return _tagged(language, root, _Source(data))
    return FileSymbols()


class _Scopes:
    """Definitions by byte range, to find the innermost one around any position."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int, str]] = []  # start, end, qualname
        self.parents: list[int] = []
        self.starts: list[int] = []

    def build(self, found: list[tuple[Node, Node, str]]) -> list[tuple[Node, Node, str, str, str]]:
        """Give each (node, name node, kind) its qualname and the kind of what holds it,
        outermost first. Variables (``_VARIABLE_KINDS``) open no scope; ``self`` ones
        (``self.x = ...`` in a method) belong to the method's class."""
        found.sort(key=lambda f: (f[0].start_byte, -f[0].end_byte))
        stack: list[tuple[int, str, str, int]] = []  # end byte, qualname, kind, span
        out: list[tuple[Node, Node, str, str, str]] = []
        for node, name, kind in found:
            while stack and stack[-1][0] <= node.start_byte:
                stack.pop()
            scope = stack[-1][1] if stack else ""
            outer_kind = stack[-1][2] if stack else ""
            text = (name.text or b"").decode("utf-8", "replace")[:_MAX_NAME]
            qualname = f"{scope}.{text}" if scope else text
            if kind in _VARIABLE_KINDS:
                if kind == "self":
                    if outer_kind != "method" or len(stack) < 2 or stack[-2][2] != "class":
                        continue
                    qualname, outer_kind = f"{stack[-2][1]}.{text}", "class"
                out.append((node, name, qualname, kind, outer_kind))
                continue
            if kind == "function" and outer_kind in _CLASS_LIKE:
                kind = "method"
            out.append((node, name, qualname, kind, outer_kind))
            self.parents.append(stack[-1][3] if stack else -1)
            stack.append((node.end_byte, qualname, kind, len(self.spans)))
            self.spans.append((node.start_byte, node.end_byte, qualname))
            self.starts.append(node.start_byte)
        return out

    def around(self, at: int) -> str:
        """The qualname of the innermost definition holding byte ``at`` ("" for none)."""
        # Spans nest or are disjoint: the last one starting before ``at`` holds it, or
        # one of its ancestors does.
        i = bisect_right(self.starts, at) - 1
        while i >= 0:
            start, end, qualname = self.spans[i]
            if start <= at < end:
                return qualname
            i = self.parents[i]
        return ""


def _dotted(node: Node, source: _Source) -> str:
    """A qualifier: a dotted chain of names as written, where a part may be a call
    (``Console().file``, ``super()``), or ``?`` for anything else."""
    if node.type == "identifier":
        return source.text(node)
    if node.type == "attribute":
        obj = node.child_by_field_name("object")
        attr = node.child_by_field_name("attribute")
        if obj is not None and attr is not None:
            head = _dotted(obj, source)
            if head not in (UNKNOWN, "super()"):
                return f"{head}.{source.text(attr)}"
        return UNKNOWN
    if node.type == "call":
        function = node.child_by_field_name("function")
        if function is not None and function.type in ("identifier", "attribute"):
            head = _dotted(function, source)
            if head != UNKNOWN and not head.endswith("()"):
                return head + "()"
    return UNKNOWN


# Wrappers whose first argument is the value's class (``Optional[X]``, ``Final[X]``).
_WRAPPERS = frozenset({"Optional", "ClassVar", "Final", "Annotated", "Required", "NotRequired"})
# Generics that hold a class, not an instance of it, or say nothing of the value's type.
_NO_INSTANCE = frozenset({"Type", "type", "Any"})


def _annotation(node: Node | None, source: _Source) -> str | None:
    """The class an annotation names: ``X``, ``m.X``, ``"X"``, ``Optional[X]``, ``X | None``,
    ``Union[X, None]``; a generic's own class for ``List[X]`` or ``t.IO[bytes]`` (what its
    methods are looked up on)."""
    if node is None:
        return None
    if node.type == "type":
        return _annotation(node.named_children[0] if node.named_children else None, source)
    if node.type in ("identifier", "attribute"):
        text = _dotted(node, source)
        return None if text == UNKNOWN or text.rpartition(".")[2] in _NO_INSTANCE else text
    if node.type == "string":
        text = source.text(node).strip("'\"")
        return text if text.replace(".", "").replace("_", "a").isalnum() else None
    if node.type == "binary_operator":  # X | None
        right = node.child_by_field_name("right")
        if right is not None and right.type == "none":
            return _annotation(node.child_by_field_name("left"), source)
        return None
    if node.type in ("subscript", "generic_type"):
        if node.type == "subscript":
            value = node.child_by_field_name("value")
            arguments = node.children_by_field_name("subscript")
        else:
            value = node.children[0] if node.children else None
            held = node.named_children[1] if len(node.named_children) > 1 else None
            arguments = held.named_children if held is not None else []
        if value is None or value.type not in ("identifier", "attribute"):
            return None
        generic = source.text(value).rpartition(".")[2]
        named = [a for a in arguments if a.type != "none"]
        if generic in _WRAPPERS or (generic == "Union" and len(named) == 1):
            return _annotation(named[0], source) if named else None
        if generic == "Union":
            return None
        return _annotation(value, source)
    return None


def _declared_type(node: Node, kind: str, source: _Source) -> str | None:
    """The class a variable holds an instance of, when its code says: its annotation, or
    the class (or factory) whose call is assigned to it."""
    if kind == "varargs":  # whatever its annotation says of the values
        return "dict" if node.type == "dictionary_splat_pattern" else "tuple"
    declared = _annotation(node.child_by_field_name("type"), source)
    if declared is not None or kind == "param":
        return declared
    right = node.child_by_field_name("right")
    if right is not None and right.type == "identifier" and kind == "self":
        return _parameter_type(node, source.text(right), source)
    if right is not None and right.type == "call":
        function = right.child_by_field_name("function")
        if function is not None and function.type in ("identifier", "attribute"):
            text = _dotted(function, source)
            return None if text == UNKNOWN or "()" in text else text
    return None


def _parameter_type(node: Node, name: str, source: _Source) -> str | None:
    """The annotated class of parameter ``name`` of the function ``node`` is in:
    ``self.loader = loader`` holds what ``loader: BaseLoader`` says."""
    at = node.parent
    while at is not None and at.type not in ("function_definition", "class_definition"):
        at = at.parent
    if at is None or at.type != "function_definition":
        return None
    parameters = at.child_by_field_name("parameters")
    for parameter in parameters.named_children if parameters is not None else ():
        if parameter.type not in ("typed_parameter", "typed_default_parameter"):
            continue
        named = parameter.child_by_field_name("name") or parameter.named_children[0]
        if source.text(named) == name:
            return _annotation(parameter.child_by_field_name("type"), source)
    return None


def _python(path: str, root: Node, source: _Source) -> FileSymbols:
    found = tree_sitter.QueryCursor(_python_query()).captures(root)
    out = FileSymbols("python")
    defs: list[tuple[Node, Node, str]] = []
    for kind in ("class", "function"):
        defs += [(node, _field(node, "name"), kind) for node in found.get(kind, ())]
    defs += [(node, _field(node, "left"), "assign") for node in found.get("assign", ())]
    for node in found.get("self", ()):
        left = _field(node, "left")
        if _field(left, "object").text == b"self":
            defs.append((node, _field(left, "attribute"), "self"))
    for node in found.get("param", ()):
        name = node.child_by_field_name("name") or node.named_children[0]
        defs.append((node, name, "param"))
    for node in found.get("varargs", ()):
        holder = node.parent
        if holder is not None and holder.type == "typed_parameter":
            holder = holder.parent
        if holder is not None and holder.type == "parameters":  # not ``a, *b = ...``
            defs.append((node, node.named_children[0], "varargs"))
    refs: list[tuple[Node, str, str]] = []  # name node, qualifier, kind
    refs += [(_field(node, "function"), "", "call") for node in found.get("call", ())]
    for node in found.get("decorator", ()):
        name = next(c for c in node.named_children if c.type == "identifier")
        refs.append((name, "", "decorator"))
    for node in found.get("attribute", ()):
        # One pattern for every attribute: what holds it says whether it is called,
        # decorates, or is written. Separate call and decorator patterns matched the
        # same nodes again and cost the query twice as much.
        kind = "attribute"
        parent = node.parent
        if parent is not None:
            held_by = parent.type
            if held_by == "call":
                if parent.child_by_field_name("function") == node:
                    kind = "call"
            elif held_by == "decorator":
                kind = "decorator"
            elif held_by in ("assignment", "augmented_assignment"):
                if parent.child_by_field_name("left") == node:
                    continue  # a write
            elif (
                held_by == "argument_list"
                and parent.parent is not None
                and parent.parent.type == "class_definition"
            ):
                continue  # a base: read with its class
        refs.append((_field(node, "attribute"), _dotted(_field(node, "object"), source), kind))
    # In source order of their names, the order the query's matches came in.
    refs.sort(key=lambda r: r[0].start_byte)
    # Both import patterns capture as "import": each pattern's nodes come in a run.
    imports = sorted(found.get("import", ()), key=lambda n: n.start_byte)
    scopes = _Scopes()
    for node, name, qualname, kind, outer in scopes.build(defs):
        scope = qualname.rpartition(".")[0]
        bases: tuple[str, ...] = ()
        if kind == "class":
            bases = _bases(node, source, scope, out, scopes)
        elif kind in ("function", "method"):
            returns = _annotation(node.child_by_field_name("return_type"), source)
            bases = (returns,) if returns is not None else ()
        elif kind in _VARIABLE_KINDS:
            declared = _declared_type(node, kind, source)
            if declared is None and (kind != "assign" or outer not in ("", "class")):
                continue  # a function's untyped variables: nothing to resolve through
            bases = (declared,) if declared is not None else ()
            if outer not in ("", "class"):
                kind = "local"  # a function's parameter or variable
            elif outer == "" and _is_constant_name(qualname):
                kind = "constant"
            else:
                kind = "variable"
        out.definitions.append(
            Definition(
                qualname.rpartition(".")[2],
                qualname,
                kind,
                name.start_point[0] + 1,
                source.column(name),
                node.end_point[0] + 1,
                scope,
                bases,
            )
        )
    for name, qualifier, kind in refs:
        out.references.append(
            Reference(
                source.text(name)[:_MAX_NAME],
                qualifier[:_MAX_NAME],
                kind,
                name.start_point[0] + 1,
                source.column(name),
                scopes.around(name.start_byte),
            )
        )
    package = module_of_path(path)
    if not path.replace("\\", "/").endswith(("/__init__.py", "/__init__.pyi")) and path not in (
        "__init__.py",
        "__init__.pyi",
    ):
        package = package.rpartition(".")[0]
    for node in imports:
        _imports(node, source, package, scopes, out)
    return out


def _field(node: Node, name: str) -> Node:
    """A child the query's pattern guarantees."""
    child = node.child_by_field_name(name)
    assert child is not None
    return child


def _is_constant_name(name: str) -> bool:
    return name.isupper() or name.strip("_").isupper()


def _bases(
    node: Node, source: _Source, scope: str, out: FileSymbols, scopes: _Scopes
) -> tuple[str, ...]:
    arguments = node.child_by_field_name("superclasses")
    if arguments is None:
        return ()
    bases = []
    for child in arguments.named_children:
        if child.type == "subscript":  # Generic[T], Base[int]
            value = child.child_by_field_name("value")
            if value is None:
                continue
            child = value
        if child.type not in ("identifier", "attribute"):
            continue  # metaclass=..., *bases
        text = _dotted(child, source)
        if text == UNKNOWN:
            continue
        bases.append(text)
        qualifier, _, name = text.rpartition(".")
        name_node = child.child_by_field_name("attribute") if child.type == "attribute" else child
        column = source.column(name_node) if name_node is not None else source.column(child)
        out.references.append(
            Reference(name, qualifier, "inherit", child.start_point[0] + 1, column, scope)
        )
    return tuple(bases)


def _relative(module_node: Node, source: _Source, package: str) -> str:
    """A ``from`` statement's module, relative ones made absolute from the file's package."""
    text = source.text(module_node).replace(" ", "")
    if module_node.type != "relative_import":
        return text
    dots = len(text) - len(text.lstrip("."))
    rest = text[dots:]
    parts = package.split(".") if package else []
    if dots - 1 > len(parts):
        return text  # above the repository's root: left relative, resolves to nothing
    base = parts[: len(parts) - (dots - 1)]
    return ".".join([*base, rest] if rest else base)


def _imports(node: Node, source: _Source, package: str, scopes: _Scopes, out: FileSymbols) -> None:
    scope = scopes.around(node.start_byte)
    line = node.start_point[0] + 1
    if node.type == "import_statement":
        for child in node.children_by_field_name("name"):
            if child.type == "aliased_import":
                target = child.child_by_field_name("name")
                alias_node = child.child_by_field_name("alias")
                if target is None or alias_node is None:
                    continue
                module, alias = source.text(target), source.text(alias_node)
            else:
                module = source.text(child)
                alias = module.split(".")[0]
            column = source.column(child)
            out.imports.append(ImportBinding(alias, module, None, line, column))
            qualifier, _, name = module.rpartition(".")
            out.references.append(Reference(name, qualifier, "import", line, column, scope))
        return
    module_node = node.child_by_field_name("module_name")
    if module_node is None:
        return
    module = _relative(module_node, source, package)
    if any(c.type == "wildcard_import" for c in node.children):
        out.imports.append(ImportBinding("*", module, "*", line, source.column(module_node)))
        return
    for child in node.children_by_field_name("name"):
        if child.type == "aliased_import":
            target = child.child_by_field_name("name")
            alias_node = child.child_by_field_name("alias")
            if target is None or alias_node is None:
                continue
            name, alias = source.text(target), source.text(alias_node)
            at = target
        else:
            name = alias = source.text(child)
            at = child
        column = source.column(at)
        out.imports.append(ImportBinding(alias, module, name, line, column))
        out.references.append(Reference(name, module, "import", line, column, scope))


_TAG_KINDS = {
    "reference.call": "call",
    "reference.class": "type",
    "reference.type": "type",
    "reference.implementation": "inherit",
}


def _whole(node: Node) -> Node:
    """A definition's whole node: C and C++ tags mark a function's declarator alone, so
    its body (and the calls in it) would fall outside it."""
    at: Node | None = node
    while at is not None and at.type.endswith("declarator"):
        at = at.parent
    return at if at is not None and at.type == "function_definition" else node


def _tagged(language: str, root: Node, source: _Source) -> FileSymbols:
    query = _tags_query(language)
    out = FileSymbols(language)
    if query is None:
        return out
    defs: list[tuple[Node, Node, str]] = []
    refs: list[tuple[Node, str]] = []
    seen: set[tuple[int, str]] = set()
    ignored: set[int] = set()
    for _, captures in tree_sitter.QueryCursor(query).matches(root):
        # tags.scm's convention (Elixir's): a node captured as @ignore is tagged by no
        # other pattern (``def`` and ``@doc`` are no calls).
        ignored.update(node.start_byte for node in captures.get("ignore", ()))
        names = captures.get("name")
        if not names:
            continue
        name = names[0]
        for capture, nodes in captures.items():
            if capture.startswith("definition."):
                key = (name.start_byte, "d")
                if key not in seen:
                    seen.add(key)
                    defs.append((_whole(nodes[0]), name, capture.partition(".")[2]))
            elif capture in _TAG_KINDS:
                key = (name.start_byte, "r")
                if key not in seen:
                    seen.add(key)
                    refs.append((name, _TAG_KINDS[capture]))
    named = {name.start_byte for _, name, _ in defs} | ignored
    # Some tags (Ruby's, Go's) also tag a definition's own name as a use of it.
    refs = [(name, kind) for name, kind in refs if name.start_byte not in named]
    scopes = _Scopes()
    for node, name, qualname, kind, _ in scopes.build(defs):
        out.definitions.append(
            Definition(
                qualname.rpartition(".")[2],
                qualname,
                kind,
                name.start_point[0] + 1,
                source.column(name),
                node.end_point[0] + 1,
                qualname.rpartition(".")[0],
            )
        )
    for name, kind in refs:
        out.references.append(
            Reference(
                source.text(name)[:_MAX_NAME],
                "",
                kind,
                name.start_point[0] + 1,
                source.column(name),
                scopes.around(name.start_byte),
            )
        )
    return out
