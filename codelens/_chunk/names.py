"""How each grammar names its definitions: the handlers of the chunker's language specs.

A handler looks at one node and says what definition it is (kind, name, whether
its members get chunks of their own, its body), or None when it is plain code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from tree_sitter import Node

__all__ = [
    "Found",
    "Handler",
    "c_declaration",
    "c_function",
    "c_record",
    "c_typedef",
    "elixir_call",
    "go_method",
    "go_type",
    "haskell_instance",
    "haskell_named",
    "js_expression",
    "js_field",
    "js_variable",
    "kotlin_class",
    "kotlin_function",
    "kotlin_object",
    "lua_assignment",
    "lua_function",
    "named",
    "rust_impl",
    "rust_mod",
    "scoped",
    "swift_type",
    "text_of",
    "ts_module",
    "zig_test",
    "zig_variable",
]

_FUNCTION_VALUES = frozenset(
    {"arrow_function", "function_expression", "function", "generator_function"}
)


class Found(NamedTuple):
    kind: str
    name: str
    container: bool
    body: Node | None


Handler = Callable[[Node], Found | None]


def text_of(node: Node | None) -> str:
    raw = node.text if node is not None else None
    if not raw:
        return ""
    text = raw.decode("utf-8", "replace")
    if text.isidentifier():  # nearly always, and then nothing to tidy
        return text
    # Qualified names use the symbol path separator of every language.
    return " ".join(text.split()).replace("::", ".")


def named(node: Node, kind: str, container: bool) -> Found | None:
    body = node.child_by_field_name("body")
    if body is None and not container and kind in ("function", "method"):
        return None  # a declaration without a body is not a definition
    return Found(kind, text_of(node.child_by_field_name("name")), container, body)


def c_function(node: Node) -> Found | None:
    declarator = _function_declarator(node)
    if declarator is None or _bogus_old_style(node, declarator):
        return None
    name = _declared_name(declarator.child_by_field_name("declarator"))
    return Found("function", name, False, node.child_by_field_name("body"))


def c_declaration(node: Node) -> Found | None:
    """A prototype or a function pointer (``int (*on_read)(int fd);``): a header's API.
    Several declarators in one declaration stay plain code."""
    if len(node.children_by_field_name("declarator")) != 1:
        return None
    declarator = _function_declarator(node)
    if declarator is None:
        return None
    name = _declared_name(declarator.child_by_field_name("declarator"))
    return Found("declaration", name, False, None)


def _function_declarator(node: Node) -> Node | None:
    declarator = node.child_by_field_name("declarator")
    for _ in range(8):  # pointer, reference and parenthesized declarators wrap the function's
        if declarator is None or declarator.type == "function_declarator":
            break
        inner = declarator.child_by_field_name("declarator")
        if inner is None and declarator.named_child_count:
            inner = declarator.named_children[-1]
        declarator = inner
    return (
        declarator if declarator is not None and declarator.type == "function_declarator" else None
    )


def _bogus_old_style(node: Node, declarator: Node) -> bool:
    """Declarations between the signature and the body are an old-style (K&R) definition's
    parameters, which need names in its parameter list: a macro the parser did not know
    otherwise makes one "function" of every declaration up to the next body."""
    if not any(child.type == "declaration" for child in node.named_children):
        return False
    params = declarator.child_by_field_name("parameters")
    return (
        params is None
        or not params.named_child_count
        or any(p.type != "identifier" for p in params.named_children)
    )


def _declared_name(node: Node | None) -> str:
    """The identifier a declarator declares: ``(*on_read)`` and ``*const p`` name
    ``on_read`` and ``p``, never the text around them."""
    for _ in range(8):
        if node is None or node.type not in ("parenthesized_declarator", "pointer_declarator"):
            break
        inner = node.child_by_field_name("declarator")
        if inner is None and node.named_child_count:
            inner = node.named_children[-1]
        node = inner
    return _qualified(node)


def _qualified(node: Node | None) -> str:
    """``ns::Matrix<T>::at`` as ``ns.Matrix.at``: the symbol path of its class, if any."""
    parts = []
    for _ in range(16):
        if node is None:
            break
        if node.type != "qualified_identifier":
            if node.type == "template_function":
                node = node.child_by_field_name("name")
            parts.append(text_of(node))
            break
        scope = node.child_by_field_name("scope")
        if scope is not None and scope.type == "template_type":
            scope = scope.child_by_field_name("name")
        parts.append(text_of(scope))
        node = node.child_by_field_name("name")
    return ".".join(part for part in parts if part)


def c_typedef(node: Node) -> Found | None:
    inner = node.child_by_field_name("type")
    if inner is None or inner.type not in _C_RECORDS:
        return None
    body = inner.child_by_field_name("body")
    if body is None:
        return None
    name = text_of(node.child_by_field_name("declarator"))
    return Found(_C_RECORDS[inner.type], name, False, body)


_C_RECORDS = {"struct_specifier": "struct", "union_specifier": "struct", "enum_specifier": "enum"}


def c_record(container: bool) -> Handler:
    def handle(node: Node) -> Found | None:
        body = node.child_by_field_name("body")
        if body is None:
            return None
        kind = _C_RECORDS.get(node.type, "class")
        return Found(kind, text_of(node.child_by_field_name("name")), container, body)

    return handle


def go_method(node: Node) -> Found | None:
    receiver = node.child_by_field_name("receiver")
    param = receiver.named_children[0] if receiver and receiver.named_child_count else None
    owner = text_of(param.child_by_field_name("type") if param else None)
    owner = owner.lstrip("*").split("[", 1)[0]
    name = text_of(node.child_by_field_name("name"))
    body = node.child_by_field_name("body")
    return Found("method", f"{owner}.{name}" if owner else name, False, body)


def go_type(node: Node) -> Found | None:
    specs = [c for c in node.named_children if c.type in ("type_spec", "type_alias")]
    if len(specs) != 1:
        return None  # a grouped type (...) block reads as plain declarations
    value = specs[0].child_by_field_name("type")
    kind = {"struct_type": "struct", "interface_type": "interface"}.get(
        value.type if value else "", "type"
    )
    return Found(kind, text_of(specs[0].child_by_field_name("name")), False, None)


def rust_impl(node: Node) -> Found | None:
    owner = text_of(node.child_by_field_name("type")).split("<", 1)[0]
    owner = owner.replace("&", "").replace("mut ", "").replace("dyn ", "").strip()
    return Found("impl", owner, True, node.child_by_field_name("body"))


def rust_mod(node: Node) -> Found | None:
    body = node.child_by_field_name("body")
    if body is None:
        return None  # `mod foo;` only names a file
    return Found("namespace", text_of(node.child_by_field_name("name")), True, body)


def js_variable(node: Node) -> Found | None:
    declarators = [c for c in node.named_children if c.type == "variable_declarator"]
    if len(declarators) != 1:
        return None
    return _js_value(declarators[0].child_by_field_name("value"), declarators[0], "name")


def _js_value(value: Node | None, owner: Node, name_field: str) -> Found | None:
    if value is None:
        return None
    name = text_of(owner.child_by_field_name(name_field))
    if value.type in _FUNCTION_VALUES:
        return Found("function", name, False, value.child_by_field_name("body"))
    if value.type == "class":
        return Found("class", name, True, value.child_by_field_name("body"))
    return None


def js_field(node: Node) -> Found | None:
    name_field = "property" if node.child_by_field_name("property") else "name"
    return _js_value(node.child_by_field_name("value"), node, name_field)


def js_expression(node: Node) -> Found | None:
    inner = node.named_children[0] if node.named_child_count else None
    if inner is None:
        return None
    if inner.type == "internal_module":
        return named(inner, "namespace", True)
    if inner.type == "assignment_expression":
        return _js_value(inner.child_by_field_name("right"), inner, "left")
    return None


def ts_module(node: Node) -> Found | None:
    found = named(node, "namespace", True)
    if found is None or found.body is None:
        return None
    return found._replace(name=found.name.strip("\"'"))


def scoped(kind: str) -> Handler:
    """A namespace or package that holds code only in braces (``namespace A\\B;`` names a file's)."""

    def handle(node: Node) -> Found | None:
        body = node.child_by_field_name("body")
        if body is None:
            return None
        name = text_of(node.child_by_field_name("name")).replace("\\", ".")
        return Found(kind, name, True, body)

    return handle


def _child_of_type(node: Node, types: frozenset[str]) -> Node | None:
    return next((c for c in node.named_children if c.type in types), None)


_KOTLIN_BODIES = frozenset({"class_body", "enum_class_body"})


def kotlin_class(node: Node) -> Found | None:
    body = _child_of_type(node, _KOTLIN_BODIES)
    if any(c.type == "interface" for c in node.children):
        kind = "interface"
    elif body is not None and body.type == "enum_class_body":
        kind = "enum"
    else:
        kind = "class"
    return Found(kind, text_of(node.child_by_field_name("name")), True, body)


def kotlin_object(node: Node) -> Found | None:
    """``object Catalogue``, or a class's ``companion object`` (named ``Companion`` by default)."""
    body = _child_of_type(node, _KOTLIN_BODIES)
    name = text_of(node.child_by_field_name("name")) or "Companion"
    return Found("class", name, True, body)


def kotlin_function(node: Node) -> Found | None:
    body = _child_of_type(node, frozenset({"function_body"}))
    if body is None:
        return None  # an abstract or interface member: a declaration
    name_node = node.child_by_field_name("name")
    name = text_of(name_node)
    # An extension function (``fun Loan.isOverdue()``) belongs to its receiver's type.
    receiver = name_node.prev_named_sibling if name_node is not None else None
    if receiver is not None and receiver.type in ("user_type", "nullable_type"):
        owner = text_of(receiver).split("<", 1)[0].rstrip("?")
        name = f"{owner}.{name}"
    return Found("function", name, False, body)


_SWIFT_KINDS = {"struct": "struct", "enum": "enum", "extension": "impl"}


def swift_type(node: Node) -> Found | None:
    """A class, struct, enum, actor or extension (one node type in this grammar)."""
    keyword = node.child_by_field_name("declaration_kind")
    kind = _SWIFT_KINDS.get(keyword.type if keyword is not None else "", "class")
    name = text_of(node.child_by_field_name("name")).split("<", 1)[0]
    return Found(kind, name, True, node.child_by_field_name("body"))


def lua_function(node: Node) -> Found | None:
    """``function M.load(path)``, ``local function trim(s)``, ``function Server:start()``."""
    name_node = node.child_by_field_name("name")
    kind = (
        "method"
        if name_node is not None and name_node.type == "method_index_expression"
        else "function"
    )
    name = text_of(name_node).replace(":", ".")
    return Found(kind, name, False, node.child_by_field_name("body"))


def lua_assignment(node: Node) -> Found | None:
    """``M.on_error = function(err) ... end`` and ``local f = function() ... end``."""
    if node.type == "variable_declaration":
        node = _child_of_type(node, frozenset({"assignment_statement"})) or node
    names = _child_of_type(node, frozenset({"variable_list"}))
    values = _child_of_type(node, frozenset({"expression_list"}))
    if names is None or values is None or names.named_child_count != 1:
        return None
    if values.named_child_count != 1 or values.named_children[0].type != "function_definition":
        return None
    value = values.named_children[0]
    return Found("function", text_of(names), False, value.child_by_field_name("body"))


_ZIG_CONTAINERS = {
    "struct_declaration": "struct",
    "union_declaration": "struct",
    "opaque_declaration": "struct",
    "enum_declaration": "enum",
}


def zig_variable(node: Node) -> Found | None:
    """``pub const Point = struct { ... };``: a type is a constant holding a container."""
    value = _child_of_type(node, frozenset(_ZIG_CONTAINERS))
    name = _child_of_type(node, frozenset({"identifier"}))
    if value is None or name is None:
        return None
    return Found(_ZIG_CONTAINERS[value.type], text_of(name), True, value)


def zig_test(node: Node) -> Found | None:
    label = _child_of_type(node, frozenset({"string", "identifier"}))
    name = text_of(label).strip('"') if label is not None else ""
    return Found(
        "function", f"test {name}".strip(), False, _child_of_type(node, frozenset({"block"}))
    )


# Elixir defines everything by calling a macro: ``def name(args) do ... end``.
_ELIXIR_FUNCTIONS = {
    "def": "function",
    "defp": "function",
    "defdelegate": "function",
    "defguard": "function",
    "defguardp": "function",
    "defn": "function",
    "defnp": "function",
    "defmacro": "macro",
    "defmacrop": "macro",
}
_ELIXIR_MODULES = {"defmodule": "namespace", "defprotocol": "interface", "defimpl": "impl"}


def elixir_call(node: Node) -> Found | None:
    target = node.child_by_field_name("target")
    if target is None or target.type != "identifier":
        return None
    macro = text_of(target)
    args = _child_of_type(node, frozenset({"arguments"}))
    if args is None or not args.named_child_count:
        return None
    body = _child_of_type(node, frozenset({"do_block"}))
    head = args.named_children[0]
    if macro in _ELIXIR_MODULES:
        name = text_of(head) if head.type == "alias" else ""
        if macro == "defimpl":
            # ``defimpl Proto, for: Type`` compiles to the module ``Proto.Type``.
            for_type = _elixir_keyword(args, "for")
            name = f"{name}.{for_type}" if name and for_type else name
        return Found(_ELIXIR_MODULES[macro], name, True, body)
    kind = _ELIXIR_FUNCTIONS.get(macro)
    if kind is None:
        return None
    if head.type == "binary_operator" and text_of(head.child_by_field_name("operator")) == "when":
        head = head.child_by_field_name("left") or head  # ``def f(x) when x > 0``
    if head.type == "call":
        head = head.child_by_field_name("target") or head
    if head.type != "identifier":
        return None  # an operator definition or unquoted name: plain code
    return Found(kind, text_of(head), False, body)


def _elixir_keyword(args: Node, key: str) -> str:
    for keywords in args.named_children:
        if keywords.type != "keywords":
            continue
        for pair in keywords.named_children:
            pair_key = pair.child_by_field_name("key")
            if pair_key is not None and text_of(pair_key).rstrip(": ") == key:
                return text_of(pair.child_by_field_name("value"))
    return ""


def haskell_named(kind: str, container: bool, body_field: str | None = None) -> Handler:
    """A Haskell declaration: its body is a field, or (for functions) the node itself."""

    def handle(node: Node) -> Found | None:
        body = node.child_by_field_name(body_field) if body_field else None
        return Found(kind, text_of(node.child_by_field_name("name")), container, body)

    return handle


def haskell_instance(node: Node) -> Found | None:
    """``instance Pretty Instr where``: the methods belong to the type, as in a Rust impl."""
    patterns = text_of(node.child_by_field_name("patterns")).strip("() ")
    name = patterns.split(" ", 1)[0] or text_of(node.child_by_field_name("name"))
    return Found("impl", name, True, node.child_by_field_name("declarations"))
