"""Project ids are the one user text that becomes an identifier: hostile ones never reach SQL."""

from __future__ import annotations

import string

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codelens import Workspace
from codelens._db.ids import schema_name, validate_project_id
from codelens.errors import InvalidProjectId

HOSTILE = [
    "",
    " ",
    "\t",
    "\n",
    "a\n",
    "\na",
    " payments",
    "payments ",
    "pay ments",
    "Payments",
    "PAYMENTS",
    "payMents",
    "a" * 51,
    "a" * 1000,
    "-payments",
    "payments-",
    "pay--ments",
    "pay_ments",
    "pay.ments",
    "pay/ments",
    "pay\\ments",
    "..",
    "../etc",
    "a/../b",
    ".",
    "'",
    "''",
    '"',
    "pay'ments",
    'pay"ments',
    "x'; DROP SCHEMA codelens CASCADE; --",
    'x"; DROP TABLE codelens.projects; --',
    "x; SELECT 1",
    "x;",
    ";",
    "--",
    "x--",
    "x/*",
    "/*x*/",
    "x*/",
    "x)",
    "(x",
    "x,y",
    "x=y",
    "x OR 1=1",
    "1 OR 1=1",
    "select;",
    "SELECT",
    "drop table",
    "DROP",
    "union select",
    "x UNION SELECT",
    "%s",
    "%(x)s",
    "{}",
    "{x}",
    "$1",
    "$$",
    "$tag$",
    "x$$y",
    "x\x00",
    "\x00",
    "pay\x00ments",
    "\x01",
    "\x7f",
    "pаyments",  # Cyrillic а
    "раyments",
    "ｐａｙｍｅｎｔｓ",  # fullwidth
    "payments\u200b",  # zero-width space
    "\u200bpayments",
    "pay\u00adments",  # soft hyphen
    "pay\u2010ments",  # unicode hyphen
    "pay\u2013ments",  # en dash
    "pay\u2212ments",  # minus sign
    "ß",
    "é",
    "payménts",
    "ı",  # dotless i
    "İ",
    "K",  # Kelvin sign
    "١٢٣",  # Arabic-Indic digits
    "²",
    "😀",
    "x\u202e",  # right-to-left override
    "x\r",
    "x\r\n",
    "x\x0b",
    "x\x0c",
    "*",
    "?",
    "x*",
    "[a]",
    "a|b",
    "a&b",
    "a!b",
    "~",
    "`x`",
    "x`",
    "@x",
    "#x",
    "x#",
    "x:y",
    "x::text",
    "pg_catalog",
    "public.x",
    "codelens.projects",
    "information_schema.tables",
    "x\\",
    "\\x",
    "%",
    "_",
    "a_",
    "-",
    "a-",
    "--a",
    "a" * 50 + "-",
    "-" * 10,
    None,
    42,
    3.5,
    b"payments",
    ["payments"],
]


@pytest.mark.parametrize("bad", HOSTILE, ids=[f"hostile{i}" for i in range(len(HOSTILE))])
def test_hostile_ids_are_refused_with_the_rule(bad: object) -> None:
    with pytest.raises(InvalidProjectId, match=r"\^\[a-z0-9\]\+\(-\[a-z0-9\]\+\)\*\$"):
        validate_project_id(bad)


def test_there_are_at_least_a_hundred_hostile_ids() -> None:
    assert len(set(map(repr, HOSTILE))) >= 100


@pytest.mark.parametrize("good", ["a", "0", "payments", "payments-api", "a1-b2-c3", "x" * 50])
def test_valid_ids_pass_and_map_to_schemas(good: str) -> None:
    assert validate_project_id(good) == good
    assert schema_name(good) == "project_" + good.replace("-", "_")


@pytest.mark.parametrize("keyword", ["select", "drop", "table", "public", "user"])
def test_sql_keywords_that_fit_the_rule_are_plain_names(workspace: Workspace, keyword: str) -> None:
    project = workspace.create(keyword, exist_ok=True)
    try:
        assert project.schema == f"project_{keyword}"
        assert keyword in workspace.ids()
        assert project.counts()["chunks"] == 0
    finally:
        workspace.drop(keyword, force=True)
    assert keyword not in workspace.ids()


def test_the_message_is_one_line_and_bounded() -> None:
    with pytest.raises(InvalidProjectId) as info:
        validate_project_id("x\n" * 500)
    message = str(info.value)
    assert "\n" not in message
    assert len(message) < 300


_ALPHABET = string.ascii_letters + string.digits + "-_ .;'\"\\/\x00éаＡ\u200b"


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_property_accepted_ids_match_the_rule(candidate: str) -> None:
    import re

    rule = re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", candidate) is not None and len(candidate) <= 50
    try:
        validate_project_id(candidate)
    except InvalidProjectId:
        assert not rule
    else:
        assert rule


class _NoSQL(Exception):
    pass


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.text(alphabet=_ALPHABET, min_size=0, max_size=60).filter(
        lambda s: not __import__("re").fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", s) or len(s) > 50
    )
)
def test_property_rejected_ids_run_no_sql_and_create_no_schema(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, candidate: str
) -> None:
    before = _schemas(workspace)
    calls: list[object] = []
    original = psycopg.Connection.execute

    def spy(self: psycopg.Connection[object], query: object, *args: object, **kw: object) -> object:
        calls.append(query)
        return original(self, query, *args, **kw)  # type: ignore[arg-type]

    with monkeypatch.context() as m:
        m.setattr(psycopg.Connection, "execute", spy)
        for call in (
            lambda: workspace.create(candidate),
            lambda: workspace.get(candidate),
            lambda: workspace.project(candidate),
            lambda: workspace.drop(candidate, force=True),
            lambda: workspace.use(candidate),
            lambda: workspace.exists(candidate),
        ):
            with pytest.raises(InvalidProjectId):
                call()
    assert calls == []
    assert _schemas(workspace) == before


def _schemas(workspace: Workspace) -> set[str]:
    with workspace.db.connection() as conn:
        return {
            r[0]
            for r in conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'project\\_%'"
            )
        }
