"""Search a project: semantic (pgvector), lexical (full-text) or hybrid (both, fused).

Every mode is one or two SQL statements on the project's own schema, with the query, its
vector and every filter bound as parameters. A search's statements (ranking, then
fetching the ranked rows) read one snapshot, in one read-only REPEATABLE READ
transaction: a re-index committing meanwhile cannot make ranked chunks vanish.

Where a hybrid search's time goes (``benchmarks/search_profile.py`` at 100,000 chunks with
the static model, one client, medians per search on a shared 2-core machine at load 1.5; a
search 10.8 ms before the cuts below): the semantic statement 3.0 ms, grouping 1.3 (its
statement 1.0), the result frame 1.5, the ranking rules 0.9, the lexical statement 0.4
(mean 4.8, p95 19: the queries whose rarest words still match hundreds of chunks read that
many rows, most of them outside the server's buffers once the table and the HNSW graph
outgrow them), the query's terms, the model's record and the rows 0.3 each, and seven
more round trips of 0.13-0.17 ms (the pool's check, search_path, BEGIN, set_config, the
awaiting probe, COMMIT, RESET ALL). The model's record is read on the search's own
connection, not on one more (a checkout and five round trips, up to 15 ms at load 9),
and the semantic statement runs without a savepoint inside search's transaction.

Since then a hybrid search makes five round trips instead of thirteen: its statements go
in pipeline mode (psycopg), several per round trip, in the order the answers are needed:
the pool's check; BEGIN, the schema's search_path, the model's record, the awaiting probe
and the query's terms; the HNSW settings with both lists' statements; grouping; the rows
with RESET ALL and COMMIT. The result frame is built column by column as final arrays
(0.77 ms instead of 1.17 for ten results). Timed in turns with the code before them
(load 2.3, 300 static-model queries each embedded, three runs each): p50 9.9 ms against
10.6, p95 unchanged (about 27.5: the lexical statement's slow queries). What is left is
mostly the server's (the semantic statement about 3 ms, grouping 1, the lexical
statement), the ranking rules' Python (0.9) and the frame (0.8).

Then the server's buffers: at initdb's 128MB of shared_buffers, neither the HNSW graph of
100,000 chunks (130 MB at 256 dimensions) nor the table fit, and the semantic statement
read a fifth of its 1,200 pages from the OS cache: 2.1 ms on the server at the median
(EXPLAIN ANALYZE), 1.2-1.4 ms once every page is in the buffers. The embedded server now
starts with a quarter of the memory, up to 1 GB
(:func:`codelens._db.embedded.server_settings`). ``search_profile.py``, instrumented, at
load 0.4-1.5: the reads of the lists and of grouping 6.1 -> 2.8 ms (median per search),
the search 12.6 -> 10.6; ``benchmarks/search_buffers.py``, restarting the server in turns
at load 1.9-2.0, median of 4 rounds: hybrid p50 11.8 -> 9.8 ms, p95 30.8 -> 22.3. What is
left is mostly Python: the rules (1.1 ms instrumented; under cProfile their largest part
was the file-words share, worked out afresh for each path a new query meets, whose word
comparisons are since remembered: 0.45 -> 0.25 ms offline), the frame (0.8, of
which pandas' constructor 0.35 and its string columns 0.3), grouping's rows turned into
units, and psycopg sending and reading thirteen statements. Two connections at once (the
lexical statement on a second one, on the first one's exported snapshot) were 1.1 ms
slower at the p50 and no better at the p95 (``benchmarks/search_two_connections.py``):
the lexical statement takes 0.4 ms at the median, less than the second checkout and its
round trips, and the server's two processes share two cores with the client.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from codelens._db.autocommit import autocommit
from codelens._db.awaiting import any_awaiting_later
from codelens._db.estimates import estimated_chunks
from codelens._db.pool import search_path
from codelens._search.answering import Answering, answering_later
from codelens._search.by_file import FILE_SPREAD, by_file, check_by
from codelens._search.coverage import coverage_counts
from codelens._search.file_cosines import file_cosines_later
from codelens._search.filters import Filters
from codelens._search.fusion import KIND_WEIGHTS, Fused, fuse
from codelens._search.grouping import Unit, group
from codelens._search.lexical import lexical_hits_later, plan_query_later
from codelens._search.modes import DEFAULT_BY, DEFAULT_LIMIT, DEFAULT_MODE, MAX_LIMIT, MODES
from codelens._search.query import clean_query, query_cache, query_words
from codelens._search.results import SearchResults
from codelens._search.rooted_path import rooted
from codelens._search.signals import QueryShape, rerank, semantic_weight, shape_of
from codelens._search.unmatched import unmatched_filter
from codelens.errors import DatabaseError, EmbedderError, NotIndexed, ProjectNotFound, SearchError

if TYPE_CHECKING:
    from codelens._db.awaiting import VectorCoverage
    from codelens._db.handle import ProjectHandle
    from codelens._db.pool import Connection
    from codelens._embed.base import Embedder
    from codelens._search.query import Vector

__all__ = [
    "CANDIDATES",
    "EF_SEARCH",
    "EXACT_COST_RATIO",
    "EXACT_ROWS",
    "MAX_DEPTH",
    "hybrid_head",
    "search",
]

# How deep each mode's list goes before fusion: RRF needs more than the final limit, as a
# chunk ranked 30th by both modes can beat one ranked 3rd by one mode only.
CANDIDATES = 50
# Results group the parts of a definition (see grouping), so a list yields fewer results
# than chunks: single modes fetch this much more than ``limit``, and any mode fetches
# twice as deep again (up to MAX_DEPTH) while grouping leaves fewer than ``limit``.
_SPARE = 1.5
_HEAD = 2
MAX_DEPTH = 800
EF_SEARCH = 100
MAX_SCAN_TUPLES = 20_000
# With filters, semantic search either scores every row that passes them (exact; cost
# grows with those rows) or walks the HNSW graph until `depth` rows pass (cost grows with
# depth / selectivity, and one graph step costs about EXACT_COST_RATIO exact scorings, as
# measured at 100k and 1M chunks). Exact wins below sqrt(ratio * depth * rows) matching
# rows, and always below EXACT_ROWS.
EXACT_COST_RATIO = 9.0
EXACT_ROWS = 2_000

# No "embedding IS NOT NULL" here: statistics taken while every chunk awaited its vector
# make the planner expect no row to pass it and scan the whole table (150 ms at 560k
# chunks, against 0.5 ms through the graph). The graph holds no chunk awaiting a vector;
# a scan without the graph sorts them last, with a NULL distance, and they are dropped.
# Nor does it hold the zero vectors of number tables (codelens._embed.texts), whose
# distance is NaN: sorted after every number, and dropped too (in PostgreSQL NaN = NaN).
_SEMANTIC = """
WITH hits AS MATERIALIZED (
    SELECT c.id, {column} <=> %s AS distance FROM chunks c
    WHERE {where}
    ORDER BY distance LIMIT %s
)
SELECT id, 1 - distance FROM hits WHERE distance <> 'NaN' ORDER BY distance, id
"""
# Exact over the filtered rows: OFFSET 0 keeps the planner from merging the subquery,
# so the HNSW index cannot serve the ORDER BY, and each vector is read (and its distance
# computed) once. {paths} repeats a glob or extension filter as the paths it selects, read
# from the path index alone: the planner then fetches those rows, where it read every row
# of the table to test the pattern on each (90 ms at 100,000 chunks, now 20).
_SEMANTIC_EXACT = """
SELECT id, 1 - distance FROM (
    SELECT c.id, {column} <=> %s AS distance FROM chunks c
    WHERE {column} IS NOT NULL AND {where} AND {paths} OFFSET 0
) d
WHERE distance <> 'NaN'
ORDER BY distance, id LIMIT %s
"""
_ROWS = """
SELECT c.id, r.name, c.path, c.start_line, c.end_line, c.symbol, c.kind, c.language, c.content,
    c.cell_number, c.cell_kind, c.execution_count, c.cell_start_line, c.cell_end_line,
    r.root_path
