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
# And an export macro between ``class`` and the name, as nearly every C++ library writes
# its public classes (``class GTEST_API_ UnitTest {``, ``class FMT_API format_error :``):
# without it the class and its members parse as an error.
_MACRO_IN_CLASS = re.compile(
    rb"\b(?:class|struct)[ \t]+([A-Z][A-Z0-9_]*[A-Z0-9_])[ \t]+"
    rb"(?=[A-Za-z_]\w*\s*(?:final\s*)?[:{])"
)
# And a macro that opens or closes a namespace, or exports what follows, written alone on
# its line or before the declaration (``_GLIBCXX_BEGIN_NAMESPACE_VERSION``,
# ``G_BEGIN_DECLS``, ``LIB_EXPORT template <class T> class X``): the parser reads it as a
# type and the declarations after it as one error. Only names with an underscore: NULL,
# TRUE or EOF alone on a line are values.
_MACRO_LINE = re.compile(
    rb"^[ \t]*(_*[A-Z][A-Z0-9]*_[A-Z0-9_]*)[ \t]*"
    rb"(?=(?://[^\n]*)?$|(?:class|struct|union|enum|template|namespace)\b)",
    re.MULTILINE,
)
_C_FAMILY = frozenset({"c", "cpp"})
# Languages whose indentation is syntax and whose grammar reads a tab as one column.
_TAB_STOPS = frozenset({"haskell"})


def _blank(match: re.Match[bytes]) -> bytes:
    start, end = match.span(1)
    text = match.group(0)
    at = start - match.start()
    return text[:at] + b" " * (end - start) + text[at + end - start :]


def _without_macros(data: bytes) -> bytes:
    """``data`` with those macros blanked: same length, same lines, so positions hold."""
    for macros in (_MACRO_BEFORE, _MACRO_AFTER, _MACRO_IN_CLASS, _MACRO_LINE):
        data = macros.sub(_blank, data)
    return data


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
    if language in _TAB_STOPS and b"\t" in data:
        # The layout rule reads a tab as up to the next multiple of 8 columns; this grammar
        # counts it as one. Rows stay the same, and the chunker cuts along rows.
        data = data.expandtabs(8)
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
    clause: _Span | None = None  # the definition a next clause of the same name extends
    if lang.spliced:
        nodes = _spliced(lang, nodes, depth)
    for node in nodes:
        kind = node.kind_id
        if (kind in lang.comments or kind in lang.decorators) and not _is_shebang(node):
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
            bottom, tail = _loose_end(lang, node) if lang.spec.loose_ends else (end_row(node), ())
            if (
                clause is not None
                and clause.symbol == symbol
                and clause.kind == definition
                and not found.container
            ):
                clause.end = bottom  # one more clause of the same function
                previous, previous_end = None, bottom
                attached = decorated = -1
                continue
            span = _Span(top, bottom, definition, symbol, node, inner)
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
            clause = span if lang.spec.clauses and span.members is None else None
            attached = decorated = -1
            if tail:  # comments the grammar put inside the definition, before what follows
                attached, attached_end = tail
            continue
        if kind in lang.transparent and depth < _MAX_NESTING:
            _scan(lang, node.children, prefix, in_class, out, depth + 1, -1)
        previous = node  # its last row matters only if a comment follows
        clause = None
        attached = decorated = -1


def _is_shebang(node: Node) -> bool:
    """``#!/bin/sh`` on a file's first line: what runs the file, not a doc comment."""
    return node.start_byte == 0 and node.text is not None and node.text.startswith(b"#!")


def _spliced(lang: Kinds, nodes: Sequence[Node], depth: int) -> list[Node]:
    """``nodes`` with the children of spliced ones in their place (a grammar's grouping
    nodes, such as Haskell's ``declarations``, can split a doc comment from its definition)."""
    out: list[Node] = []
    for node in nodes:
        if node.kind_id in lang.spliced and depth < _MAX_NESTING:
            out.extend(_spliced(lang, node.children, depth + 1))
        else:
            out.append(node)
    return out


def _loose_end(lang: Kinds, node: Node) -> tuple[int, tuple[int, int] | tuple[()]]:
    """The last row of ``node``'s own text, and the rows of the comments after it that the
    grammar counts in (an indented body runs on to the next definition in some grammars).

    The comments come back as (first row, last row) of their last block (a blank line
    starts a new one): the doc comment of the next definition, when it follows at once.
    """
    comments: list[Node] = []
    last = node
    for _ in range(_MAX_NESTING):
        children = [c for c in last.children if c.end_byte > c.start_byte]  # not a dedent
        i = len(children) - 1
        while i >= 0 and children[i].kind_id in lang.comments:
            i -= 1
        if i < 0:
            break
        comments = children[i + 1 :]
        last = children[i]
        if comments:
            break
    bottom = end_row(last)
    block: tuple[int, int] | tuple[()] = ()
    for comment in comments:
        top, end = comment.start_point[0], end_row(comment)
        if top == bottom:
            continue  # after code on its line: that code's comment
        block = (top, end) if not block or top > block[1] + 1 else (block[0], end)
    return bottom, block


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
