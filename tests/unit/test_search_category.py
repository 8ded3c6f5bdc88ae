"""Code or docs: a result's category, and what the kind filter accepts."""

from __future__ import annotations

import pytest

from codelens._languages import LANGUAGES, detect_language
from codelens._search.category import CATEGORIES, DOCS_LANGUAGES, category_of, check_kind
from codelens.errors import SearchError


@pytest.mark.parametrize(
    ("path", "category"),
    [
        ("README.md", "docs"),
        ("docs/index.rst", "docs"),
        ("CHANGELOG", "docs"),
        ("notes.txt", "docs"),
        ("docs/conf.py", "code"),
        ("src/lib.rs", "code"),
        ("setup.cfg", "code"),
        ("data.unknownext", "code"),
    ],
)
def test_the_category_follows_the_language(path: str, category: str) -> None:
    assert category_of(detect_language(path)) == category


def test_every_docs_language_is_a_language() -> None:
    assert DOCS_LANGUAGES <= LANGUAGES
    assert CATEGORIES == ("code", "docs")


@pytest.mark.parametrize(
    ("given", "kind"), [(" docs", "docs"), ("Code", "code"), ("Function", "function")]
)
def test_kind_accepts_a_category_or_a_definition_kind(given: str, kind: str) -> None:
    assert check_kind(given) == kind


def test_a_kind_that_is_neither_says_what_kind_accepts() -> None:
    with pytest.raises(SearchError, match=r"'code\+docs' is neither 'code' nor 'docs'.*function"):
        check_kind("code+docs")
