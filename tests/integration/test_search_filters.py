"""Path globs and filters, checked by PostgreSQL itself."""

from __future__ import annotations

import pytest
from psycopg import sql

from codelens import Workspace
from codelens._search.filters import Filters, glob_to_regex
from codelens.errors import SearchError

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