FROM chunks c JOIN repositories r ON r.id = c.repository_id WHERE c.id = ANY(%s)
"""


def search(
    project: ProjectHandle,
    query: str,
    *,
    limit: int = DEFAULT_LIMIT,
    mode: str = DEFAULT_MODE,
    language: str | None = None,
    path: str | None = None,
    repository: str | None = None,
    file_type: str | None = None,
    by: str = DEFAULT_BY,
    kind: str | None = None,
) -> SearchResults:
    """Search ``project`` for code matching ``query``; see :class:`SearchResults` for columns.

    Modes:

    - ``"semantic"``: chunks by cosine similarity of their embedding to the query's (embedded
      by the project's own model, cached per session); ``score`` = 1 - cosine distance.
    - ``"lexical"``: PostgreSQL full-text search over chunk text, symbol and path, with
      identifiers split into words (``parseHttpResponse``, ``parse_http_response`` and
      "parse http response" meet). Any query word may match; ``score`` = the share of the
      query's information (idf-weighted words) the chunk contains, 0..1, ties ordered by
      ``ts_rank_cd`` (see :mod:`codelens._search.lexical`).
    - ``"hybrid"`` (default): both, fused by weighted reciprocal rank fusion; ``score`` =
      the fused score (see :mod:`codelens._search.fusion`). ``semantic_rank`` and
      ``lexical_rank`` keep each mode's rank.

    Every mode returns one row per definition: the parts a long definition was stored in
    (and adjacent windows of module code) are grouped into one result, ranked by its best
    part, with ``start_line``..``end_line`` spanning all of it and
    ``match_start_line``..``match_end_line`` the best part (see
    :mod:`codelens._search.grouping`). In hybrid mode module code then weighs less than
    definitions (``KIND_WEIGHTS`` in :mod:`codelens._search.fusion`).

    Filters (all optional, combined with AND): ``language`` (e.g. ``"python"``), ``path``
    (a glob such as ``"src/billing/**"``, or a directory or file such as
    ``"src/billing"``, under the repository's root; an absolute one is read under the root
    it lies in, see :mod:`codelens._search.rooted_path`), ``repository`` (its name),
    ``file_type`` (an extension, ``"py"`` or ``".py"``) and ``kind`` (``"code"`` or
    ``"docs"``, the ``category`` column; or a definition kind of the ``kind`` column such
    as ``"function"``).
    ``limit`` is 1..100; with filters, semantic search still returns ``limit`` rows
    whenever that many rows pass them.

    ``by="file"`` returns ranked files instead: one row per file, its best result's
    columns plus ``file_results`` and ``definitions`` (see :mod:`codelens._search.by_file`).

    Raises SearchError (empty or too long query, bad limit, mode or filter), NotIndexed,
    ProjectNotFound and EmbedderError (EmbedderUnavailable when the model cannot be reached),
    each with one line saying what to do.
    """
    text = clean_query(query)
    files = _check_limit(limit)
    limit = files if check_by(by) == "definition" else min(MAX_LIMIT, files * FILE_SPREAD)
    if mode not in MODES:
        raise SearchError(f"unknown search mode {mode!r}: use one of {', '.join(MODES)}")
    filters = Filters.of(
        language=language, path=path, repository=repository, file_type=file_type, kind=kind
    )
    depth = max(limit, CANDIDATES) if mode == "hybrid" else math.ceil(limit * _SPARE) + 5
    with _guarded(project):
        shape = shape_of(text)
        with project.read_connection(settings_by_caller=True) as conn:
            with _snapshot(conn, project.schema):
                filters = rooted(conn, filters)  # no statement unless the path is absolute
                # Sent together, read in one round trip with BEGIN (see _snapshot): which
                # model's vectors rank (never two in one ranking), whether chunks await
                # their vectors, and the query's terms.
                asked = None if mode == "lexical" else answering_later(conn, project)
                probed = None if mode == "lexical" else any_awaiting_later(conn)
                words = query_words(text)
                planned = plan_query_later(conn, words) if mode != "semantic" else None
                answer = None if asked is None else asked()
                vector = None if answer is None else _embed(answer.embedder, text)
                plan = None if planned is None else planned()
                while True:
                    # Both lists' statements go out before either is read: one round trip.
                    lexical_later = (
                        lexical_hits_later(conn, words, plan, filters, depth)
                        if plan is not None
                        else None
                    )
                    semantic = (
                        _semantic_later(conn, answer, vector, filters, depth)()
                        if answer is not None and vector is not None
                        else []
                    )
                    lexical = [] if lexical_later is None else lexical_later()
                    ranked = _ranked(mode, semantic, lexical, shape)
                    units = _units(
                        conn, ranked, limit, mode, shape, filters.path is not None, (answer, vector)
                    )
                    full = max(len(semantic), len(lexical)) >= depth
                    if len(units) >= limit or not full or depth >= MAX_DEPTH:
                        break
                    depth = min(depth * 2, MAX_DEPTH)
                unmatched = None
                if not units:
                    # No result: say so when the project has no chunk at all, and name a
                    # filter that matches nothing.
                    _check_indexed(conn, project)
                    unmatched = unmatched_filter(conn, filters) if filters else None
                # Read after COMMIT, which goes out with it: the snapshot already holds them.
                fetched = _rows_later(conn, [i for unit in units for i in unit.part_ids])
                covered: VectorCoverage | None = None
                # Counting costs a scan of every chunk: only while vectors are still arriving.
                if answer is not None and probed is not None and (answer.first_pass or probed()):
                    covered = coverage_counts.get(
                        conn, project.schema, first_pass=answer.first_pass
                    )
            rows, roots = fetched()
    coverage = None if answer is None or covered is None else answer.covered(covered)
    results = SearchResults.build(project.id, text, mode, units, rows, coverage, roots)
    results.attrs["filter_note"] = unmatched
    if answer is not None:
        results.attrs.update(answer.describe(covered))
    return results if by == "definition" else by_file(results, files)


def _units(
    conn: Connection,
    ranked: list[Fused],
    limit: int,
    mode: str,
    shape: QueryShape,
    path_filtered: bool,
    meaning: tuple[Answering | None, Vector | None] = (None, None),
) -> list[Unit]:
    """Grouped results from the head of ``ranked``, read deeper while they are too few.

    Hybrid search groups the head of the fused candidates (at least ``CANDIDATES``) and
    re-ranks it by kind and by the ranking rules (:mod:`codelens._search.signals`): a
    boost can lift a result from well below the final ``limit`` (on the evaluation, a head
    of 50 ranks as well as every candidate, 30 lost 0.01 NDCG@10). Single modes keep their
    own order. ``meaning``: the answering model and the query's vector, for the files'
    cosines (:mod:`codelens._search.file_cosines`)."""
    head = min(len(ranked), hybrid_head(limit) if mode == "hybrid" else _HEAD * limit + 10)
    while True:
        if mode == "hybrid":
            cosines = file_cosines_later(conn, *meaning, [f.id for f in ranked[:head]])
            units = group(conn, ranked[:head], None, KIND_WEIGHTS)
            units = rerank(units, shape, path_filtered=path_filtered, file_cosines=cosines())
            units = units[:limit]
        else:
            units = group(conn, ranked[:head], limit)
        if len(units) >= limit or head >= len(ranked):
            return units
        head = min(head * 2, len(ranked))


def hybrid_head(limit: int) -> int:
    """How many fused candidates hybrid search groups and re-ranks for ``limit`` results."""
    return max(CANDIDATES, _HEAD * limit + 10)


def _ranked(
    mode: str,
    semantic: list[tuple[int, float]],
    lexical: list[tuple[int, float]],
    shape: QueryShape,
) -> list[Fused]:
    if mode == "hybrid":
        return fuse(semantic, lexical, semantic_weight=semantic_weight(shape))
    if mode == "semantic":
        return [Fused(cid, s, i, None) for i, (cid, s) in enumerate(semantic, 1)]
    return [Fused(cid, s, None, i) for i, (cid, s) in enumerate(lexical, 1)]


def _embed(embedder: Embedder, text: str) -> Vector:
    try:
        return query_cache.embed(embedder, text)
    except EmbedderError as exc:
        # Same class (EmbedderUnavailable stays EmbedderUnavailable), one more way out.
        raise type(exc)(f"{exc} (mode='lexical' searches without it)") from exc


def _check_limit(limit: object) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise SearchError(f"limit must be an integer from 1 to {MAX_LIMIT}, not {limit!r}")
    return limit


@contextmanager
def _guarded(project: ProjectHandle) -> Iterator[None]:
    # A handle can outlive its project (dropped in another cell or process): its schema
    # is gone, which PostgreSQL reports as a missing table or function.
    try:
        yield
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedFunction) as exc:
        if not project.exists():
            raise ProjectNotFound(
                f"no project {project.id!r} (dropped?): codelens.projects() lists the existing ones"
            ) from None
        raise DatabaseError(
            f"project {project.id!r} has an outdated schema ({exc.diag.message_primary}): "
            f"open it with codelens.project({project.id!r}) to migrate it"
        ) from None


# Under READ COMMITTED each statement sees the commits before it, so the rows of chunks
# that a re-index replaced between ranking and fetching were gone. A read-only
# transaction never waits on writers nor fails to serialise.
_BEGIN = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"


@contextmanager
def _snapshot(conn: Connection, schema: str) -> Iterator[None]:
    # In pipeline mode, several statements per round trip: BEGIN and the schema's
    # search_path leave with the first statements, RESET ALL (for the pool: the connection
    # was taken with settings_by_caller) and COMMIT with the last ones, and a statement
    # whose answer is not read (set_config) costs no round trip of its own. Said as
    # statements in autocommit: psycopg's transaction() syncs on entering and twice on
    # leaving a pipeline (three round trips). On an error the transaction rolls back, its
    # settings with it, and the pool resets the connection.
    with autocommit(conn):
        try:
            with conn.pipeline():
                conn.execute(_BEGIN)
                conn.execute(
                    "SELECT set_config('search_path', %s, false)",
                    [search_path(conn, schema)],
                    prepare=True,
                )
                yield
                conn.execute("RESET ALL")
                conn.execute("COMMIT")
        except BaseException:
            if not conn.broken:
                with suppress(psycopg.Error):
                    conn.rollback()
            raise


def _semantic(
    conn: Connection, answer: Answering, query: Vector, filters: Filters, depth: int
) -> list[tuple[int, float]]:
    """Chunks by cosine to ``query``, over the answering model's column alone."""
    # Its own transaction when called alone (the settings below are local to one); inside
    # search's, a savepoint would only add two round trips.
    idle = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    with conn.transaction() if idle else nullcontext():
        return _semantic_later(conn, answer, query, filters, depth)()


