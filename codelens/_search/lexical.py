"""Lexical retrieval: full-text candidates, scored by how much of the query they contain.

Score: the share of the query's information a chunk contains, i.e. the idf mass of the
query words found in the chunk over the idf mass of all query words (0..1; idf from the
statistics PostgreSQL keeps on the full-text column). Ties, frequent among short
queries, are ordered by ``ts_rank_cd``, which favours words in the symbol and the path
and words close together. Ranking by ``ts_rank_cd`` alone lets chunks full of "return",
"file" or "value" outrank the one with the query's rare words: measured on
benchmarks/eval_queries.csv, that finds none of the targets of questions phrased without
their names, where coverage finds a third of them first.

Cost: a natural-language query is an OR of its words, but scoring every chunk that
contains "return" scans most of a big project. So the words a candidate must contain
are the query's rarest ones, as many as fit an estimated budget of rows; the common
words still count in the score of those candidates. When even the rarest word is
common, candidates must contain every word (any of them, if no chunk holds them all).
Either way a hard cap bounds the rows scored.

Among equals, a chunk whose symbol is the query itself (``handler_3_5``, or the method
of ``Parser.handler_3_5``) comes first: the words of ``handler_5_3`` are the same. Then
come the chunks ``ts_rank_cd`` favours, then file order, the same however the batches of
an index run landed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psycopg import sql

from codelens._chunk.types import MAX_SYMBOL
from codelens._search.fusion import idf
from codelens._search.query import MAX_TERMS, TERMS

if TYPE_CHECKING:
    from codelens._db.pool import Connection
    from codelens._search.filters import Filters

__all__ = [
    "BUDGET",
    "CAP",
    "TermPlan",
    "lexical_hits",
    "lexical_hits_later",
    "plan_query",
    "plan_query_later",
    "plan_terms",
]

BUDGET = 1_000  # estimated candidate rows a lexical search ranks
CAP = 5_000  # rows ranked at most, when the estimates are off

# What identifies one state of the statistics: the table (oid, in this database) and how
# often it was analysed; reltuples changes with every ANALYZE too.
_STATS_VERSION = """
SELECT current_database(), c.oid::bigint, c.reltuples,
       coalesce(s.analyze_count + s.autoanalyze_count, 0)
FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE c.oid = 'chunks'::regclass
"""
_TERMS_AND_VERSION = sql.SQL("SELECT {}, v.* FROM ({}) v").format(TERMS, sql.SQL(_STATS_VERSION))
_STATS = """
SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs
FROM pg_stats s
WHERE s.schemaname = current_schema() AND s.tablename = 'chunks' AND s.attname = 'search_tsv'
"""
# Inner: the candidates (bounded). Outer: scored by the idf mass of the query words each
# holds (a binary search per word in the chunk's sorted tsvector), ties by ts_rank_cd.
# The tie query is a subquery, evaluated once: in a prepared statement's generic plan a
# function of a parameter runs once per row (25% of a search that ranks 5,000 rows).
_LEXICAL = """
WITH words AS MATERIALIZED (
    SELECT plainto_tsquery('simple', u.term) AS word, u.idf
    FROM unnest(%s::text[], %s::float8[]) AS u(term, idf)
)
SELECT h.id,
       (SELECT coalesce(sum(w.idf), 0) FROM words w WHERE h.search_tsv @@ w.word) / %s AS score,
       ts_rank_cd(h.search_tsv, (SELECT websearch_to_tsquery('simple', %s))) AS tie
