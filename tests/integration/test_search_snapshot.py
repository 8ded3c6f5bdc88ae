"""A search beside a re-index: ranked and fetched from one snapshot, so never short."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from codelens import Project, Workspace
from codelens._search import engine as search_module
from codelens._search.engine import search
from codelens._search.modes import MODES
from tests.search_helpers import LEVENSHTEIN, PARSE, Chunk, load

CHUNKS = [
    Chunk("text/distance.py", "levenshtein", LEVENSHTEIN),
    Chunk("net/http.py", "parseHttpResponse", PARSE),
    Chunk("billing/tax.py", "total_with_tax", "def total_with_tax(items, rate):\n    return 1\n"),
    Chunk("billing/refund.py", "refund_payment", "def refund_payment(p):\n    p.refund()\n"),
]
QUERY = "edit distance between two strings, parse the http response, tax and refund"


@pytest.fixture
def target(workspace: Workspace, project_id: str) -> Iterator[Project]:
    project = workspace.create(project_id, embedder="local")
    load(project, CHUNKS)
    yield project
    workspace.drop(project_id, force=True)


def _listing(results: Any) -> list[tuple[str, str, str]]:
    return list(zip(results.path, results.symbol, results.content, strict=True))


@pytest.mark.parametrize("mode", MODES)
def test_a_reindex_between_ranking_and_fetching_does_not_shorten_the_results(
    target: Project, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    idle = search(target.handle, QUERY, mode=mode)
    assert len(idle) == len(CHUNKS)
    fetch = search_module._rows_later
    rewritten: list[list[int]] = []

    def reindex_then_fetch(conn: Any, ids: list[int]) -> Any:
        # What a concurrent re-index commits between the ranking and the fetch: the ranked
        # chunks deleted and written again, under new ids, on another connection.
        with target.connection() as other, other.transaction():
            other.execute("DELETE FROM chunks WHERE id = ANY(%s)", [ids])
        rewritten.append(load(target, CHUNKS))
        return fetch(conn, ids)

    monkeypatch.setattr(search_module, "_rows_later", reindex_then_fetch)
    during = search(target.handle, QUERY, mode=mode)
    monkeypatch.undo()

    assert rewritten, "the seam was not reached"
    # The snapshot the search ranked in: every ranked chunk, in the idle order.
    assert _listing(during) == _listing(idle)
    assert list(during["rank"]) == list(range(1, len(CHUNKS) + 1))
    # The re-index is committed: the next search sees only the new chunks.
    after = search(target.handle, QUERY, mode=mode)
    with target.connection() as conn:
        ids = {int(r[0]) for r in conn.execute("SELECT id FROM chunks").fetchall()}
    assert ids == set(rewritten[0])
    assert sorted(_listing(after)) == sorted(_listing(idle))
    assert target.workspace.db.idle()
