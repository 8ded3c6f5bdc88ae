"""Syntax-aware chunking: one chunk per definition, found in the tree-sitter tree."""

from __future__ import annotations

import re
from collections.abc import Sequence

from tree_sitter import Node

from codelens._chunk.grammars import get_parser
from codelens._chunk.languages import CLASS_LIKE, Kinds, classify, kinds
from codelens._chunk.lines import cost_of
from codelens._chunk.plan import WHOLE, Plan
from codelens._chunk.split import end_row
from codelens._chunk.types import MAX_SYMBOL

__all__ = ["parse_tree", "plan_tree"]

# Classes in classes in ... (or nested error nodes) deeper than this stay plain code.
_MAX_NESTING = 32
# The most a byte of a symbol can cost: an upper bound of its cost without computing it.
_PUNCT = cost_of(".")

# Export and attribute macros around a one-line C declaration, as in
# ``API_EXPORT void *(*Name)(int n) API_ATTR PRINTF_LIKE(2, 3);``. Without their
# definitions the parser reads the first as a type and recovers by making one
# function of every declaration up to the next body.
_MACRO_BEFORE = re.compile(
    rb"^[ \t]*([A-Z][A-Z0-9_]*[A-Z0-9])[ \t]+(?=[A-Za-z_]\w*[ \t*][^;{}\n]*\([^{}\n]*;[ \t]*$)",
    re.MULTILINE,
)
_MACRO_AFTER = re.compile(
    rb"\)((?:[ \t]+[A-Z][A-Z0-9_]*[A-Z0-9](?:[ \t]*\([^()\n]*\))?)+)[ \t]*;[ \t]*$", re.MULTILINE
)
_C_FAMILY = frozenset({"c", "cpp"})


def _blank(match: re.Match[bytes]) -> bytes:
    start, end = match.span(1)
    text = match.group(0)
    at = start - match.start()
    return text[:at] + b" " * (end - start) + text[at + end - start :]


def _without_macros(data: bytes) -> bytes:
    """``data`` with those macros blanked: same length, same lines, so positions hold."""
    return _MACRO_AFTER.sub(_blank, _MACRO_BEFORE.sub(_blank, data))


class _Span:
    """A definition's rows: ``start`` includes its doc comments and decorators."""

    __slots__ = (
        "body",
        "end",
        "header_start",
        "inner",
        "kind",
        "members",
        "node",
        "start",
        "symbol",
    )

    def __init__(
        self, start: int, end: int, kind: str, symbol: str, node: Node, inner: Node
    ) -> None:
        self.start, self.end, self.kind, self.symbol = start, end, kind, symbol
        self.node, self.inner = node, inner
        self.body: Node | None = None
        self.header_start = start  # where its signature starts: decorators, else itself
        self.members: list[_Span] | None = None


def parse_tree(language: str, data: bytes) -> Node:
    """The root of ``data``'s tree in ``language`` (one of the AST languages).

    The chunker and the symbol extraction read the same tree: a file is parsed once.
    """
    parser = get_parser(language)
    root = parser.parse(data).root_node
    if root.has_error and language in _C_FAMILY:
        blanked = _without_macros(data)
        if blanked != data:
            root = parser.parse(blanked).root_node
    return root


def plan_tree(plan: Plan, language: str, root: Node | None = None) -> None:
    """Add the pieces of a file in ``language`` (one of the AST languages) to ``plan``.

    ``root``: the file's tree from :func:`parse_tree`, when the caller parsed it already.
    """
    if root is None:
        root = parse_tree(language, plan.lines.data)
    top: list[_Span] = []
    lang = kinds(language)
    _scan(lang, root.children, "", False, top, 0, -1)
    budgets = (plan.room(0),) * 2
    cursor = 0
    for span in top:
        plan.run(cursor, span.start - 1, "module", "", WHOLE, None, budgets, root, -1)
        _emit(plan, span, lang)
        cursor = max(cursor, span.end + 1)
    plan.run(cursor, plan.lines.count - 1, "module", "", WHOLE, None, budgets, root, -1)


