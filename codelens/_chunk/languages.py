"""Per-language knowledge for the chunker: which tree-sitter nodes are definitions.

A definition is a leaf (function, struct, interface: one chunk, cut into parts
when too long) or a container (class, impl, namespace: its members get their
own chunks and the rest of its lines make the container's chunks).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

from tree_sitter import Node

from codelens._chunk.config_names import (
    hcl_block,
    json_pair,
    make_define,
    make_rule,
    sql_statement,
    toml_table,
    yaml_item,
    yaml_pair,
)
from codelens._chunk.grammars import grammar
from codelens._chunk.names import (
    Found,
    Handler,
    c_declaration,
    c_function,
    c_record,
    c_typedef,
    elixir_call,
    go_method,
    go_type,
    haskell_instance,
    haskell_named,
    js_expression,
    js_field,
    js_variable,
    kotlin_class,
    kotlin_function,
    kotlin_object,
    lua_assignment,
    lua_function,
    named,
    rust_impl,
    rust_mod,
    scoped,
    swift_type,
    ts_module,
    zig_test,
    zig_variable,
)
from codelens._chunk.types import MAX_SYMBOL

__all__ = ["CLASS_LIKE", "Found", "Kinds", "Spec", "classify", "kinds"]

# Functions directly inside these are methods.
CLASS_LIKE = frozenset({"class", "struct", "impl", "trait", "interface", "enum"})


@dataclass(frozen=True, slots=True)
class Spec:
    defs: Mapping[str, tuple[str, bool]]
    special: Mapping[str, Handler] = field(default_factory=dict)
    wrappers: frozenset[str] = frozenset()
    transparent: frozenset[str] = frozenset({"ERROR"})
    comments: frozenset[str] = frozenset({"comment"})
    decorators: frozenset[str] = frozenset()
    # Nodes whose children are read as if they stood in their place.
    spliced: frozenset[str] = frozenset()
    # Consecutive definitions of one name (Haskell's and Elixir's clauses) make one.
    clauses: bool = False
    # Definitions may hold the comments (and blank lines) before the next one.
    loose_ends: bool = False


_JS_DEFS = {
    "class_declaration": ("class", True),
    "class": ("class", True),
    "function_declaration": ("function", False),
    "generator_function_declaration": ("function", False),
    "function_expression": ("function", False),
    "arrow_function": ("function", False),
    "method_definition": ("method", False),
}
_JS_SPECIAL: dict[str, Handler] = {
    "lexical_declaration": js_variable,
    "variable_declaration": js_variable,
    "expression_statement": js_expression,
    "field_definition": js_field,
    "public_field_definition": js_field,
}
_TS_DEFS = _JS_DEFS | {
    "abstract_class_declaration": ("class", True),
    "interface_declaration": ("interface", False),
    "enum_declaration": ("enum", False),
    "type_alias_declaration": ("type", False),
}
_TS_SPECIAL = _JS_SPECIAL | {"internal_module": ts_module, "module": ts_module}
_JS_WRAPPERS = frozenset({"export_statement", "ambient_declaration"})
_JS_TRANSPARENT = frozenset({"ERROR", "ambient_declaration", "statement_block"})
_TS = Spec(
    _TS_DEFS, _TS_SPECIAL, _JS_WRAPPERS, _JS_TRANSPARENT, decorators=frozenset({"decorator"})
)
_C_TRANSPARENT = frozenset(
    {
        "ERROR",
        "preproc_if",
        "preproc_ifdef",
        "preproc_else",
        "preproc_elif",
        "preproc_elifdef",
        "linkage_specification",
        "declaration_list",
    }
)
_C_SPECIAL: dict[str, Handler] = {
    "function_definition": c_function,
    "declaration": c_declaration,
    "type_definition": c_typedef,
    "struct_specifier": c_record(False),
    "union_specifier": c_record(False),
    "enum_specifier": c_record(False),
}

SPECS: dict[str, Spec] = {
    "python": Spec(
        {"class_definition": ("class", True), "function_definition": ("function", False)},
        wrappers=frozenset({"decorated_definition"}),
        transparent=frozenset(
            {
                "ERROR",
                "if_statement",
                "elif_clause",
                "else_clause",
                "try_statement",
                "except_clause",
                "except_group_clause",
                "finally_clause",
                "with_statement",
                "block",
            }
        ),
    ),
    "javascript": Spec(
        _JS_DEFS, _JS_SPECIAL, _JS_WRAPPERS, _JS_TRANSPARENT, decorators=frozenset({"decorator"})
    ),
    "typescript": _TS,
    "tsx": _TS,
    "go": Spec(
        {"function_declaration": ("function", False)},
        {"method_declaration": go_method, "type_declaration": go_type},
    ),
    "rust": Spec(
        {
            "function_item": ("function", False),
            "struct_item": ("struct", False),
            "union_item": ("struct", False),
            "enum_item": ("enum", False),
            "trait_item": ("trait", True),
            "macro_definition": ("macro", False),
        },
        {"impl_item": rust_impl, "mod_item": rust_mod},
        comments=frozenset({"line_comment", "block_comment"}),
        decorators=frozenset({"attribute_item"}),
    ),
    "java": Spec(
        {
            "class_declaration": ("class", True),
            "record_declaration": ("class", True),
            "interface_declaration": ("interface", True),
            "annotation_type_declaration": ("interface", True),
            "enum_declaration": ("enum", True),
            "method_declaration": ("method", False),
            "constructor_declaration": ("method", False),
            "compact_constructor_declaration": ("method", False),
        },
        transparent=frozenset({"ERROR", "enum_body_declarations"}),
        comments=frozenset({"line_comment", "block_comment"}),
    ),
    "c": Spec({}, _C_SPECIAL, transparent=_C_TRANSPARENT),
    "cpp": Spec(
        {"namespace_definition": ("namespace", True)},
        _C_SPECIAL
        | {
            "class_specifier": c_record(True),
            "struct_specifier": c_record(True),
            "union_specifier": c_record(True),
        },
        frozenset({"template_declaration"}),
        _C_TRANSPARENT | {"namespace_definition"},
    ),
    "csharp": Spec(
        {
            "class_declaration": ("class", True),
            "record_declaration": ("class", True),
            "struct_declaration": ("struct", True),
            "record_struct_declaration": ("struct", True),
            "interface_declaration": ("interface", True),
            "enum_declaration": ("enum", False),
            "delegate_declaration": ("type", False),
            "method_declaration": ("method", False),
            "constructor_declaration": ("method", False),
            "destructor_declaration": ("method", False),
            "local_function_statement": ("function", False),
        },
        {"namespace_declaration": scoped("namespace")},
        transparent=frozenset({"ERROR", "preproc_if", "preproc_else", "preproc_elif"}),
    ),
    "php": Spec(
        {
            "class_declaration": ("class", True),
            "interface_declaration": ("interface", True),
            "trait_declaration": ("trait", True),
            "enum_declaration": ("enum", True),
            "function_definition": ("function", False),
            "method_declaration": ("method", False),
        },
        {"namespace_definition": scoped("namespace")},
        transparent=frozenset({"ERROR", "compound_statement", "if_statement", "else_clause"}),
    ),
    "kotlin": Spec(
        {},
        {
            "class_declaration": kotlin_class,
            "object_declaration": kotlin_object,
            "companion_object": kotlin_object,
            "function_declaration": kotlin_function,
        },
        comments=frozenset({"line_comment", "block_comment"}),
    ),
    "scala": Spec(
        {
            "class_definition": ("class", True),
            "object_definition": ("class", True),
            "trait_definition": ("trait", True),
            "enum_definition": ("enum", True),
            "function_definition": ("function", False),
            "type_definition": ("type", False),
        },
        {"package_clause": scoped("namespace")},
        comments=frozenset({"comment", "block_comment"}),
        loose_ends=True,
    ),
    "swift": Spec(
        {
            "protocol_declaration": ("interface", True),
            "function_declaration": ("function", False),
            "init_declaration": ("method", False),
            "deinit_declaration": ("method", False),
            "typealias_declaration": ("type", False),
        },
        {"class_declaration": swift_type},
        comments=frozenset({"comment", "multiline_comment"}),
    ),
    "lua": Spec(
        {},
        {
            "function_declaration": lua_function,
            "assignment_statement": lua_assignment,
            "variable_declaration": lua_assignment,
        },
    ),
    "shell": Spec(
        {"function_definition": ("function", False)},
        transparent=frozenset({"ERROR", "if_statement", "else_clause", "elif_clause"}),
    ),
    "elixir": Spec(
        {},
        {"call": elixir_call},
        decorators=frozenset({"unary_operator"}),  # @doc, @spec, @impl
        clauses=True,
    ),
    "haskell": Spec(
        {},
        {
            # A signature starts its function: the clauses after it join it.
            "signature": haskell_named("function", False),
            "function": haskell_named("function", False),
            "bind": haskell_named("function", False),
            "data_type": haskell_named("struct", False),
            "newtype": haskell_named("struct", False),
            "type_synonym": haskell_named("type", False),
            "type_family": haskell_named("type", False),
            "class": haskell_named("trait", True, "declarations"),
            "instance": haskell_instance,
        },
        comments=frozenset({"comment", "haddock"}),
        spliced=frozenset({"imports", "declarations"}),
        transparent=frozenset({"ERROR", "class_declarations", "instance_declarations"}),
        clauses=True,
    ),
    "zig": Spec(
        {"function_declaration": ("function", False)},
        {"variable_declaration": zig_variable, "test_declaration": zig_test},
    ),
    "ruby": Spec(
        {
            "class": ("class", True),
            "module": ("namespace", True),
            "method": ("function", False),
            "singleton_method": ("method", False),
        },
        transparent=frozenset({"ERROR", "singleton_class", "body_statement"}),
    ),
    "sql": Spec({}, {"statement": sql_statement}, comments=frozenset({"comment", "marginalia"})),
    "yaml": Spec(
        {},
        {"block_mapping_pair": yaml_pair, "block_sequence_item": yaml_item},
        transparent=frozenset(
            {"ERROR", "document", "block_node", "block_mapping", "block_sequence"}
        ),
    ),
    "toml": Spec({}, {"table": toml_table, "table_array_element": toml_table}),
    "json": Spec({}, {"pair": json_pair}, transparent=frozenset({"ERROR", "object"})),
    "hcl": Spec({}, {"block": hcl_block}, transparent=frozenset({"ERROR", "body"})),
    "make": Spec(
        {},
        {"rule": make_rule, "define_directive": make_define},
        transparent=frozenset({"ERROR", "conditional"}),
    ),
}


# Nodes that a wrapper may hold besides its declaration.
_NOT_DECLARATIONS = frozenset({"comment", "decorator", "template_parameter_list"})


def classify(spec: Spec, node: Node) -> tuple[Found, Node] | None:
    """What definition ``node`` is, and the node (inside any wrappers) that defines it."""
    inner: Node | None = node
    default = ""
    while inner is not None and inner.type in spec.wrappers:
        if inner.type == "export_statement" and inner.child_by_field_name("value"):
            default = "default"  # `export default function () {}` has no other name
        wrapped = (
            inner.child_by_field_name("definition")
            or inner.child_by_field_name("declaration")
            or inner.child_by_field_name("value")
        )
        if wrapped is None:
            declarations = [c for c in inner.named_children if c.type not in _NOT_DECLARATIONS]
            wrapped = declarations[-1] if declarations else None
        inner = wrapped
    if inner is None:
        return None
    handler = spec.special.get(inner.type)
    if handler is not None:
        found = handler(inner)
    else:
        entry = spec.defs.get(inner.type)
        found = named(inner, *entry) if entry else None
    if found is None:
        return None
    if not found.name:
        if not default:
            return None  # anonymous: its lines stay with the code around it
        found = found._replace(name=default)
    if len(found.name) > MAX_SYMBOL:
        return None  # a block the parser took for a name: its lines stay plain code
    return found, inner


@dataclass(frozen=True, slots=True)
class Kinds:
    """A language's spec with node kinds as ids: reading ``kind_id`` is cheaper than ``type``."""

    spec: Spec
    comments: frozenset[int]
    decorators: frozenset[int]
    transparent: frozenset[int]
    spliced: frozenset[int]
    candidates: frozenset[int]  # the kinds ``classify`` has to look at


@cache
def kinds(language: str) -> Kinds:
    spec = SPECS[language]
    lang = grammar(language)
    ids: dict[str, set[int]] = {"ERROR": {0xFFFF}}
    for kind_id in range(lang.node_kind_count):
        if lang.node_kind_is_named(kind_id):
            ids.setdefault(lang.node_kind_for_id(kind_id) or "", set()).add(kind_id)

    def of(names: Iterable[str]) -> frozenset[int]:
        return frozenset(i for name in names for i in ids.get(name, ()))

    candidates = of(spec.defs) | of(spec.special) | of(spec.wrappers)
    return Kinds(
        spec,
        of(spec.comments),
        of(spec.decorators),
        of(spec.transparent),
        of(spec.spliced),
        candidates,
    )