def _semantic_later(
    conn: Connection, answer: Answering, query: Vector, filters: Filters, depth: int
) -> Callable[[], list[tuple[int, float]]]:
    """:func:`_semantic` inside the caller's transaction, in two steps: the statements are
    sent now, the answer read when the returned function is called."""
    vector = answer.parameter(query)
    column = sql.Identifier("c", answer.column)
    where, params = filters.where()
    passing = _passing(conn, where, params, depth) if filters else None
    if passing == 0:
        # No row passes: nothing to score (the exact scan reads every row to find none).
        return lambda: []
    if passing is not None:
        # Few rows pass: scoring them all is exact and cheaper than walking the graph
        # past the many neighbours that the filter rejects.
        cursor = _exact(conn, column, vector, filters, (where, params), depth)
        return lambda: [(int(cid), float(score)) for cid, score in cursor.fetchall()]
    # pgvector 0.8 iterative scans: keep walking the graph until enough rows pass the
    # filters, instead of filtering the first ef_search neighbours down to few.
    conn.execute(
        "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true),"
        " set_config('hnsw.ef_search', %s, true),"
        " set_config('hnsw.max_scan_tuples', %s, true)",
        [str(max(EF_SEARCH, depth)), str(MAX_SCAN_TUPLES)],
        prepare=True,
    )
    graph = conn.execute(
        sql.SQL(_SEMANTIC).format(column=column, where=where),
        [vector, *params, depth],
        prepare=True,
    )

    def found() -> list[tuple[int, float]]:
        rows = graph.fetchall()
        if filters and len(rows) < depth:
            # The scan gave up (max_scan_tuples) before enough rows passed.
            rows = _exact(conn, column, vector, filters, (where, params), depth).fetchall()
        return [(int(cid), float(score)) for cid, score in rows]

    return found


