"""Path globs and filters, checked by PostgreSQL itself."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from psycopg import sql

from codelens import Project, Workspace
from codelens._search.engine import search
from codelens._search.filters import Filters, glob_to_like, glob_to_regex
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
    assert _matching(workspace, PATHS, Filters.of(path=glob)) == expected
    with workspace.db.connection() as conn:
        rows = conn.execute(
            "SELECT p FROM unnest(%s::text[]) p WHERE p ~ %s", [PATHS, glob_to_regex(glob)]
        ).fetchall()
    assert {r[0] for r in rows} == expected


def _matching(workspace: Workspace, paths: list[str], filters: Filters) -> set[str]:
    """The paths that pass the whole of ``filters`` (a glob: its LIKE, then its regex where
    one is needed), as PostgreSQL reads them."""
    where, params = filters.where(alias="c")
    with workspace.db.connection() as conn:
        rows = conn.execute(
            sql.SQL("SELECT c.path FROM unnest(%s::text[]) AS c(path) WHERE {}").format(where),
            [paths, *params],
        ).fetchall()
    return {r[0] for r in rows}


NAMES = ["src/50%_off.py", "src/50xyoff.py", "src/a_b.py", "src/aXb.py", "a_b.py", "x/a_b.PY"]


@pytest.mark.parametrize(
    ("glob", "like", "exact", "expected"),
    [
        # The LIKE that goes first is exact where a "*" before the name's end allows it...
        ("**/*.py", "%.py", True, set(NAMES[:5])),
        ("**/*_b.py", "%\\_b.py", True, {"src/a_b.py", "a_b.py"}),
        # ...and only lets through what the regex then decides, "%" and "_" taken literally.
        ("**/a_b.py", "%a\\_b.py", False, {"src/a_b.py", "a_b.py"}),
        ("src/50%_*", "src/50\\%\\_%", False, {"src/50%_off.py"}),
        ("*.py", "%.py", False, {"a_b.py"}),  # at the root alone: no "/" in the path
        ("?_b.*", "_\\_b.%", False, {"a_b.py"}),
        ("*", "%", False, {"a_b.py"}),
        ("src/a?b.py", "src/a_b.py", False, {"src/a_b.py", "src/aXb.py"}),
        ("**/x/**", "%x/%", False, {"x/a_b.PY"}),
    ],
)
def test_a_glob_is_tried_as_a_like_first(
    workspace: Workspace, glob: str, like: str, exact: bool, expected: set[str]
) -> None:
    assert glob_to_like(glob) == (like, exact)
    assert _matching(workspace, NAMES, Filters.of(path=glob)) == expected


def test_filters_are_normalised() -> None:
    filters = Filters.of(language=" Python ", path="./src/billing/", file_type=".py")
    assert filters == Filters(language="python", path="src/billing", file_type="py")
    assert not Filters.of()
    assert Filters.of(repository="r")


def test_kind_is_a_category_or_a_definition_kind() -> None:
    assert Filters.of(kind=" Docs ") == Filters(kind="docs")
    assert Filters.of(kind="CODE") == Filters(kind="code")
    assert Filters.of(kind="function").kind == "function"
    assert Filters.of(kind="docs")


@pytest.mark.parametrize("kind", ["code or docs", "docs'; --", "*", "1", "code,docs"])
def test_an_unknown_kind_lists_what_kind_accepts(kind: str) -> None:
    with pytest.raises(SearchError) as caught:
        Filters.of(kind=kind)
    message = str(caught.value)
    assert "\n" not in message
    assert "'code'" in message and "'docs'" in message and "function" in message


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
    assert params == ["x'y", "r'", "a'b/", "a'b0", "a'b/%", "^a\\'b/.*$", 3, ".p'"]
    for kind, value in (("docs", ["markdown", "rst", "text"]), ("method", "method")):
        where, params = Filters.of(kind=kind).where()
        assert "'" not in where.as_string(None)
        assert params == [value]


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"path": ""}, "path filter is empty"),
        ({"path": "./"}, "names the root"),
        ({"file_type": "..."}, "file_type filter is empty"),
        ({"language": 3}, "must be a string"),
        ({"kind": " "}, "kind filter is empty"),
        ({"kind": ["code"]}, "kind filter must be a string"),
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
    assert _matching(workspace, PATHS, Filters.of(path=path)) == expected


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


# Prose of three kinds, code with and without a known language: the categories' edges.
MIXED = [
    Chunk("src/retry.py", "retry_request", "def retry_request(call):\n    return call()\n"),
    Chunk(
        "src/Retry.java",
        "Retry",
        "class Retry { void retryRequest() {} }\n",
        language="java",
        kind="class",
    ),
    Chunk("tools/retry", "", "retry the request until it succeeds\n", language=None, kind="window"),
    Chunk(
        "docs/retry.md",
        "Retrying requests",
        "# Retrying requests\n\nHow to retry a request.\n",
        language="markdown",
        kind="section",
    ),
    Chunk("docs/retry.rst", "", "Retrying a request\n==================\n", language="rst"),
    Chunk("README", "", "retry requests with backoff\n", language="text", kind="window"),
]
DOCS_PATHS = {"docs/retry.md", "docs/retry.rst", "README"}


@pytest.fixture(scope="module")
def mixed(workspace: Workspace) -> Iterator[Project]:
    project = workspace.create(f"filters-mixed-{uuid.uuid4().hex[:8]}")
    load(project, MIXED)
    yield project
    workspace.drop(project.id, force=True)


@pytest.mark.parametrize("by", ["definition", "file"])
@pytest.mark.parametrize("mode", ["semantic", "lexical", "hybrid"])
def test_kind_keeps_code_or_docs_only(mixed: Project, mode: str, by: str) -> None:
    everything = search(mixed.handle, "retry request", mode=mode, by=by, limit=20)
    docs = search(mixed.handle, "retry request", mode=mode, by=by, limit=20, kind="docs")
    code = search(mixed.handle, "retry request", mode=mode, by=by, limit=20, kind="code")
    assert set(everything.path) == {c.path for c in MIXED}
    assert set(docs.path) == DOCS_PATHS
    assert set(docs.category) == {"docs"}
    assert set(code.path) == {"src/retry.py", "src/Retry.java", "tools/retry"}
    assert set(code.category) == {"code"}
    by_path = dict(zip(everything.path, everything.category, strict=True))
    assert {p for p, c in by_path.items() if c == "docs"} == DOCS_PATHS


def test_kind_also_takes_a_definition_kind(mixed: Project) -> None:
    results = search(mixed.handle, "retry request", kind="Section", limit=20)
    assert list(results.path) == ["docs/retry.md"]
    assert set(search(mixed.handle, "retry request", kind="class").symbol) == {"Retry"}
    assert search(mixed.handle, "retry request", kind="interface").empty


@pytest.mark.parametrize(
    ("filters", "note"),
    [
        (
            {"language": "Klingon"},
            "language filter 'klingon' matches no chunk of this project"
            " (its languages: java, markdown, python, rst, text)",
        ),
        (
            {"repository": "nope", "language": "python"},
            "repository filter 'nope' names no repository of this project (its repositories: repo)",
        ),
        ({"path": "nowhere"}, "path filter 'nowhere' matches no file of this project"),
        ({"path": "src/**/*.go"}, "path filter 'src/**/*.go' matches no file of this project"),
        ({"file_type": ".rs"}, "file_type filter 'rs' matches no file of this project"),
        (
            {"kind": "interface"},
            "kind filter 'interface' matches no chunk of this project"
            " (its kinds: class, function, section, window)",
        ),
    ],
)
@pytest.mark.parametrize("by", ["definition", "file"])
@pytest.mark.parametrize("mode", ["semantic", "lexical", "hybrid"])
def test_a_filter_that_matches_nothing_is_named(
    mixed: Project, mode: str, by: str, filters: dict[str, str], note: str
) -> None:
    """A typo in a filter (``pyhton``) used to give no results and no reason."""
    results = search(mixed.handle, "retry request", mode=mode, by=by, **filters)
    assert results.empty
    assert results.filter_note == note
    assert note in repr(results)


def test_filters_that_each_match_but_not_together_name_none(mixed: Project) -> None:
    results = search(mixed.handle, "retry request", language="java", path="docs")
    assert results.empty
    assert results.filter_note is None
    found = search(mixed.handle, "retry request", language="java")
    assert not found.empty and found.filter_note is None


def test_a_long_list_of_what_the_project_has_is_cut(workspace: Workspace) -> None:
    project = workspace.create(f"filters-many-{uuid.uuid4().hex[:8]}")
    try:
        kinds = [f"kind{chr(ord('a') + i)}" for i in range(14)]
        load(project, [Chunk(f"notes/{k}", "", "retry a request\n", None, k) for k in kinds])
        results = search(project.handle, "retry request", kind="function")
        assert results.filter_note == (
            "kind filter 'function' matches no chunk of this project (its kinds: "
            + ", ".join(kinds[:12])
            + " and 2 more)"
        )
        unknown = search(project.handle, "retry request", language="python", mode="lexical")
        assert unknown.filter_note == (
            "language filter 'python' matches no chunk of this project (its languages: none)"
        )
        assert search(project.handle, "retry request", kind="docs").filter_note == (
            "kind filter 'docs' matches no chunk of this project: it has no docs"
        )
        with project.connection() as conn:
            conn.execute("INSERT INTO repositories (root_path, name) VALUES ('/nowhere', 'bare')")
            conn.commit()
        assert search(project.handle, "retry request", repository="bare").filter_note == (
            "repository filter 'bare' matches no chunk of this project: it has none yet"
        )
    finally:
        workspace.drop(project.id, force=True)


@pytest.fixture(scope="module")
def two_roots(workspace: Workspace) -> Iterator[Project]:
    """Two repositories (roots ``/src/shop`` and ``/src/shop-admin``) with the same paths."""
    project = workspace.create(f"filters-roots-{uuid.uuid4().hex[:8]}")
    load(
        project,
        [
            Chunk("src/retry.py", "retry", "def retry(request): ...\n", repository="shop"),
            Chunk(
                "docs/retry.md",
                "Retry",
                "# Retry\n\nretry a request\n",
                "markdown",
                "section",
                "shop",
            ),
            Chunk("src/retry.py", "retry", "def retry(job): ...\n", repository="shop-admin"),
            Chunk("tools/retry.py", "again", "def again(job): ...\n", repository="shop-admin"),
        ],
    )
    yield project
    workspace.drop(project.id, force=True)


@pytest.mark.parametrize("mode", ["semantic", "lexical", "hybrid"])
@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/src/shop/src", {("shop", "src/retry.py")}),
        ("/src/shop/src/retry.py", {("shop", "src/retry.py")}),
        ("/src/shop-admin/src/", {("shop-admin", "src/retry.py")}),
        (
            "/src/shop-admin/**/*.py",
            {("shop-admin", "src/retry.py"), ("shop-admin", "tools/retry.py")},
        ),
        ("/src/shop", {("shop", "src/retry.py"), ("shop", "docs/retry.md")}),
        ("/src/shop/./src/../docs", {("shop", "docs/retry.md")}),
        ("~/shop-admin/tools", {("shop-admin", "tools/retry.py")}),
    ],
)
def test_an_absolute_path_filter_is_read_under_its_repository_root(
    two_roots: Project,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    path: str,
    expected: set[tuple[str, str]],
) -> None:
    """What an editor or an agent knows is the absolute folder (MCP's ``directory``); it
    used to match nothing, since stored paths are relative to their repository's root."""
    monkeypatch.setenv("HOME", "/src")
    results = search(two_roots.handle, "retry a request", mode=mode, path=path, limit=20)
    assert set(zip(results.repository, results.path, strict=True)) == expected


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (
            {"path": "/elsewhere/src"},
            "path filter '/elsewhere/src' lies outside this project's repositories"
            " (/src/shop, /src/shop-admin): give a folder inside one of them, or a path"
            " relative to its root such as 'src/billing'",
        ),
        (
            {"path": "/src/shop/src", "repository": "shop-admin"},
            "path filter '/src/shop/src' lies in repository 'shop', not 'shop-admin':"
            " drop one of the two filters",
        ),
    ],
)
def test_an_absolute_path_outside_the_filtered_roots_says_so(
    two_roots: Project, filters: dict[str, str], message: str
) -> None:
    with pytest.raises(SearchError) as caught:
        search(two_roots.handle, "retry a request", **filters)
    assert str(caught.value) == message


