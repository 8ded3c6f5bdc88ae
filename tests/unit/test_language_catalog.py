"""``codelens.languages()``: the table is the one the scanner and the chunker read."""

from __future__ import annotations

import importlib.metadata
import itertools

import pandas as pd
import pytest

import codelens
from codelens._chunk.chunker import chunk_text
from codelens._chunk.grammars import AST_LANGUAGES, grammar
from codelens._languages import FALLBACK_LANGUAGE, LANGUAGES, detect_language


def test_one_row_per_language_with_its_chunking_and_patterns() -> None:
    table = codelens.languages()
    assert list(table.columns) == [
        "language",
        "chunking",
        "grammar",
        "extensions",
        "names",
        "interpreters",
    ]
    assert set(table["language"]) == LANGUAGES
    assert table["language"].is_unique
    rows = table.set_index("language")
    assert set(rows.index[rows["chunking"] == "grammar"]) == AST_LANGUAGES
    assert rows.loc["markdown", "chunking"] == "sections"
    assert rows.loc["jupyter", "chunking"] == "cells"
    assert rows.loc[FALLBACK_LANGUAGE, "chunking"] == "windows"
    assert rows.loc["dockerfile", "chunking"] == "windows"
    assert rows.loc["python", "extensions"] == ("py", "pyi", "pyw")
    assert "makefile" in rows.loc["make", "names"]
    assert "bash" in rows.loc["shell", "interpreters"]
    assert rows.loc["hcl", "grammar"] == "tree-sitter-hcl"
    assert pd.isna(rows.loc["html", "grammar"])
    assert codelens.languages.__module__ == "codelens"


@pytest.mark.parametrize("language", sorted(AST_LANGUAGES))
def test_every_grammar_language_loads_its_installed_grammar(language: str) -> None:
    rows = codelens.languages().set_index("language")
    wheel = rows.loc[language, "grammar"]
    assert importlib.metadata.version(wheel)  # a declared, installed distribution
    parsed = grammar(language)
    assert parsed.node_kind_count > 0
    extension = rows.loc[language, "extensions"][0]
    assert detect_language(f"x.{extension}") == language


@pytest.mark.parametrize(
    ("path", "text", "kind", "symbol"),
    [
        ("db/schema.sql", "CREATE TABLE app.users (\n  id int\n);\n", "table", "app.users"),
        ("ci.yml", "jobs:\n  build:\n    runs-on: x\n", "key", "jobs"),
        ("Cargo.toml", "[package]\nname = 'x'\n", "table", "package"),
        (
            "tsconfig.json",
            '{\n  "compilerOptions": {\n    "strict": true\n  }\n}\n',
            "key",
            "compilerOptions",
        ),
        (
            "main.tf",
            'resource "aws_s3_bucket" "logs" {\n  bucket = "x"\n}\n',
            "block",
            "aws_s3_bucket.logs",
        ),
        ("Makefile", "test: build\n\tpytest -q\n", "target", "test"),
    ],
)
def test_a_grammar_language_is_cut_into_named_pieces(
    path: str, text: str, kind: str, symbol: str
) -> None:
    chunks = chunk_text(path, None, text, max_tokens=256)
    # what is left around the piece (a JSON file's opening brace) is module code
    assert [(c.kind, c.symbol) for c in chunks if c.kind != "module"] == [(kind, symbol)]
    rows = codelens.languages().set_index("language")
    assert rows.loc[detect_language(path), "chunking"] == "grammar"


@pytest.mark.parametrize(
    ("path", "language"),
    [("Dockerfile", "dockerfile"), ("index.html", "html"), ("site.css", "css"), ("x.tex", "tex")],
)
def test_a_language_without_a_grammar_is_cut_into_windows(path: str, language: str) -> None:
    text = "".join(f"line {n} of {language}\n" for n in range(100))
    chunks = chunk_text(path, None, text, max_tokens=256)
    assert {c.kind for c in chunks} == {"text"}
    assert chunks[0].start_line == 1
    assert chunks[-1].end_line == 100
    assert all(a.end_line >= b.start_line - 1 for a, b in itertools.pairwise(chunks))
    assert codelens.languages().set_index("language").loc[language, "chunking"] == "windows"
