"""Grouping ranked chunks into results: one per definition, however many parts it was cut in.

A definition too long for the embedder is stored as several chunks (its parts), and a long
stretch of module code as several windows. Without grouping they crowd a result list:
on the stdlib questions, 185 of 1,200 top-10 slots repeated a definition already shown.

A *unit* is a maximal run of chunks of one file that follow each other in the file's chunk
order (``chunk_index``) and share ``symbol``, ``kind`` and, in a notebook, the cell.
Nothing else is chunked between two of them, so the run covers one stretch of the file:
the parts of a long function, a run of module code windows, and (the same way)
same-named neighbours such as a property's getter and setter. A class's own lines between
its methods are separate units: the methods between them are results of their own. A run
of unnamed code longer than ``2 * STRETCH_REACH + 1`` windows (a data table of thousands
of lines) gives the windows around each match instead of the whole run.

A unit is ranked by its best part (its first place in the ranked list) and carries every
part's id in line order, so the result can show where the match is and expand to the
whole definition.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from codelens._chunk.types import MAX_SYMBOL

if TYPE_CHECKING:
    from codelens._db.pool import Connection
    from codelens._search.fusion import Fused

__all__ = [
    "DEFINITION_REACH",
    "NOWHERE",
    "STRETCH_REACH",
    "Place",
    "Unit",
    "group",
    "join_parts",
    "rank_units",
    "units_of",
]

_NONE: Mapping[str, float] = {}

# How many parts a unit reaches on each side of a hit. Unnamed code (module code between
# definitions, windows of a plain-text file) can run for hundreds of windows: the stdlib's
# pydoc_data/topics.py is one run of 1,280, which made one result of 950,000 characters
# and a search of 80 ms. Such a stretch gives the windows within reach of the match. A
# definition is one result whole (the stdlib's longest has 47 parts); its bound only
# stops a generated monster from costing a search seconds.
STRETCH_REACH = 16
DEFINITION_REACH = 256

# The units that hold the given chunks, as arrays of their chunk ids in line order. From
# each hit, walk the file's chunk order (the (file_id, chunk_index) index) both ways while
# symbol and kind stay the same; a unit costs one index probe per part, not a file scan,
# and a hit that is a unit of its own (most are) none more.
# Symbols are compared by their stored size (read from the value's header) and their
# first MAX_SYMBOL characters (decompressed alone): comparing whole symbols decompressed
# each one at every step, and a header whose 42,000-character block was the symbol of
# 722 parts made one search take a minute.
_UNITS = """
WITH RECURSIVE hits AS MATERIALIZED (
    SELECT c.id, c.file_id, c.chunk_index, octet_length(c.symbol) AS size,
        left(c.symbol, %(chars)s) AS name, c.kind, c.cell_number, c.path, c.language, f.generated
    FROM chunks c JOIN files f ON f.id = c.file_id WHERE c.id = ANY(%(ids)s)
),
walk AS (
    SELECT h.id AS hit, h.file_id, h.size, h.name, h.kind, h.cell_number, h.chunk_index AS at,
        d.step, CASE WHEN h.size = 0 THEN %(stretch)s::int ELSE %(definition)s::int END AS left
    FROM hits h CROSS JOIN (VALUES (-1), (1)) AS d(step)
    UNION ALL
    SELECT w.hit, w.file_id, w.size, w.name, w.kind, w.cell_number, c.chunk_index, w.step,
        w.left - 1
    FROM walk w JOIN chunks c ON c.file_id = w.file_id AND c.chunk_index = w.at + w.step
    WHERE w.left > 0 AND octet_length(c.symbol) = w.size AND left(c.symbol, %(chars)s) = w.name
        AND c.kind = w.kind AND c.cell_number IS NOT DISTINCT FROM w.cell_number
),
spans AS (
    SELECT hit, file_id, kind, min(at) AS first, max(at) AS last
    FROM walk GROUP BY hit, file_id, kind
)
SELECT s.hit, CASE WHEN s.first = s.last THEN ARRAY[s.hit] ELSE ARRAY(
    SELECT c.id FROM chunks c
    WHERE c.file_id = s.file_id AND c.chunk_index BETWEEN s.first AND s.last
    ORDER BY c.chunk_index
) END, s.file_id, h.path, h.name, s.kind, h.language, h.generated
FROM spans s JOIN hits h ON h.id = s.hit
"""


@dataclass(frozen=True, slots=True)
class Place:
    """Where a unit is and what it is: what ranking signals read of it."""

    file_id: int
    path: str
    symbol: str
    kind: str
    language: str
    generated: bool = False  # written by a tool, by its header (see path_prior)


NOWHERE = Place(0, "", "", "", "")


@dataclass(frozen=True, slots=True)
class Unit:
    """One result: its best-ranked part, every part's chunk id in line order, and its
    place."""

    best: Fused
    part_ids: tuple[int, ...]
    place: Place = NOWHERE


def units_of(conn: Connection, ids: Sequence[int]) -> dict[int, tuple[tuple[int, ...], Place]]:
    """Each hit's unit (its chunk ids in line order) and place, read from the database.
    Chunks deleted since they were ranked are missing."""
    if not ids:
        return {}
    reach = {"stretch": STRETCH_REACH, "definition": DEFINITION_REACH, "chars": MAX_SYMBOL}
    rows = conn.execute(_UNITS, {"ids": list(ids), **reach}, prepare=True).fetchall()
    return {
        int(hit): (
            tuple(int(m) for m in members),
            Place(int(file_id), str(path), str(symbol), str(kind), str(language), generated),
        )
        for hit, members, file_id, path, symbol, kind, language, generated in rows
    }


def group(
    conn: Connection,
    ranked: Sequence[Fused],
    limit: int | None,
    weights: Mapping[str, float] = _NONE,
) -> list[Unit]:
    """The first ``limit`` units of ``ranked`` (see :func:`rank_units`), read from the
    database. Chunks deleted since they were ranked drop out."""
    if not ranked:
        return []
    return rank_units(ranked, units_of(conn, [h.id for h in ranked]), limit, weights)


def rank_units(
    ranked: Sequence[Fused],
    unit_of: Mapping[int, tuple[tuple[int, ...], Place]],
    limit: int | None,
    weights: Mapping[str, float] = _NONE,
) -> list[Unit]:
    """The first ``limit`` units of ``ranked`` (all of them when None), each once, ranked
    by its best part; ``unit_of`` gives each hit's unit (its chunk ids) and place.

    No chunk is in two results: a hit already shown is skipped, and the windows of a long
    stretch around two hits far apart lose their overlap to the first (what is left is
    still one run around the hit: both windows reach as far on each side).

    With ``weights`` (by kind, 1 for kinds not listed), a unit's score is its best part's
    times its kind's weight, and units are re-ranked by it (ties keep their order).
    """
    units: list[Unit] = []
    seen: set[int] = set()
    for hit in ranked:
        found = unit_of.get(hit.id)
        if found is None or hit.id in seen:
            continue
        run = tuple(member for member in found[0] if member not in seen)
        where = found[1]
        seen.update(run)
        weight = weights.get(where.kind, 1.0)
        best = hit if weight == 1.0 else replace(hit, score=hit.score * weight)
        units.append(Unit(best, run, where))
        if not weights and len(units) == limit:
            break
    if weights:
        units.sort(key=lambda unit: -unit.best.score)  # stable: ties keep the ranked order
    return units[:limit]


def join_parts(parts: Sequence[tuple[int, int, str]]) -> str:
    """The text of lines first-start..last-end from parts (start, end, content) in line
    order. Parts may overlap (a split repeats a line or two) or leave blank lines between
    them (blank lines start no part); those come back empty."""
    lines: list[str] = []
    following = parts[0][0] if parts else 1  # the next line number to add
    for start, end, content in parts:
        if start > following:
            lines.extend([""] * (start - following))
            following = start
        if end >= following:
            lines.extend(content.split("\n")[following - start :])
            following = end + 1
    return "\n".join(lines)
