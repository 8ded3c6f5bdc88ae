from __future__ import annotations

import pytest

from codelens._languages import LANGUAGES, TREE_SITTER_LANGUAGES, detect_language


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("a.py", "python"),
        ("stubs/os.pyi", "python"),
        ("MAIN.PY", "python"),
        ("web/app.js", "javascript"),
        ("x.mjs", "javascript"),
        ("x.cjs", "javascript"),
        ("Button.jsx", "javascript"),
        ("x.ts", "typescript"),
        ("x.mts", "typescript"),
        ("x.cts", "typescript"),
        ("types.d.ts", "typescript"),
        ("App.tsx", "tsx"),
        ("main.go", "go"),
        ("lib.rs", "rust"),
        ("Main.java", "java"),
        ("x.c", "c"),
        ("x.h", "c"),
        ("x.hpp", "cpp"),
        ("x.hh", "cpp"),
        ("x.cc", "cpp"),
        ("x.cxx", "cpp"),
        ("x.cpp", "cpp"),
        ("x.rb", "ruby"),
        ("Gemfile", "ruby"),
        ("README.md", "markdown"),
        ("notes.markdown", "markdown"),
        ("notes.txt", "text"),
        ("LICENSE", "text"),
        ("index.rst", "rst"),
        ("run.sh", "shell"),
        (".bashrc", "shell"),
        ("q.sql", "sql"),
        ("ci.yml", "yaml"),
        ("ci.YAML", "yaml"),
        ("pyproject.toml", "toml"),
        ("package.json", "json"),
        ("index.html", "html"),
        ("site.css", "css"),
        ("setup.cfg", "ini"),
        ("x.kt", "kotlin"),
        ("x.swift", "swift"),
        ("x.php", "php"),
        ("x.cs", "csharp"),
        ("x.scala", "scala"),
        ("x.lua", "lua"),
        ("build.kts", "kotlin"),
        ("script.sc", "scala"),
        ("Program.csx", "csharp"),
        ("view.phtml", "php"),
        ("penlight-1.13.rockspec", "lua"),
        ("lib/mint/http.ex", "elixir"),
        ("test/test_helper.exs", "elixir"),
        ("mix.lock", "elixir"),
        ("src/Data/Stack.hs", "haskell"),
        ("Setup.lhs", "haskell"),
        ("src/Types.hs-boot", "haskell"),
        ("src/ring.zig", "zig"),
        ("build.zig.zon", "zig"),
        ("test/run.bats", "shell"),
        (".zshenv", "shell"),
        ("analysis.R", "r"),
        ("x.pl", "perl"),
        ("Makefile", "make"),
        ("rules.mk", "make"),
        ("Dockerfile", "dockerfile"),
        ("Dockerfile.dev", "dockerfile"),
        ("CMakeLists.txt", "cmake"),
        ("src\\win\\path.py", "python"),
    ],
)
def test_language_from_name(path: str, language: str) -> None:
    assert detect_language(path) == language


@pytest.mark.parametrize(
    "path", ["logo.png", "data.xyz", "noext", ".gitignore", "archive.tar.gz", ".py"]
)
def test_unknown_name_without_shebang_is_none(path: str) -> None:
    assert detect_language(path) is None
    assert detect_language(path, b"just some text\n") is None


@pytest.mark.parametrize(
    ("head", "language"),
    [
        (b"#!/usr/bin/python3\nprint(1)\n", "python"),
        (b"#!/usr/bin/env python3.11\n", "python"),
        (b"#! /usr/bin/env -S PYTHONPATH=. python3 -u\n", "python"),
        (b"#!/usr/bin/env node\n", "javascript"),
        (b"#!/usr/local/bin/ruby -w\n", "ruby"),
        (b"#!/bin/bash\r\nset -e\r\n", "shell"),
        (b"#!/bin/sh\n", "shell"),
        (b"#!/usr/bin/env perl\n", "perl"),
        (b"#!/usr/bin/env Rscript\n", "r"),
        (b"#!/usr/bin/env elixir\n", "elixir"),
        (b"#!/usr/bin/env runghc\n", "haskell"),
        (b"#!/usr/bin/env stack\n-- stack script\n", "haskell"),
        (b"#!/usr/bin/env luajit\n", "lua"),
        (b"#!/usr/bin/env -S scala-cli shebang\n", "scala"),
        (b"#!/usr/bin/env kotlin\n", "kotlin"),
        (b"#!/usr/bin/swift\n", "swift"),
    ],
)
def test_language_from_shebang(head: bytes, language: str) -> None:
    assert detect_language("bin/tool", head) == language
    assert detect_language("hooks/pre-commit.sample", head) == language


@pytest.mark.parametrize(
    "head", [b"#!\n", b"#!/usr/bin/env\n", b"#!/opt/weird-interpreter\n", b"# not a shebang\n"]
)
def test_unusable_shebang_is_none(head: bytes) -> None:
    assert detect_language("bin/tool", head) is None


def test_known_name_wins_over_shebang() -> None:
    assert detect_language("notes.md", b"#!/bin/sh\n") == "markdown"


def test_language_names_are_stable_lowercase_and_complete() -> None:
    assert {
        "python",
        "javascript",
        "typescript",
        "tsx",
        "go",
        "rust",
        "java",
        "c",
        "cpp",
        "ruby",
        "csharp",
        "php",
        "kotlin",
        "scala",
        "swift",
        "lua",
        "shell",
        "elixir",
        "haskell",
        "zig",
    } == TREE_SITTER_LANGUAGES
    assert TREE_SITTER_LANGUAGES < LANGUAGES
    assert all(name == name.lower() and name.isidentifier() for name in LANGUAGES)
    fallback = {"markdown", "shell", "sql", "yaml", "toml", "json", "html", "css", "rst", "text"}
    assert fallback | {"kotlin", "swift", "php", "csharp", "scala", "lua", "r", "perl"} < LANGUAGES
    assert {"make", "dockerfile"} < LANGUAGES