def _passing(
    conn: Connection, where: sql.Composable, params: list[object], depth: int
) -> int | None:
    """How many chunks pass the filters when so few do that scoring them all is the
    cheaper plan; None when more do."""
    total = max(estimated_chunks(conn), 0.0)
    threshold = max(EXACT_ROWS, int(math.sqrt(EXACT_COST_RATIO * depth * total)))
    count = conn.execute(
        sql.SQL("SELECT count(*) FROM (SELECT FROM chunks c WHERE {} LIMIT %s) s").format(where),
        [*params, threshold + 1],
        prepare=True,
    ).fetchone()
    return int(count[0]) if count is not None and int(count[0]) <= threshold else None


def _exact(
    conn: Connection,
    column: sql.Composable,
    vector: object,
    filters: Filters,
    condition: tuple[sql.Composable, list[object]],
    depth: int,
) -> psycopg.Cursor[Any]:
    """The ``depth`` chunks nearest ``vector`` among those that pass ``filters``, whose
    ``condition`` (``filters.where()``) the caller has already built."""
    where, params = condition
    paths: sql.Composable = sql.SQL("TRUE")
    path_params: list[object] = []
    if filters.patterned:
        inner, path_params = Filters(path=filters.path, file_type=filters.file_type).where("p")
        paths = sql.SQL("c.path IN (SELECT p.path FROM chunks p WHERE {})").format(inner)
    return conn.execute(
        sql.SQL(_SEMANTIC_EXACT).format(column=column, where=where, paths=paths),
        [vector, *params, *path_params, depth],
        prepare=True,
    )


_Rows = tuple[dict[int, tuple[Any, ...]], dict[str, str]]


def _rows(conn: Connection, ids: list[int]) -> _Rows:
    """The chunks ``ids`` by id, and their repositories' folders by name (the notebook
    view links each header to its file)."""
    return _rows_later(conn, ids)()


def _rows_later(conn: Connection, ids: list[int]) -> Callable[[], _Rows]:
    """:func:`_rows` in two steps: the statement is sent now, its answer read when the
    returned function is called (after the pipeline's last sync, with no round trip)."""
    if not ids:
        return lambda: ({}, {})
    cursor = conn.execute(_ROWS, [ids], prepare=True)

    def rows() -> _Rows:
        found = cursor.fetchall()
        return {int(r[0]): r[1:-1] for r in found}, {str(r[1]): str(r[-1]) for r in found}

    return rows


def _check_indexed(conn: Connection, project: ProjectHandle) -> None:
    if conn.execute("SELECT NOT EXISTS (SELECT FROM chunks)", prepare=True).fetchone() == (True,):
        raise NotIndexed.project(project.id)
