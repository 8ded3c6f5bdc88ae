from __future__ import annotations

import pytest

from codelens._chunk.grammars import AST_LANGUAGES
from codelens._languages import (
    FALLBACK_LANGUAGE,
    HEADER_SNIFF,
    LANGUAGES,
    TREE_SITTER_LANGUAGES,
    detect_language,
    patterns,
)


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
        ("build.gradle.kts", "kotlin"),
        ("build.gradle", "groovy"),
        ("Jenkinsfile", "groovy"),
        ("main.tf", "hcl"),
        ("prod.tfvars", "hcl"),
        ("nomad.hcl", "hcl"),
        ("api.proto", "proto"),
        ("schema.graphql", "graphql"),
        ("App.vue", "vue"),
        ("Card.svelte", "svelte"),
        ("server.erl", "erlang"),
        ("lexer.ml", "ocaml"),
        ("core.clj", "clojure"),
        ("main.dart", "dart"),
        ("solve.jl", "julia"),
        ("app.nim", "nim"),
        ("Build.groovy", "groovy"),
        ("setup.ps1", "powershell"),
        ("run.bat", "batch"),
        ("config.fish", "fish"),
        ("init.el", "elisp"),
        ("plugin.vim", "vim"),
        ("paper.tex", "tex"),
        ("guide.adoc", "asciidoc"),
        ("nginx.conf", "ini"),
        (".editorconfig", "ini"),
        (".gitignore", "gitignore"),
        (".dockerignore", "gitignore"),
        ("CODEOWNERS", "codeowners"),
        ("BUILD.bazel", "starlark"),
        ("go.mod", "gomod"),
        ("Vagrantfile", "ruby"),
        ("Containerfile", "dockerfile"),
        ("app.dockerfile", "dockerfile"),
        ("include/format-inl.ipp", "cpp"),
        ("bits/vector.tcc", "cpp"),
        ("detail/impl.inl", "cpp"),
        ("src/core.cppm", "cpp"),
    ],
)
def test_language_from_name(path: str, language: str) -> None:
    assert detect_language(path) == language


@pytest.mark.parametrize(
    "path", ["logo.png", "data.xyz", "noext", ".unknownrc", "archive.tar.gz", ".py"]
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
        (b"#!/usr/bin/env fish\n", "fish"),
        (b"#!/usr/bin/env -S deno run --allow-net\n", "typescript"),
        (b"#!/usr/bin/pwsh\n", "powershell"),
        (b"#!/usr/bin/env julia\n", "julia"),
        (b"#!/usr/bin/make -f\n", "make"),
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
    } | {"sql", "yaml", "toml", "json", "hcl", "make"} == TREE_SITTER_LANGUAGES
    assert TREE_SITTER_LANGUAGES == AST_LANGUAGES  # the chunker has a grammar for each
    assert TREE_SITTER_LANGUAGES < LANGUAGES
    assert FALLBACK_LANGUAGE in LANGUAGES
    assert all(name == name.lower() and name.isidentifier() for name in LANGUAGES)
    fallback = {"markdown", "shell", "sql", "yaml", "toml", "json", "html", "css", "rst", "text"}
    assert fallback | {"kotlin", "swift", "php", "csharp", "scala", "lua", "r", "perl"} < LANGUAGES
    assert {"make", "dockerfile"} < LANGUAGES


def test_patterns_are_the_tables_detection_reads() -> None:
    table = patterns()
    assert set(table) == LANGUAGES
    for language, (extensions, names, interpreters) in table.items():
        for ext in extensions:
            assert detect_language(f"src/file.{ext}") == language
        for name in names:
            assert detect_language(f"src/{name.replace('*', 'x')}") == language
        for interpreter in interpreters:
            assert detect_language("bin/tool", f"#!/usr/bin/env {interpreter}\n".encode()) == (
                language
            )
    assert table["dockerfile"].names == ("containerfile", "dockerfile", "dockerfile.*")
    assert "python" in table["python"].interpreters


GTEST_LIKE = b"""// Copyright notice.
#ifndef POOL_H_
#define POOL_H_

#include <deque>

namespace net {

class GTEST_API_ ConnectionPool : public Pool {
 public:
  Conn* acquire(int timeout);
};

}  // namespace net
#endif
"""

C_HEADER = b"""/* The usual C header: an extern "C" guard, structs, prototypes. The class of
   namespace words in prose, as in this comment, says nothing. */
#ifndef POOL_H
#define POOL_H
#ifdef __cplusplus
extern "C" {
#endif
#include <stddef.h>
typedef struct pool { int size; } pool_t;
pool_t *pool_new(size_t size);
int class_of(int private);
#ifdef __cplusplus
}
#endif
#endif
"""


@pytest.mark.parametrize(
    ("head", "language"),
    [
        (GTEST_LIKE, "cpp"),
        (b"#pragma once\n#include <string>\nint f(std::string s);\n", "cpp"),
        (b"template <typename T>\nT max(T a, T b);\n", "cpp"),
        (b"namespace\n{\nint hidden;\n}\n", "cpp"),
        (b"struct Point {\n public:\n  int x;\n};\n", "cpp"),
        (C_HEADER, "c"),
        (b"", "c"),
    ],
)
def test_a_header_is_c_unless_its_text_is_cpp(head: bytes, language: str) -> None:
    assert detect_language("include/pool.h", head) == language
    # Other C and C++ files are known by their names alone.
    assert detect_language("src/pool.c", head) == "c"
    assert detect_language("include/pool.hpp", head) == "cpp"


def test_a_cpp_mark_past_the_sniffed_start_of_a_header_is_not_read() -> None:
    head = b"/*" + b" " * HEADER_SNIFF + b"*/\nnamespace net {\n}\n"
    assert detect_language("pool.h", head) == "c"
