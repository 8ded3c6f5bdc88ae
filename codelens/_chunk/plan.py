"""The pieces a file is cut into, before they become chunks.

Every chunker (syntax, markdown, line windows) adds line ranges to a ``Plan``;
``finish`` checks them with the exact token counter when there is one and
numbers the parts of each definition.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tree_sitter import Node

from codelens._chunk.lines import SPECIAL_TOKENS, Lines, cost_of
from codelens._chunk.split import CLOSER, cut_points, pack, statement_starts
from codelens._chunk.types import Chunk

__all__ = ["WHOLE", "Piece", "Plan", "Rows", "finish"]

# The rows of a definition's signature, repeated in its parts; None when it has none.
Rows = tuple[int, int] | None

# The group of pieces that are never parts of something (module code, text windows).
WHOLE = 0


# Rows start..end (0-based), kind, symbol, group (pieces of one group are numbered
# parts), signature rows, and the budget it was sized to (for growing it by a closing
# line). A plain tuple: files have tens of thousands of pieces.
Piece = tuple[int, int, str, str, int, Rows, int]


class Plan:
    def __init__(self, lines: Lines, path: str, max_tokens: int, exact: bool = False) -> None:
        self.lines = lines
        # With an exact counter to come, whole definitions keep their signature in
        # case the counter has one cut in two.
        self.exact = exact
        self.path = path
        # Room for the embedding text in hundredths of a token, special tokens set aside.
        self.limit = (max_tokens - SPECIAL_TOKENS) * 100
        self.pieces: list[Piece] = []
        self.groups = 0
        self._path_cost = cost_of(f"{path}: \n")

    def room(self, symbol_cost: int) -> int:
        """The budget left for code next to ``path: symbol``, given the symbol's cost."""
        return self.limit - self._path_cost - symbol_cost

    def new_group(self) -> int:
        self.groups += 1
        return self.groups

    def header(self, first: int, signature: int, last: int, room: int) -> tuple[Rows, int]:
        """The signature to repeat in parts (rows ``first``..``last``, decorators from
        ``first``, the definition itself from ``signature``) and its cost.

        It may take a third of the room: a longer one loses its decorators, then
        its last lines (a part must still have space for code).
        """
        cap = room // 3
        cost = self.lines.cost
        if cost(first, last) > cap:
            first = max(first, min(signature, last))
            while last > first and cost(first, last) > cap:
                last -= 1
            if cost(first, last) > cap:
                return None, 0
        return (first, last), cost(first, last)

    def run(
        self,
        first: int,
        last: int,
        kind: str,
        symbol: str,
        group: int,
        header: Rows,
        budgets: tuple[int, int],
        parent: Node | None,
        after: int,
        blocks: Sequence[int] | None = None,
    ) -> None:
        """Add rows ``first``..``last`` whole if they fit ``budgets[0]``, else as parts
        that each fit ``budgets[1]``, cut where statements in ``parent`` start (or
        at the rows in ``blocks``), never at or before row ``after``, a signature's end."""
        lines = self.lines
        totals = lines.totals  # a run is asked for between every two definitions
        if first > last or totals[last + 1] == totals[first]:
            return  # nothing but blank lines
        while totals[first + 1] == totals[first]:
            first += 1
        while totals[last + 1] == totals[last]:
            last -= 1
        if last - first <= 2 and self._merged_closer(first, last):
            return
        whole, budget = budgets
        if lines.cost(first, last) <= whole:
            self.pieces.append((first, last, kind, symbol, group, header, whole))
            return
        if parent is not None:
            starts = statement_starts(lines, parent, first, last, budget, after)
        else:
            starts = [row for row in blocks or () if max(after, first) < row <= last]
        for start, end in pack(lines, cut_points(lines, first, last, starts, budget), budget):
            self.pieces.append((start, end, kind, symbol, group, header, budget))

    def _merged_closer(self, first: int, last: int) -> bool:
        """Join lines that only close brackets or blocks (``}``, ``end``) to the chunk above."""
        if not self.pieces or self.pieces[-1][1] >= first:
            return False
        data = self.lines.data[self.lines.starts[first] : self.lines.starts[last + 1] - 1]
        if not all(CLOSER.fullmatch(line) for line in data.split(b"\n")):
            return False
        start, _, kind, symbol, group, header, budget = self.pieces[-1]
        if self.lines.cost(start, last) > budget:
            return False
        self.pieces[-1] = (start, last, kind, symbol, group, header, budget)
        return True


def _refit(
    plan: Plan, piece: Piece, count_tokens: Callable[[str], int], max_tokens: int
) -> list[Piece]:
    """``piece`` as is when the exact counter accepts it, else cut in two by cost, recursively."""
    lines = plan.lines
    first, last, kind, symbol, group, rows, budget = piece
    content = lines.text(first, last)
    text = f"{plan.path}: {symbol}\n" if symbol else f"{plan.path}\n"
    header = lines.text(*rows) if rows else ""
    if header and header not in content:
        text += header + "\n"
    if first == last or count_tokens(text + content) <= max_tokens:
        return [piece]
    half, total, cut = lines.cost(first, last) // 2, 0, first
    while cut < last - 1:
        total += lines.cost(cut, cut)
        if total >= half:
            break
        cut += 1
    out = []
    for start, end in ((first, cut), (cut + 1, last)):
        while end > start and lines.blank(end):
            end -= 1
        while start < end and lines.blank(start):
            start += 1
        if not lines.blank(start):
            half_piece = (start, end, kind, symbol, group, rows, budget)
            out.extend(_refit(plan, half_piece, count_tokens, max_tokens))
    return out


def _uncovered(pieces: list[Piece]) -> list[Piece]:
    """``pieces`` less those whose rows a neighbour of the same group holds whole.

    Parts overlap by a line or two; when a part is cut in two again, its second
    half can lie inside the next part, and would come after it out of order.
    """
    kept: list[Piece] = []
    for i, piece in enumerate(pieces):
        first, last, group = piece[0], piece[1], piece[4]
        after = pieces[i + 1] if i + 1 < len(pieces) else None
        before = kept[-1] if kept else None
        if group != WHOLE and any(
            p is not None and p[4] == group and p[0] <= first and last <= p[1]
            for p in (before, after)
        ):
            continue
        kept.append(piece)
    return kept


def finish(plan: Plan, max_tokens: int, count_tokens: Callable[[str], int] | None) -> list[Chunk]:
    pieces = plan.pieces  # in order: every chunker adds them top to bottom
    if count_tokens is not None:
        pieces = [p for piece in pieces for p in _refit(plan, piece, count_tokens, max_tokens)]
        pieces = _uncovered(pieces)
    sizes: dict[int, int] = {}
    for p in pieces:
        sizes[p[4]] = sizes.get(p[4], 0) + 1
    seen: dict[int, int] = {}
    chunks = []
    text = plan.lines.text
    for index, (start, end, kind, symbol, group, rows, _) in enumerate(pieces):
        part, header = 0, ""
        if group != WHOLE and sizes[group] > 1:
            part = seen[group] = seen.get(group, 0) + 1
            header = text(*rows) if rows else ""
        chunks.append(
            Chunk(index, symbol, kind, start + 1, end + 1, text(start, end), header, part)
        )
    return chunks
