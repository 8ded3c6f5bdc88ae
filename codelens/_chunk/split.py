"""Cutting a range of lines that is too big for the embedder into overlapping parts.

Cuts fall where a statement starts (children of the body; inside a statement
that is itself too big, where one of its children starts), else between lines.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from tree_sitter import Node

from codelens._chunk.lines import Lines

__all__ = ["CLOSER", "cut_points", "end_row", "pack", "statement_starts"]

# A line that only closes something: brackets, Ruby's `end`, `#endif`, maybe a comment after.
CLOSER = re.compile(
    rb"[ \t]*(?:[})\];,]+|end|#[ \t]*(?:endif|else|elif)\b.*)[ \t]*(?:(?://|#|/\*).*)?\r?"
)

# Descending a left-recursive chain (a + b + c + ...) level by level would cost
# O(depth x size); past this depth a big statement is cut between lines instead.
_MAX_DEPTH = 24


def end_row(node: Node) -> int:
    """The last row holding text of ``node`` (a node may end at column 0 of the next row)."""
    end = node.end_point
    if end.column == 0 and end.row > node.start_point.row:
        return end.row - 1
    return end.row


def statement_starts(
    lines: Lines, parent: Node, first: int, last: int, budget: int, after: int
) -> list[int]:
    """Rows in ``after+1..last`` where a statement (a named child of ``parent``) starts.

    Where the stretch from one statement to the next inside ``first..last`` costs
    more than ``budget``, the rows where the statement's children start count too.
    """
    rows: set[int] = set()
    add = rows.add
    totals = lines.totals  # this loop runs for every statement of every long definition
    low_row = max(first, after) + 1
    first_byte = lines.starts[first]
    todo = [(parent, 0)]
    while todo:
        parent, depth = todo.pop()
        children = parent.named_children
        # Skip what ends before the range: the last child starting at or before it may reach in.
        skip = max(bisect_right(children, first_byte, key=_start_byte) - 1, 0)
        deeper = depth < _MAX_DEPTH
        # A stretch ends where the next sibling starts, which spares asking each node its end.
        previous: Node | None = None
        low = -1
        for node in children[skip:] if skip else children:
            top = node.start_point[0]
            if previous is not None:
                high = top - 1 if top <= last else last
                if high > low and totals[high + 1] - totals[low] > budget:
                    todo.append((previous, depth + 1))
                previous = None
            if top > last:
                break
            if top >= low_row:
                add(top)
            if deeper:
                previous, low = node, (top if top > first else first)
        if previous is not None and last > low and totals[last + 1] - totals[low] > budget:
            todo.append((previous, depth + 1))
    return sorted(rows)


def _start_byte(node: Node) -> int:
    return node.start_byte


def _closes(lines: Lines, row: int) -> bool:
    return CLOSER.fullmatch(lines.data[lines.starts[row] : lines.starts[row + 1] - 1]) is not None


def cut_points(lines: Lines, first: int, last: int, starts: list[int], budget: int) -> list[int]:
    """Where units of ``first..last`` start (and ``last + 1``): at ``starts``, and at
    every line of a stretch between two of them that is over budget on its own."""
    totals = lines.totals
    bounds = [first]
    for row in (*starts, last + 1):
        low = bounds[-1]
        if row - low > 1 and totals[row] - totals[low] > budget:
            bounds.extend(range(low + 1, row))
        bounds.append(row)
    return bounds


def pack(lines: Lines, bounds: list[int], budget: int) -> list[tuple[int, int]]:
    """Consecutive units (``bounds[i]..bounds[i+1]-1``) grouped into parts of at most
    ``budget``; each part but the first starts with the last unit (or last two lines)
    of the one before. A unit over budget on its own (one huge line) is a part alone.
    """
    totals = lines.totals
    parts: list[tuple[int, int]] = []
    i, units, carry = 0, len(bounds) - 1, -1
    while i < units:
        if totals[bounds[i + 1]] == totals[bounds[i]]:
            i += 1  # blank lines start no part
            continue
        start = bounds[i]
        if carry >= 0 and totals[bounds[i + 1]] - totals[carry] <= budget:
            start = carry
        # The last row that still fits, then the last unit boundary up to it.
        fits = bisect_right(totals, totals[start] + budget) - 1
        j = max(bisect_right(bounds, fits, i + 1) - 1, i + 1)
        end = bounds[j] - 1
        while end > start and totals[end + 1] == totals[end]:
            end -= 1
        while start < end and totals[start + 1] == totals[start]:
            start += 1
        parts.append((start, end))
        # The overlap: the last unit when short, else its last two lines, minus
        # lines that only close a block.
        carry = min(max(bounds[j - 1], end - 1), end)
        while carry <= end and (totals[carry + 1] == totals[carry] or _closes(lines, carry)):
            carry += 1
        if carry > end or carry <= start:
            carry = -1
        i = j
    return parts
