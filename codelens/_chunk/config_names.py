"""How query and configuration grammars name their pieces: SQL, YAML, TOML, JSON, HCL, Make.

Their handlers follow :mod:`codelens._chunk.names`: one node in, what piece it is out
(or None: plain lines, chunked with the lines around them). A key whose value fits
on its own line is no piece: such keys stay together in windows, not one per chunk.
"""

from __future__ import annotations

from tree_sitter import Node

from codelens._chunk.names import Found, text_of
from codelens._chunk.split import end_row

__all__ = [
    "hcl_block",
    "json_pair",
    "make_define",
    "make_rule",
    "sql_statement",
    "toml_table",
    "yaml_item",
    "yaml_pair",
]

# CREATE statements that define something, and the kind of what they define.
_SQL_KINDS = {
    "create_table": "table",
    "create_view": "view",
    "create_materialized_view": "view",
    "create_function": "function",
    "create_procedure": "function",
    "create_type": "type",
    "create_index": "index",
    "create_trigger": "trigger",
    "create_schema": "schema",
    "create_sequence": "sequence",
}
_SQL_NAMES = frozenset({"object_reference", "identifier"})
_SQL_BODIES = frozenset({"function_body", "procedure_body", "column_definitions"})
# A Terraform address names a block as code refers to it: var.region, module.vpc.
_HCL_PREFIXES = {"resource": "", "variable": "var."}
# A mapping value over this many rows rarely fits one chunk: its keys become pieces.
_LONG_VALUE_ROWS = 30
# What names an item of a YAML list (an Ansible task, a workflow step, a k8s container).
_YAML_ITEM_KEYS = ("name", "id")


def sql_statement(node: Node) -> Found | None:
    """A CREATE statement, named after what it creates (``public.users``)."""
    inner = node.named_children[0] if node.named_child_count else None
    kind = _SQL_KINDS.get(inner.type) if inner is not None else None
    if inner is None or kind is None:
        return None
    name = next((c for c in inner.named_children if c.type in _SQL_NAMES), None)
    # The body ends the signature that parts repeat: a function's up to its AS.
    body = next((c for c in inner.named_children if c.type in _SQL_BODIES), None)
    return Found(kind, text_of(name), False, body)


def yaml_pair(node: Node) -> Found | None:
    """A key whose value spans lines, named by the key; a long mapping's keys are its members."""
    if not _spans_lines(node):
        return None
    value = node.child_by_field_name("value")
    mapping = _yaml_mapping(value) if value is not None else None
    return _key(node, value if mapping is not None else None)


def yaml_item(node: Node) -> Found | None:
    """A list item of several lines that has a ``name`` (or ``id``) key, named by its value."""
    if not _spans_lines(node):
        return None
    mapping = _yaml_mapping(node)
    for pair in mapping.named_children if mapping is not None else ():
        if pair.type == "block_mapping_pair":
            key = _unquoted(pair.child_by_field_name("key"))
            if key in _YAML_ITEM_KEYS:
                value = pair.child_by_field_name("value")
                return Found("item", _unquoted(value), False, None)
    return None


def json_pair(node: Node) -> Found | None:
    """A key whose value spans lines, named by the key; a long object's keys are its members."""
    if not _spans_lines(node):
        return None
    value = node.child_by_field_name("value")
    return _key(node, value if value is not None and value.type == "object" else None)


def toml_table(node: Node) -> Found | None:
    """A ``[table]`` or ``[[array of tables]]``, named by its key (``tool.ruff``)."""
    key = next((c for c in node.named_children if c.type.endswith("key")), None)
    return Found("table", text_of(key).replace('"', "").replace("'", ""), False, None)


def hcl_block(node: Node) -> Found | None:
    """A block, named by its type and labels: Terraform's ``aws_s3_bucket.logs``, ``var.region``."""
    head = node.named_children[0] if node.named_child_count else None
    if head is None or head.type != "identifier":
        return None
    labels = [
        _unquoted(c) for c in node.named_children[1:] if c.type in ("string_lit", "identifier")
    ]
    block_type = text_of(head)
    prefix = _HCL_PREFIXES.get(block_type, block_type + ".")
    name = prefix + ".".join(labels) if labels else block_type
    return Found("block", name, False, None)


def make_rule(node: Node) -> Found | None:
    """A rule, named by its targets; special targets (``.PHONY``) are plain lines."""
    targets = next((c for c in node.named_children if c.type == "targets"), None)
    name = text_of(targets)
    if not name or name.startswith("."):
        return None
    return Found("target", name, False, None)


def make_define(node: Node) -> Found | None:
    """``define NAME ... endef``: a recipe or text kept in a variable."""
    return Found("macro", text_of(node.child_by_field_name("name")), False, None)


def _key(pair: Node, mapping: Node | None) -> Found:
    """A key as a piece: a container of its own keys when its value is a mapping too long
    for one chunk (the ``jobs`` of a CI workflow: one piece per job)."""
    name = _unquoted(pair.child_by_field_name("key"))
    if mapping is not None and end_row(pair) - pair.start_point[0] >= _LONG_VALUE_ROWS:
        return Found("key", name, True, mapping)
    return Found("key", name, False, None)


def _spans_lines(node: Node) -> bool:
    return end_row(node) > node.start_point[0]


def _unquoted(node: Node | None) -> str:
    text = text_of(node)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _yaml_mapping(item: Node) -> Node | None:
    """The block mapping a list item or a value holds, if any."""
    if item.type == "block_node":
        return next((c for c in item.named_children if c.type == "block_mapping"), None)
    for child in item.named_children:
        if child.type == "block_node":
            return next((c for c in child.named_children if c.type == "block_mapping"), None)
    return None
