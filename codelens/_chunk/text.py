"""Chunking without a grammar: Markdown by sections, any other text by windows of lines."""

from __future__ import annotations

import re

from codelens._chunk.lines import cost_of
from codelens._chunk.plan import WHOLE, Plan

__all__ = ["plan_markdown", "plan_windows"]

_WINDOW = 40
_OVERLAP = 5

_FENCE = re.compile(rb" {0,3}(`{3,}|~{3,})")
_ATX = re.compile(rb" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*\r?$")
_SETEXT = re.compile(rb" {0,3}(={3,}|-{3,})[ \t]*\r?$")
# Lines that a row of dashes under them does not turn into a heading.
_NOT_TITLE = re.compile(rb" {4}|\s*([-*+>|]|\d+[.)])(\s|$)|.*\|")


def plan_windows(plan: Plan) -> None:
    """Windows of up to 40 lines that overlap by up to 5, shrunk to fit the token budget."""
    lines = plan.lines
    budget = plan.room(0)
    row, last = 0, lines.count - 1
    while last >= 0 and lines.blank(last):
        last -= 1
    while row <= last:
        if lines.blank(row):
            row += 1
            continue
        end = min(row + _WINDOW - 1, last)
        if lines.cost(row, end) > budget:
            low, high = row, end  # the longest window that fits; one line always goes
            while low < high:
                middle = (low + high + 1) // 2
                if lines.cost(row, middle) <= budget:
                    low = middle
                else:
                    high = middle - 1
            end = low
        while lines.blank(end):
            end -= 1
        plan.run(row, end, "text", "", WHOLE, None, (budget, budget), None, row)
        if end >= last:
            break
        row = max(end + 1 - min(_OVERLAP, (end - row + 1) // 8), row + 1)


def plan_markdown(plan: Plan) -> None:
    """One chunk per section (heading to next heading), named by its heading path."""
    lines = plan.lines
    raw = lines.data.split(b"\n")
    headings: list[tuple[int, int, str]] = []  # row, level, title
    blocks: list[int] = []  # rows where a paragraph or code block starts
    fence = b""
    row = _front_matter_end(raw)
    while row < len(raw):
        line = raw[row]
        opened = _FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = b""
                blocks.append(row + 1)
        elif opened:
            fence = opened.group(1)
            blocks.append(row)
        elif (atx := _ATX.match(line)) is not None:
            headings.append((row, len(atx.group(1)), _title(atx.group(2) or b"")))
        elif _is_underline(raw, row, headings):
            level = 1 if line.lstrip()[:1] == b"=" else 2
            headings.append((row - 1, level, _title(raw[row - 1])))
        elif line.strip() and (row == 0 or not raw[row - 1].strip()):
            blocks.append(row)
        row += 1
    _plan_sections(plan, headings, blocks)


def _plan_sections(plan: Plan, headings: list[tuple[int, int, str]], blocks: list[int]) -> None:
    lines = plan.lines
    first_heading = headings[0][0] if headings else lines.count
    room = plan.room(0)
    plan.run(0, first_heading - 1, "section", "", WHOLE, None, (room, room), None, -1, blocks)
    path: list[tuple[int, str]] = []
    start = -1
    for i, (row, level, title) in enumerate(headings):
        while path and path[-1][0] >= level:
            path.pop()
        path.append((level, title))
        start = row if start < 0 else start
        end = headings[i + 1][0] - 1 if i + 1 < len(headings) else lines.count - 1
        if i + 1 < len(headings) and headings[i + 1][1] > level and _only_heading(plan, row, end):
            continue  # a bare heading opens the section under it
        symbol = " > ".join(t for _, t in path)
        room = plan.room(cost_of(symbol))
        header, header_cost = plan.header(row, row, row, room)
        budgets = (room, room - header_cost)
        plan.run(
            start, end, "section", symbol, plan.new_group(), header, budgets, None, row, blocks
        )
        start = -1


def _only_heading(plan: Plan, row: int, end: int) -> bool:
    return all(plan.lines.blank(r) for r in range(row + 1, end + 1))


def _is_underline(raw: list[bytes], row: int, headings: list[tuple[int, int, str]]) -> bool:
    if row == 0 or not _SETEXT.match(raw[row]):
        return False
    above = raw[row - 1]
    if not above.strip() or _NOT_TITLE.match(above):
        return False
    return not headings or headings[-1][0] != row - 1


def _front_matter_end(raw: list[bytes]) -> int:
    """The first row after YAML front matter (``---`` ... ``---``), whose dashes are no headings."""
    if raw[0].rstrip() != b"---":
        return 0
    for row in range(1, len(raw)):
        if raw[row].rstrip() in (b"---", b"..."):
            return row + 1
    return 0


def _title(text: bytes) -> str:
    return " ".join(text.decode("utf-8", "replace").split()).replace(" > ", " - ")
