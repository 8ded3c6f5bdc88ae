"""Path globs and filters, checked by PostgreSQL itself."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from psycopg import sql

from codelens import Project, Workspace
from codelens._search.filters import Filters, glob_to_regex
from codelens.errors import SearchError
from tests.search_helpers import Chunk, load

PATHS = [
    "src/billing/invoice.py",
    "src/billing/tax/vat.py",
    "src/billing.py",
    "src/billing_old/legacy.py",
    "lib/src/billing/x.py",
    "README.md",
    "a.b/c+d(e)$.py",
]


@pytest.mark.parametrize(
    ("glob", "expected"),
    [
        ("src/billing/**", {"src/billing/invoice.py", "src/billing/tax/vat.py"}),
        ("src/billing/*", {"src/billing/invoice.py"}),
        ("src/billing/*.py", {"src/billing/invoice.py"}),
        ("src/**/*.py", set(PATHS[:4])),
        ("**/billing/*.py", {"src/billing/invoice.py", "lib/src/billing/x.py"}),
        ("**/*.md", {"README.md"}),
        ("*.md", {"README.md"}),
        ("src/billing?py", {"src/billing.py"}),
        ("a.b/c+d(e)$.py", {"a.b/c+d(e)$.py"}),
        ("a?b/*", {"a.b/c+d(e)$.py"}),
        ("**", set(PATHS)),
        ("*", {"README.md"}),
    ],
)
def test_globs_match_like_a_shell(workspace: Workspace, glob: str, expected: set[str]) -> None:
    with workspace.db.connection() as conn:
        rows = conn.execute(
            "SELECT p FROM unnest(%s::text[]) p WHERE p ~ %s", [PATHS, glob_to_regex(glob)]
        ).fetchall()
    assert {r[0] for r in rows} == expected


def test_filters_are_normalised() -> None:
    filters = Filters.of(language=" Python ", path="./src/billing/", file_type=".py")
    assert filters == Filters(language="python", path="src/billing", file_type="py")
    assert not Filters.of()
    assert Filters.of(repository="r")


def test_no_filter_is_true() -> None:
    where, params = Filters().where()
    assert where.as_string(None) == "TRUE"
    assert params == []


def test_every_value_is_a_parameter() -> None:
    where, params = Filters.of(
        language="x'y", path="a'b/**", repository="r'", file_type="p'"
    ).where()
    text = where.as_string(None)
    assert "'" not in text
    assert params == ["x'y", "r'", "a'b/", "a'b0", "^a\\'b/.*$", "%.p'"]


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"path": ""}, "path filter is empty"),
        ({"path": "./"}, "names the root"),
        ({"file_type": "..."}, "file_type filter is empty"),
        ({"language": 3}, "must be a string"),
        ({"repository": "a\x00"}, "NUL"),
        ({"path": "p" * 4097}, "at most 4096"),
    ],
)
def test_unusable_filters_say_what_to_do(filters: dict[str, object], message: str) -> None:
    with pytest.raises(SearchError, match=message):
        Filters.of(**filters)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("src/billing", {"src/billing/invoice.py", "src/billing/tax/vat.py"}),
        ("src/billing.py", {"src/billing.py"}),
        ("src/billing/**", {"src/billing/invoice.py", "src/billing/tax/vat.py"}),
        ("src/b*", {"src/billing.py"}),
        ("*/billing/*", {"src/billing/invoice.py"}),
    ],
)
def test_filters_select_exactly_the_matching_paths(
    workspace: Workspace, path: str, expected: set[str]
) -> None:
    where, params = Filters.of(path=path).where(alias="c")
    with workspace.db.connection() as conn:
        rows = conn.execute(
            sql.SQL("SELECT c.path FROM unnest(%s::text[]) AS c(path) WHERE {}").format(where),
            [PATHS, *params],
        ).fetchall()
    assert {r[0] for r in rows} == expected


def test_a_folder_filter_bounds_the_path_index_scan_to_its_range(project: Project) -> None:
    """`path = 'p07' OR path in ['p07/', 'p070')` alone gave the planner no range to bound
    an index scan: at 100k chunks it read the whole path index and filtered it (4.8 ms,
    against 0.2 ms for the range), as no statement is prepared and every search is
    planned for its own values. Here the scan is forced onto the index, as it was there."""
    chunks = [
        Chunk(f"p{f:02d}/m{i}.py", f"f{i}", f"def f{i}():\n    return {i}\n")
        for f in range(10)
        for i in range(20)
    ]
    rng = np.random.default_rng(0)
    load(project, chunks, vectors=rng.normal(size=(len(chunks), 384)).tolist())
    where, params = Filters.of(path="p07").where()
    with project.connection() as conn, conn.transaction():
        conn.execute("SET LOCAL enable_seqscan = off")
        conn.execute("SET LOCAL enable_bitmapscan = off")
        count = conn.execute(
            sql.SQL("SELECT count(*) FROM chunks c WHERE {}").format(where), params
        ).fetchone()
        row = conn.execute(
            sql.SQL("EXPLAIN (FORMAT JSON) SELECT count(*) FROM chunks c WHERE {}").format(where),
            params,
        ).fetchone()
    assert count == (20,)
    assert row is not None
    scans = [n for n in _nodes(row[0][0]["Plan"]) if n.get("Index Name") == "chunks_path"]
    assert scans and all("~>=~ 'p07'" in n.get("Index Cond", "") for n in scans), scans


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(n for child in plan.get("Plans", []) for n in _nodes(child))]