FROM (
    -- "|| ''" decompresses each chunk's tsvector once here, not once per use below.
    SELECT c.id, c.path, c.start_line, c.search_tsv || ''::tsvector AS search_tsv,
        -- The stored size is read without decompressing: a longer symbol is no name.
        CASE WHEN octet_length(c.symbol) <= %s
            THEN lower(c.symbol) = %s OR right(lower(c.symbol), %s) = %s ELSE false END AS named
    FROM chunks c
    WHERE c.search_tsv @@ websearch_to_tsquery('simple', %s) AND {where}
    LIMIT %s
) h
ORDER BY score DESC, named DESC, tie DESC, h.path, h.start_line, h.id LIMIT %s
"""


@dataclass(frozen=True, slots=True)
class TermPlan:
    terms: list[str]  # every query lexeme: ranks candidates and weighs hits
    match: list[str]  # a candidate contains one of these (all of them, if match_all)
    match_all: bool
    idf: dict[str, float]

    def match_query(self) -> str:
        # websearch_to_tsquery syntax over bare lexemes (letters and digits only, from
        # code_words): words joined by "or", or juxtaposed for AND. Nothing else is parsed.
        return (" " if self.match_all else " or ").join(self.match)


@dataclass(frozen=True, slots=True)
class _Stats:
    rows: float
    freq: dict[str, float]  # fraction of chunks containing each of the most common terms
    floor: float  # the smallest listed fraction: unlisted terms are rarer


_Version = tuple[str, int, float, int]


def _version(row: Sequence[Any]) -> _Version:
    return (str(row[0]), int(row[1]), float(row[2]), int(row[3]))


class _StatsCache:
    """Term statistics per table state: reading 10,000 common terms costs more than a
    search, and they change only when the table is analysed again."""

    def __init__(self) -> None:
        self._items: dict[_Version, _Stats | None] = {}
        self._lock = threading.Lock()

    def get(self, conn: Connection, version: _Version) -> _Stats | None:
        with self._lock:
            if version in self._items:
                return self._items[version]
        stats = _read_stats(conn, version[2])
        with self._lock:
            # Keep only the latest state per table.
            for old in [k for k in self._items if k[:2] == version[:2]]:
                del self._items[old]
            self._items[version] = stats
        return stats


def _read_stats(conn: Connection, rows: float) -> _Stats | None:
    row = conn.execute(_STATS).fetchone()
    if row is None or row[0] is None or rows <= 0:
        return None
    terms, freqs = row
    # The frequency array ends with the minimum, the maximum and the null fraction.
    freq = dict(zip(terms, (float(f) for f in freqs[: len(terms)]), strict=True))
    return _Stats(rows, freq, min(freq.values(), default=1.0))


_stats = _StatsCache()


def plan_query(conn: Connection, text: str) -> TermPlan | None:
    """:func:`plan_terms` for the terms of ``text``; None when it has none (stop words)."""
    return plan_query_later(conn, text)()


def plan_query_later(conn: Connection, text: str) -> Callable[[], TermPlan | None]:
    """:func:`plan_query` in two steps: the statement is sent now, its answer read when the
    returned function is called (in pipeline mode, with the statements sent meanwhile)."""
    cursor = conn.execute(_TERMS_AND_VERSION, [text, MAX_TERMS], prepare=True)

    def planned() -> TermPlan | None:
        row = cursor.fetchone()
        assert row is not None
        terms = list(row[0])
        return plan_terms(conn, terms, _version(row[1:])) if terms else None

    return planned


def plan_terms(conn: Connection, terms: list[str], version: _Version | None = None) -> TermPlan:
    """Which of ``terms`` candidates must match, and each term's idf. ``version`` is the
    statistics' (read here when not given)."""
    if version is None:
        row = conn.execute(_STATS_VERSION, prepare=True).fetchone()
        assert row is not None
        version = _version(row)
    stats = _stats.get(conn, version)
    if stats is None:
        # Not analysed yet (a fresh index): every term counts the same and all may match.
        return TermPlan(terms, terms, False, dict.fromkeys(terms, 1.0))
    rows, floor = stats.rows, stats.floor
    freq = {t: stats.freq.get(t, floor) for t in terms}
    match: list[str] = []
    estimate = 0.0
    for term in sorted(terms, key=lambda t: (freq[t], terms.index(t))):
        if match and estimate + freq[term] * rows > BUDGET:
            break
        match.append(term)
        estimate += freq[term] * rows
    if len(match) == 1 and freq[match[0]] * rows > BUDGET and len(terms) > 1:
        return TermPlan(terms, terms, True, idf(freq, terms, floor))
    return TermPlan(terms, match, False, idf(freq, terms, floor))


def lexical_hits(
    conn: Connection, query: str, plan: TermPlan, filters: Filters, depth: int
) -> list[tuple[int, float]]:
    """Up to ``depth`` (id, score) for ``query`` (planned as ``plan``), best first; score
    in 0..1 (see the module's docstring)."""
    return lexical_hits_later(conn, query, plan, filters, depth)()


def lexical_hits_later(
    conn: Connection, query: str, plan: TermPlan, filters: Filters, depth: int
) -> Callable[[], list[tuple[int, float]]]:
    """:func:`lexical_hits` in two steps: the statement is sent now, its answer read when
    the returned function is called (in pipeline mode, with the statements sent meanwhile)."""
    where, params = filters.where()
    weights = [max(plan.idf[t], 0.0) for t in plan.terms]
    if not any(weights):
        # Words found in every chunk (idf 0) then count the same, rather than nothing.
        weights = [1.0] * len(weights)
    words = [plan.terms, weights, sum(weights), " or ".join(plan.terms)]
    statement = sql.SQL(_LEXICAL).format(where=where)
    # Lowered here, not by lower(%s) in the statement, for the same reason as the tie query.
    name = query.strip().lower()
    named = [4 * MAX_SYMBOL, name, len(name) + 1, "." + name]  # 4: UTF-8's widest character
    cursor = conn.execute(
        statement, [*words, *named, plan.match_query(), *params, CAP, depth], prepare=True
    )

    def hits() -> list[tuple[int, float]]:
        found = cursor.fetchall()
        if not found and plan.match_all:
            # No chunk holds every common word: any of them will do (the cap bounds the cost).
            found = conn.execute(
                statement,
                [*words, *named, " or ".join(plan.terms), *params, CAP, depth],
                prepare=True,
            ).fetchall()
        return [(int(cid), float(score)) for cid, score, _ in found]

    return hits
