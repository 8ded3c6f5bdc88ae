"""Golden chunkings of small real-looking files, one per language and tricky case.

Each ``tests/fixtures/chunking/<file>`` has ``<file>.golden.json``: the expected
``[kind, symbol, start_line, end_line, part]`` of every chunk. A change in the
chunker that moves any of them fails here; after checking the new output by eye,
rewrite the goldens with ``CODELENS_UPDATE_GOLDEN=1 pytest tests/test_chunk_golden.py``
(and bump CHUNKER_VERSION). Python fixtures end in ``.py.txt`` so that linters and
formatters leave them as written (one has a syntax error on purpose); they are
chunked under their name without ``.txt``.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pytest

from codelens._chunk.chunker import Chunk, chunk_text, embedding_text, estimate_tokens

FIXTURES = Path(__file__).parents[1] / "fixtures" / "chunking"
UPDATE = os.environ.get("CODELENS_UPDATE_GOLDEN") == "1"

# fixture -> max_tokens (the model's window is 256)
CASES = {
    "python_service.py.txt": 256,
    "python_module_only.py.txt": 256,
    "python_syntax_error.py.txt": 256,
    "python_long_function.py.txt": 256,
    "empty.py.txt": 256,
    "javascript_store.js": 256,
    "typescript_shapes.ts": 256,
    "tsx_counter.tsx": 256,
    "go_cache.go": 256,
    "rust_parser.rs": 256,
    "java_inventory.java": 256,
    "c_buffer.c": 256,
    "c_module_api.h": 256,
    "cpp_matrix.cpp": 256,
    "ruby_account.rb": 256,
    "csharp_orders.cs": 256,
    "php_cart.php": 256,
    "kotlin_library.kt": 256,
    "scala_shapes.scala": 256,
    "swift_queue.swift": 256,
    "lua_config.lua": 256,
    "shell_deploy.sh": 256,
    "elixir_bank.ex": 256,
    "haskell_stack.hs": 256,
    "zig_ring.zig": 256,
    "markdown_readme.md": 256,
    "markdown_readme.md@60": 60,
    "notes.txt": 256,
    "sql_shop_schema.sql": 256,
    "yaml_ci_workflow.yml": 256,
    "yaml_playbook.yaml": 256,
    "toml_pyproject.toml": 256,
    "json_package.json": 256,
    "hcl_main.tf": 256,
    "make_build.mk": 256,
    "docker_app.dockerfile": 256,
}


def _chunk(case: str) -> tuple[str, str, list[Chunk]]:
    name = case.split("@")[0]
    text = (FIXTURES / name).read_text(encoding="utf-8")
    path = name.removesuffix(".txt") if name.endswith(".py.txt") else name
    return path, text, chunk_text(path, None, text, max_tokens=CASES[case])


def _rows(chunks: list[Chunk]) -> list[list[object]]:
    return [[c.kind, c.symbol, c.start_line, c.end_line, c.part] for c in chunks]


@pytest.mark.parametrize("case", sorted(CASES))
def test_chunks_match_golden(case: str) -> None:
    _, _, chunks = _chunk(case)
    golden = FIXTURES / f"{case}.golden.json"
    if UPDATE:
        body = ",\n".join("  " + json.dumps(row) for row in _rows(chunks))
        golden.write_text(f"[\n{body}\n]\n" if chunks else "[]\n", encoding="utf-8")
    assert golden.exists(), f"{golden.name} is missing: run with CODELENS_UPDATE_GOLDEN=1"
    assert _rows(chunks) == json.loads(golden.read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_chunks_are_exact_slices_that_fit(case: str) -> None:
    name, text, chunks = _chunk(case)
    lines = text.split("\n")
    covered = {n for c in chunks for n in range(c.start_line, c.end_line + 1)}
    assert [n + 1 for n, line in enumerate(lines) if line.strip() and n + 1 not in covered] == []
    for c in chunks:
        assert c.content == "\n".join(lines[c.start_line - 1 : c.end_line])
        assert estimate_tokens(embedding_text(name, c)) <= CASES[case]


def test_a_long_function_comes_in_parts_that_repeat_its_signature() -> None:
    _, _, chunks = _chunk("python_long_function.py.txt")
    parts = [c for c in chunks if c.symbol == "evaluate"]
    assert [c.part for c in parts] == list(range(1, len(parts) + 1))
    assert len(parts) > 2
    signature = (
        "@staticmethod\n"
        "def evaluate(expression: str, variables: dict[str, float] | None = None,\n"
        "             *, strict: bool = True) -> float:"
    )
    assert {c.header for c in parts} == {signature}
    assert parts[0].content.startswith(signature)
    for part in parts[1:]:
        assert embedding_text("calc.py", part).startswith(f"calc.py: evaluate\n{signature}\n")
    # consecutive parts share a line or a statement, and together hold the whole function
    assert all(a.end_line >= b.start_line - 1 for a, b in itertools.pairwise(parts))
    assert (parts[0].start_line, parts[-1].end_line) == (6, 82)


def test_methods_are_not_repeated_in_their_class() -> None:
    _, _, chunks = _chunk("python_service.py.txt")
    client = [c for c in chunks if c.symbol == "Client"]
    methods = [c for c in chunks if c.symbol.startswith("Client.") and c.kind == "method"]
    assert client
    assert methods
    for method in methods:
        assert all(method.start_line > c.end_line or method.end_line < c.start_line for c in client)
    assert "def get" not in "".join(c.content for c in client)


def test_crlf_file_keeps_line_numbers_and_exact_content() -> None:
    text = (FIXTURES / "python_service.py.txt").read_text(encoding="utf-8")
    crlf = text.replace("\n", "\r\n")
    plain = chunk_text("a.py", None, text, max_tokens=256)
    chunks = chunk_text("a.py", None, crlf, max_tokens=256)
    assert _rows(chunks) == _rows(plain)
    for c in chunks:
        start = crlf.index(c.content)
        assert crlf[start : start + len(c.content)] == c.content
        assert c.content == "\r\n".join(crlf.split("\r\n")[c.start_line - 1 : c.end_line])
        assert not c.content.endswith("\r")
