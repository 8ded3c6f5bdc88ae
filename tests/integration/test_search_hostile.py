"""Hostile queries and filters: results or a clean CodelensError, never a database error."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from codelens import Project, Workspace
from codelens._search.engine import search
from codelens.errors import CodelensError, DatabaseError, SearchError
from tests.search_helpers import Chunk, load

QUERIES = [
    "'",
    '"',
    "''''",
    "\\",
    "\\\\'",
    "a & b",
    "a | b",
    "!a",
    "a <-> b",
    "a <2> b",
    "pars:*",
    "a:* & !b | (c <-> d)",
    "((((",
    "))",
    "-",
    "or",
    "and or not",
    '"unterminated phrase',
    "'); DROP TABLE chunks; --",
    "1; SELECT pg_sleep(10)",
    "$1 %s %(x)s {}",
    "x" * 3000,  # one word longer than a tsvector lexeme may be
    "naïve café ünïcödé 日本語 🚀",
    "a\x00b",
    "\x00parse",
    "  \t\n parse  ",
    "*",
    "::",
    'websearch "quoted phrase" -negated or other',
]
EMPTY = ["", "   ", "\x00", "\x00\x00 \x00", "\n\t"]
FILTERS = [
    {"path": "'; DROP TABLE chunks; --"},
    {"path": "%"},
    {"path": "_"},
    {"path": "**"},
    {"path": "*"},
    {"path": "\\"},
    {"path": "["},
    {"path": "(a|b)"},
    {"path": "src/[a-z]+/.*"},
    {"path": "a{2}"},
    {"path": "^$"},
    {"path": "../../etc"},
    {"path": "src/**/**/*.py"},
    {"path": "src/%/_"},
    {"language": "python' OR '1'='1"},
    {"language": "%"},
    {"repository": "repo' OR 1=1 --"},
    {"file_type": "%"},
    {"file_type": "py'; --"},
    {"file_type": "_y"},
    {"kind": "section"},
    {"kind": "function_"},
    {"path": "x" * 4000},
]
BAD_FILTERS = [
    {"path": ""},
    {"path": "   "},
    {"path": "/"},
    {"path": "./"},
    {"path": "a\x00b"},
    {"language": ""},
    {"repository": "\x00"},
    {"file_type": "."},
    {"file_type": ""},
    {"path": "x" * 5000},
    {"path": 3},
    {"language": ["python"]},
    {"kind": "docs' OR '1'='1"},
    {"kind": "%"},
    {"kind": ""},
    {"kind": 1},
]


@pytest.fixture(scope="module")
def target(workspace: Workspace) -> Iterator[Project]:
    project = workspace.create(f"search-hostile-{uuid.uuid4().hex[:8]}")
    load(
        project,
        [
            Chunk("src/parse.py", "parse", "def parse(text):\n    return text.split()\n"),
            Chunk("src/a%b_c/x.py", "odd", "def odd():\n    return '%_\\\\'\n"),
            Chunk("notes.md", "notes", "# Notes\nSome words about parsing.\n", language="markdown"),
        ],
    )
    yield project
    workspace.drop(project.id, force=True)


def _intact(project: Project) -> None:
    with project.connection() as conn:
        assert conn.execute("SELECT count(*) FROM chunks").fetchone() == (3,)
    assert project.workspace.db.idle()


@pytest.mark.parametrize("mode", ["semantic", "lexical", "hybrid"])
@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
def test_hostile_queries_return_results(target: Project, mode: str, query: str) -> None:
    try:
        results = search(target.handle, query, mode=mode)
    except psycopg.Error as exc:  # pragma: no cover - the failure this test exists for
        pytest.fail(f"database error leaked: {exc!r}")
    assert len(results) <= 10
    assert set(results.project) <= {target.id}
    _intact(target)


@pytest.mark.parametrize("mode", ["semantic", "lexical", "hybrid"])
def test_sql_and_tsquery_syntax_is_just_words(target: Project, mode: str) -> None:
    # Operators are not operators: "parse" still finds parse(), whatever surrounds it.
    for query in ("!parse", "parse:*", "parse & !nothing", "'parse'); --", "parse <-> text"):
        results = search(target.handle, query, mode=mode)
        assert "src/parse.py" in set(results.path)


def test_a_megabyte_query_is_refused_in_one_line(target: Project) -> None:
    with pytest.raises(SearchError, match="at most 20,000") as info:
        search(target.handle, "parse " * 200_000)
    assert "\n" not in str(info.value)
    _intact(target)


@pytest.mark.parametrize("mode", ["semantic", "lexical", "hybrid"])
@pytest.mark.parametrize("query", EMPTY, ids=range(len(EMPTY)))
def test_empty_queries_are_refused(target: Project, mode: str, query: str) -> None:
    with pytest.raises(SearchError, match="query is empty"):
        search(target.handle, query, mode=mode)


@pytest.mark.parametrize("query", [None, 42, b"parse", ["parse"]])
def test_non_text_queries_are_refused(target: Project, query: object) -> None:
    with pytest.raises(SearchError, match="query must be a string"):
        search(target.handle, query)  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["semantic", "lexical", "hybrid"])
@pytest.mark.parametrize("filters", FILTERS, ids=range(len(FILTERS)))
def test_hostile_filters_match_literally(
    target: Project, mode: str, filters: dict[str, str]
) -> None:
    try:
        results = search(target.handle, "parse odd notes", mode=mode, **filters)
    except psycopg.Error as exc:  # pragma: no cover
        pytest.fail(f"database error leaked: {exc!r}")
    # None of these filters names a path, language or extension of the project literally;
    # the globs among them match what a glob should.
    allowed = {
        "**": {"src/parse.py", "src/a%b_c/x.py", "notes.md"},
        "*": {"notes.md"},
        "src/**/**/*.py": {"src/parse.py", "src/a%b_c/x.py"},
    }
    assert set(results.path) <= allowed.get(filters.get("path", ""), set())
    _intact(target)


def test_like_wildcards_in_a_prefix_are_literal(target: Project) -> None:
    assert set(search(target.handle, "odd", path="src/a%b_c").path) == {"src/a%b_c/x.py"}
    assert search(target.handle, "odd", path="src/a_b%c").empty
    assert search(target.handle, "odd", path="src/a%").empty


@pytest.mark.parametrize("filters", BAD_FILTERS, ids=range(len(BAD_FILTERS)))
def test_unusable_filters_are_refused_in_one_line(
    target: Project, filters: dict[str, object]
) -> None:
    with pytest.raises(SearchError) as info:
        search(target.handle, "parse", **filters)  # type: ignore[arg-type]
    assert "\n" not in str(info.value)
    assert not isinstance(info.value, DatabaseError)


def test_every_refusal_is_a_codelens_error(target: Project) -> None:
    assert issubclass(SearchError, CodelensError)


# A lone surrogate: what Python makes of a byte that is not UTF-8 in argv ("\udce9" for a
# Latin-1 "é"), or what a JSON "\ud800" escape decodes to. PostgreSQL text and the
# tokenizer take UTF-8 only.
NOT_UNICODE = ["decode \ud800 x", "caf\udce9", "\udcff"]


@pytest.mark.parametrize("mode", ["semantic", "lexical", "hybrid"])
@pytest.mark.parametrize("query", NOT_UNICODE, ids=range(len(NOT_UNICODE)))
def test_a_query_that_is_not_unicode_is_refused_in_one_line(
    target: Project, mode: str, query: str
) -> None:
    with pytest.raises(SearchError, match="query is not valid Unicode") as info:
        search(target.handle, query, mode=mode)
    assert "\n" not in str(info.value)
    str(info.value).encode("utf-8")  # the message itself prints anywhere
    _intact(target)


@pytest.mark.parametrize("mode", ["semantic", "lexical", "hybrid"])
@pytest.mark.parametrize("name", ["path", "language", "repository", "file_type", "kind"])
def test_a_filter_that_is_not_unicode_is_refused_in_one_line(
    target: Project, mode: str, name: str
) -> None:
    with pytest.raises(SearchError, match=f"{name} filter is not valid Unicode") as info:
        search(target.handle, "parse", mode=mode, **{name: "src/caf\udce9"})
    assert "\n" not in str(info.value)
    _intact(target)