def test_an_absolute_path_through_a_symbolic_link_is_read_under_the_real_root(
    workspace: Workspace, tmp_path: Path
) -> None:
    """Roots are stored resolved; a folder reached through a link names the same files."""
    real = tmp_path / "real"
    (real / "src").mkdir(parents=True)
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    project = workspace.create(f"filters-link-{uuid.uuid4().hex[:8]}")
    try:
        load(
            project,
            [
                Chunk("src/retry.py", "retry", "def retry(request): ...\n", repository="linked"),
                Chunk("docs/retry.md", "Retry", "# Retry\n", "markdown", "section", "linked"),
            ],
        )
        with project.connection() as conn:
            conn.execute("UPDATE repositories SET root_path = %s", [str(real.resolve())])
            conn.commit()
        for path in (tmp_path / "link" / "src", real / "src"):
            results = search(project.handle, "retry a request", path=str(path))
            assert list(results.path) == ["src/retry.py"], path
    finally:
        workspace.drop(project.id, force=True)


@pytest.mark.parametrize(
    ("file_type", "expected"),
    [("py", set(NAMES)), ("PY", set(NAMES)), ("b.py", set())],
)
def test_a_file_type_is_the_end_of_the_name_in_any_case(
    workspace: Workspace, file_type: str, expected: set[str]
) -> None:
    paths = [*NAMES, "src/py", "src/x.pyc", "src/x.p"]
    assert _matching(workspace, paths, Filters.of(file_type=file_type)) == expected
