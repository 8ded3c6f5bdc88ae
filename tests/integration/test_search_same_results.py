"""A search's few round trips give the results of its steps run one at a time.

Search sends its statements in pipeline mode (several per round trip, its schema's
search_path and RESET ALL among them), reads the model's record in its own snapshot and
runs the semantic statement without a savepoint of its own. Here each step runs the way
it did before (the model's record on a connection of its own, the semantic statement in a
savepoint, every statement after the last, on a connection set up by the pool) on a real
project indexed from codelens' own search sources with the static model: the whole frame
must equal what ``search`` returns, and its ids, order and scores those of the grouped and
re-ranked units themselves, read before any frame is built.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import codelens._search as search_package
from codelens import Project, Workspace
from codelens._db.awaiting import any_awaiting
from codelens._db.model_record import search_embedder
from codelens._search import engine
from codelens._search.answering import answering
from codelens._search.by_file import FILE_SPREAD, by_file
from codelens._search.engine import CANDIDATES, MAX_DEPTH, search
from codelens._search.filters import Filters
from codelens._search.fusion import fuse
from codelens._search.lexical import lexical_hits, plan_query
from codelens._search.query import query_cache
from codelens._search.results import SearchResults
from codelens._search.signals import semantic_weight, shape_of

QUERIES = [
    "reciprocal rank fusion of the semantic and lexical lists",
    "lexical_hits",
    "group the parts of a definition",
    "how are ties ordered",
    "SearchResults.build",
    "path prior for tests",
]


@pytest.fixture(scope="module")
def indexed(workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    source = tmp_path_factory.mktemp("sources") / "search"
    shutil.copytree(Path(search_package.__file__).parent, source)
    name = f"t-same-{uuid.uuid4().hex[:12]}"
    project = workspace.create(name, embedder="static")
    project.index(source, progress=False)
    yield project
    workspace.drop(name, force=True)


def _step_by_step(project: Project, text: str, limit: int, **filters: Any) -> pd.DataFrame:
    """Hybrid search as it ran before: the same steps, one statement at a time."""
    handle = project.handle
    vector = query_cache.embed(search_embedder(handle), text)
    shape = shape_of(text)
    where = Filters.of(**filters)
    depth = max(limit, CANDIDATES)
    with project.connection() as conn, conn.transaction():
        answer = answering(conn, handle)
        plan = plan_query(conn, text)
        while True:
            with conn.transaction():
                semantic = engine._semantic(conn, answer, vector, where, depth)
            lexical = lexical_hits(conn, text, plan, where, depth) if plan is not None else []
            ranked = fuse(semantic, lexical, semantic_weight=semantic_weight(shape))
            units = engine._units(
                conn, ranked, limit, "hybrid", shape, "path" in filters, (answer, vector)
            )
            full = max(len(semantic), len(lexical)) >= depth
            if len(units) >= limit or not full or depth >= MAX_DEPTH:
                break
            depth = min(depth * 2, MAX_DEPTH)
        rows, roots = engine._rows(conn, [i for unit in units for i in unit.part_ids])
        assert not any_awaiting(conn)
    results = SearchResults.build(handle.id, text, "hybrid", units, rows, None, roots)
    results.attrs.update(answer.describe(None))
    # What the frame is built from, unbuilt: the ids, order and scores must come through.
    results.attrs["units"] = [
        (unit.best.id, tuple(sorted(unit.part_ids)), unit.best.score)
        for unit in units
        if unit.best.id in rows
    ]
    return results


def _units_of(frame: pd.DataFrame) -> list[tuple[int, tuple[int, ...], float]]:
    """(best part, every part, score) per row, from the frame's own columns: the best part
    is the one whose lines are the match's."""
    found = []
    for row in frame.itertuples():
        lines = list(row.part_lines)
        best = row.part_ids[lines.index((row.match_start_line, row.match_end_line))]
        found.append((int(best), tuple(sorted(int(i) for i in row.part_ids)), float(row.score)))
    return found


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize(
    ("limit", "filters"),
    [(10, {}), (3, {}), (40, {}), (10, {"path": "signals/**"}), (10, {"kind": "function"})],
)
def test_hybrid_search_equals_its_steps_run_one_at_a_time(
    indexed: Project, query: str, limit: int, filters: dict[str, Any]
) -> None:
    expected = _step_by_step(indexed, query, limit, **filters)
    found = search(indexed.handle, query, limit=limit, **filters)
    assert len(expected) > 0
    assert _units_of(found) == expected.attrs.pop("units")
    # Exact: the same chunks in the same order with the same scores, every column.
    pd.testing.assert_frame_equal(found, expected, check_exact=True)


def test_files_as_results_equal_the_steps_grouped_by_file(indexed: Project) -> None:
    query = QUERIES[0]
    step_by_step = _step_by_step(indexed, query, 10 * FILE_SPREAD)
    step_by_step.attrs.pop("units")
    expected = by_file(step_by_step, 10)
    found = search(indexed.handle, query, by="file")
    pd.testing.assert_frame_equal(found, expected, check_exact=True)
    assert indexed.workspace.db.idle()