def _emit(plan: Plan, span: _Span, lang: Kinds) -> None:
    lines = plan.lines
    plan.groups += 1
    group = plan.groups
    members = span.members
    start, end, kind, symbol = span.start, span.end, span.kind, span.symbol
    if members is None and not plan.exact:
        # Most definitions fit whole; a bound on the symbol's cost spares computing it.
        room = plan.room(_PUNCT * len(symbol))
        if lines.cost(start, end) <= room:
            plan.pieces.append((start, end, kind, symbol, group, None, room))
            return
    room = plan.room(cost_of(symbol))
    after = max(_header_end(lang, span.inner, span.body), span.header_start)
    signature = span.inner.start_point[0]
    header, header_cost = plan.header(span.header_start, signature, after, room)
    if members is None:
        plan.run(
            start, end, kind, symbol, group, header, (room, room - header_cost), span.node, after
        )
        return
    # A container's own lines (header, fields, lines between members) may end up as
    # several parts, so each is sized to leave room for the repeated header.
    budgets = (room - header_cost,) * 2
    cursor = start
    for member in members:
        plan.run(cursor, member.start - 1, kind, symbol, group, header, budgets, span.node, after)
        _emit(plan, member, lang)
        cursor = max(cursor, member.end + 1)
    plan.run(cursor, end, kind, symbol, group, header, budgets, span.node, after)


def _scan(
    lang: Kinds,
    nodes: Sequence[Node],
    prefix: str,
    in_class: bool,
    out: list[_Span],
    depth: int,
    previous_end: int,
) -> None:
    """Append the definitions among ``nodes`` (and inside transparent ones) to ``out``.

    ``previous_end`` is the last row of code before them: a comment there is not a
    doc comment of what follows.
    """
    attached = attached_end = decorated = -1
    previous: Node | None = None
    for node in nodes:
        kind = node.kind_id
        if kind in lang.comments or kind in lang.decorators:
            top, bottom = node.start_point[0], end_row(node)
            if previous is not None:
                previous_end, previous = end_row(previous), None
            if top == previous_end:  # a comment after code on its line belongs to that code
                previous_end, attached, decorated = bottom, -1, -1
                continue
            if attached < 0 or top > attached_end + 1:  # a blank line ends a doc comment
                attached, decorated = top, -1
            if kind not in lang.decorators:
                decorated = -1  # a comment between attributes and the definition ends the signature
            elif decorated < 0:
                decorated = top
            attached_end = bottom
            continue
        result = classify(lang.spec, node) if kind in lang.candidates else None
        if result is not None:
            found, inner = result
            top = node.start_point[0]
            definition = "method" if found.kind == "function" and in_class else found.kind
            # A name in names nested past the cap keeps its end, where the name is.
            symbol = (prefix + found.name)[-MAX_SYMBOL:]
            span = _Span(top, end_row(node), definition, symbol, node, inner)
            span.body = found.body
            if attached >= 0 and attached_end >= top - 1:
                span.start = attached
                span.header_start = decorated if decorated >= 0 else top
            if found.container and found.body is not None and depth < _MAX_NESTING:
                header_end = _header_end(lang, inner, found.body)
                members: list[_Span] = []
                scope = definition in CLASS_LIKE
                body = _leading_comments(lang, found.body) + found.body.children
                prefix_of_members = span.symbol + "."
                _scan(lang, body, prefix_of_members, scope, members, depth + 1, header_end)
                span.members = [m for m in members if m.start > header_end]
            out.append(span)
            previous, previous_end = None, span.end
        else:
            if kind in lang.transparent and depth < _MAX_NESTING:
                _scan(lang, node.children, prefix, in_class, out, depth + 1, -1)
            previous = node  # its last row matters only if a comment follows
        attached = decorated = -1


def _leading_comments(lang: Kinds, body: Node) -> list[Node]:
    """Comments between a container's signature and its body (some grammars put them outside)."""
    comments = []
    node = body.prev_sibling
    while node is not None and node.kind_id in lang.comments:
        comments.append(node)
        node = node.prev_sibling
    return comments[::-1]


def _header_end(lang: Kinds, inner: Node, body: Node | None) -> int:
    """The last row of a definition's signature: up to its opening brace or colon."""
    if body is None:
        return inner.start_point[0]
    first = body.child(0) if body.child_count else None
    if first is not None and first.type == "{":
        return body.start_point[0]
    previous = body.prev_sibling
    while previous is not None and previous.kind_id in lang.comments:
        previous = previous.prev_sibling
    return end_row(previous) if previous is not None else body.start_point[0]
