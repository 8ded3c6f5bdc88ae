"""Properties every chunking keeps, on fixtures, synthetic files and the CPython stdlib."""

from __future__ import annotations

import random
import sysconfig
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codelens._chunk.chunker import (
    CHUNKER_VERSION,
    Chunk,
    chunk_text,
    embedding_text,
    estimate_tokens,
)
from codelens._chunk.types import MAX_SYMBOL
from codelens.errors import ConfigError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "chunking"


def fixture_files() -> list[tuple[str, str]]:
    """(path to chunk it under, text) of every chunking fixture."""
    out = []
    for file in sorted(FIXTURES.iterdir()):
        if file.name.endswith(".golden.json"):
            continue
        path = file.name.removesuffix(".txt") if file.name.endswith(".py.txt") else file.name
        out.append((path, file.read_text(encoding="utf-8")))
    return out


def check(
    path: str,
    text: str,
    chunks: list[Chunk],
    max_tokens: int,
    count: Callable[[str], int] = estimate_tokens,
) -> None:
    """The promises of chunk_text, checked on one result."""
    lines = text.split("\n")
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert [c.start_line for c in chunks] == sorted(c.start_line for c in chunks)
    covered: set[int] = set()
    for c in chunks:
        assert 1 <= c.start_line <= c.end_line <= len(lines), c
        expected = "\n".join(lines[c.start_line - 1 : c.end_line])
        if c.end_line < len(lines):
            expected = expected.removesuffix("\r")  # the CR of the last line's CRLF
        assert c.content == expected, c
        assert c.content.strip(), c
        if c.part == 0:
            assert c.header == ""
        if c.start_line < c.end_line:  # one line too long for the model may stay whole
            assert count(embedding_text(path, c)) <= max_tokens, c
        covered.update(range(c.start_line, c.end_line + 1))
    missing = [n + 1 for n, line in enumerate(lines) if line.strip() and n + 1 not in covered]
    assert missing == [], f"{path}: lines {missing[:10]} are in no chunk"


@pytest.mark.parametrize("max_tokens", [24, 64, 128, 256, 512])
def test_fixtures_keep_every_promise_at_any_budget(max_tokens: int) -> None:
    for path, text in fixture_files():
        check(path, text, chunk_text(path, None, text, max_tokens=max_tokens), max_tokens)


def stdlib_sample(step: int) -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(
        p
        for p in root.rglob("*.py")
        if p.relative_to(root).parts[0] not in ("test", "site-packages")
    )
    return files[::step]


def test_cpython_stdlib_sample_keeps_every_promise() -> None:
    sample = stdlib_sample(6)
    assert len(sample) > 100
    kinds: set[str] = set()
    for file in sample:
        text = file.read_text(encoding="utf-8", errors="surrogateescape")
        chunks = chunk_text(str(file), "python", text, max_tokens=256)
        check(str(file), text, chunks, 256)
        kinds.update(c.kind for c in chunks)
    assert kinds == {"module", "class", "method", "function"}


def test_cpython_stdlib_sample_at_small_and_large_budgets() -> None:
    for max_tokens in (48, 1024):
        for file in stdlib_sample(40):
            text = file.read_text(encoding="utf-8", errors="surrogateescape")
            chunks = chunk_text("x.py", None, text, max_tokens=max_tokens)
            check("x.py", text, chunks, max_tokens)


def shuffled_lines(seed: int, text: str) -> str:
    lines = text.split("\n")
    random.Random(seed).shuffle(lines)
    return "\n".join(lines)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fixture=st.sampled_from(fixture_files()),
    seed=st.integers(0, 10**6),
    max_tokens=st.integers(8, 300),
    crlf=st.booleans(),
)
def test_broken_files_are_still_chunked_completely(
    fixture: tuple[str, str], seed: int, max_tokens: int, crlf: bool
) -> None:
    """Shuffled lines make syntax errors everywhere: nothing may be lost or overflow."""
    path, text = fixture
    text = shuffled_lines(seed, text)
    if crlf:
        text = text.replace("\n", "\r\n")
    check(path, text, chunk_text(path, None, text, max_tokens=max_tokens), max_tokens)


def test_every_language_finds_its_definitions() -> None:
    found = {
        path: {(c.kind, c.symbol) for c in chunk_text(path, None, text, max_tokens=256)}
        for path, text in fixture_files()
    }
    assert ("method", "Client.get") in found["python_service.py"]
    assert ("method", "Store.set") in found["javascript_store.js"]
    assert ("method", "Circle.area") in found["typescript_shapes.ts"]
    assert ("function", "Counter") in found["tsx_counter.tsx"]
    assert ("method", "Cache.Get") in found["go_cache.go"]
    assert ("method", "Chars.next_token") in found["rust_parser.rs"]
    assert ("method", "Inventory.find") in found["java_inventory.java"]
    assert ("function", "buffer_append") in found["c_buffer.c"]
    assert ("function", "linalg.Matrix.transpose") in found["cpp_matrix.cpp"]
    assert ("method", "Bank.Account.withdraw") in found["ruby_account.rb"]
    assert ("method", "Shop.Orders.Order.Add") in found["csharp_orders.cs"]
    assert ("method", "Cart.total") in found["php_cart.php"]
    assert ("function", "Loan.isOverdue") in found["kotlin_library.kt"]
    assert ("method", "Shapes.largest") in found["scala_shapes.scala"]
    assert ("method", "JobQueue.drain") in found["swift_queue.swift"]
    assert ("method", "Server.start") in found["lua_config.lua"]
    assert ("function", "deploy_host") in found["shell_deploy.sh"]
    assert ("function", "Bank.Account.handle_call") in found["elixir_bank.ex"]
    assert ("method", "Instr.pretty") in found["haskell_stack.hs"]
    assert ("method", "Point.add") in found["zig_ring.zig"]


def test_doc_comments_and_decorators_stay_with_their_definition() -> None:
    by_symbol: dict[str, str] = {}
    for path, text in fixture_files():
        for c in chunk_text(path, None, text, max_tokens=256):
            by_symbol.setdefault(f"{path}:{c.symbol}", c.content)
    assert by_symbol["python_service.py:Client.get"].startswith("    # Retries use")
    assert by_symbol["python_service.py:Response"].startswith("@dataclass(frozen=True)")
    assert by_symbol["javascript_store.js:Store"].startswith("/**\n * A key-value store")
    assert by_symbol["typescript_shapes.ts:Circle.area"].startswith("  @memoize\n")
    assert by_symbol["go_cache.go:Cache.Get"].startswith("// Get returns")
    assert by_symbol["rust_parser.rs:Token"].startswith("/// One token")
    assert "#[derive(Debug, Clone, PartialEq)]" in by_symbol["rust_parser.rs:Token"]
    assert by_symbol["java_inventory.java:Inventory"].startswith("/**")
    assert by_symbol["c_buffer.c:buffer_grow"].startswith("/*\n * Makes room")
    assert by_symbol["cpp_matrix.cpp:linalg.multiply"].startswith("/// Multiplies")
    assert by_symbol["ruby_account.rb:Bank.Account.withdraw"].startswith("    # Takes money")
    assert by_symbol["csharp_orders.cs:Shop.Orders.Order"].startswith("    /// <summary>An order")
    assert by_symbol["php_cart.php:Cart.add"].startswith("    /**\n     * Adds an item")
    assert by_symbol["kotlin_library.kt:Loan.giveBack"].startswith("    /** Marks the loan")
    # this grammar puts the comment inside the function before it
    assert by_symbol["scala_shapes.scala:Shapes.largest"].startswith("  // The largest shape")
    assert "The largest" not in by_symbol["scala_shapes.scala:Shapes.totalArea"]
    assert by_symbol["scala_shapes.scala:Shapes.totalArea"].endswith("shapes.map(_.area).sum")
    assert by_symbol["swift_queue.swift:JobQueue.push"].startswith("    /// Adds a job")
    assert by_symbol["lua_config.lua:trim"].startswith("--- Trims spaces")
    assert by_symbol["shell_deploy.sh:log"].startswith("# Prints a message")
    assert by_symbol["elixir_bank.ex:Bank.Account.deposit"].startswith('  @doc """')
    assert "@spec deposit" in by_symbol["elixir_bank.ex:Bank.Account.deposit"]
    # a doc comment the grammar puts among the imports still starts its declaration
    assert by_symbol["haskell_stack.hs:Instr"].startswith("-- | One instruction")
    assert by_symbol["haskell_stack.hs:push"].startswith("-- | Pushes a value")
    assert "push :: Int -> Machine -> Machine" in by_symbol["haskell_stack.hs:push"]
    assert by_symbol["zig_ring.zig:Ring"].startswith("/// A ring buffer")


def test_a_trailing_comment_is_no_doc_comment_of_the_next_definition() -> None:
    text = "x = 1  # the answer\ndef f():\n    return x\n"
    chunks = chunk_text("a.py", "python", text, max_tokens=256)
    assert [(c.kind, c.start_line, c.end_line) for c in chunks] == [
        ("module", 1, 1),
        ("function", 2, 3),
    ]


def test_a_class_with_only_methods_keeps_its_header_chunk() -> None:
    text = "class A:\n    def f(self):\n        return 1\n\n    def g(self):\n        return 2\n"
    chunks = chunk_text("a.py", "python", text, max_tokens=256)
    assert [(c.kind, c.symbol, c.start_line, c.end_line) for c in chunks] == [
        ("class", "A", 1, 1),
        ("method", "A.f", 2, 3),
        ("method", "A.g", 5, 6),
    ]


def test_nested_functions_stay_inside_their_function() -> None:
    text = "def outer():\n    def inner():\n        return 1\n    return inner\n"
    chunks = chunk_text("a.py", "python", text, max_tokens=256)
    assert [(c.symbol, c.start_line, c.end_line) for c in chunks] == [("outer", 1, 4)]


def test_definitions_under_module_level_if_and_try_are_found() -> None:
    text = (
        "import sys\n"
        "if sys.platform == 'win32':\n"
        "    def home():\n"
        "        return 'C:'\n"
        "else:\n"
        "    def home():\n"
        "        return '/'\n"
        "try:\n"
        "    from fast import speed\n"
        "except ImportError:\n"
        "    def speed():\n"
        "        return 0\n"
    )
    chunks = chunk_text("a.py", "python", text, max_tokens=256)
    assert [(c.kind, c.symbol, c.start_line, c.end_line) for c in chunks] == [
        ("module", "", 1, 2),
        ("function", "home", 3, 4),
        ("module", "", 5, 5),
        ("function", "home", 6, 7),
        ("module", "", 8, 10),
        ("function", "speed", 11, 12),
    ]


def test_c_definitions_inside_preprocessor_conditionals_are_found() -> None:
    text = "#ifndef X_H\n#define X_H\n#ifdef WIN\nint a(void) { return 1; }\n#endif\n#endif\n"
    chunks = chunk_text("x.h", None, text, max_tokens=256)
    assert [(c.kind, c.symbol, c.start_line, c.end_line) for c in chunks] == [
        ("module", "", 1, 3),
        ("function", "a", 4, 6),  # the closing #endif lines join the chunk above
    ]


def test_empty_and_blank_files_have_no_chunks() -> None:
    for text in ("", "\n\n", "   \r\n\t\n"):
        assert chunk_text("a.py", "python", text, max_tokens=256) == []
        assert chunk_text("a.md", None, text, max_tokens=256) == []
        assert chunk_text("a.txt", None, text, max_tokens=256) == []


def test_a_line_longer_than_the_budget_is_a_chunk_of_its_own() -> None:
    long_line = "x = [" + ", ".join(str(i) for i in range(20000)) + "]"
    text = f"import os\n{long_line}\ndef f():\n    return os.sep\n"
    chunks = chunk_text("a.py", "python", text, max_tokens=128)
    assert [(c.kind, c.start_line, c.end_line) for c in chunks] == [
        ("module", 1, 1),
        ("module", 2, 2),
        ("function", 3, 4),
    ]
    minified = "var a=1;" * 50000
    chunks = chunk_text("app.min.js", None, minified, max_tokens=256)
    assert [(c.start_line, c.end_line) for c in chunks] == [(1, 1)]


def test_deep_nesting_neither_recurses_forever_nor_loses_lines() -> None:
    chain = "total = (\n" + "\n".join(f"    + value_{i}" for i in range(3000)) + "\n)\n"
    deep = "".join(f"{'    ' * i}class C{i}:\n" for i in range(200)) + "    " * 200 + "pass\n"
    brackets = "x = " + "[" * 500 + "\n1\n" + "]" * 500 + "\n"
    for text in (chain, deep, brackets):
        chunks = chunk_text("deep.py", "python", text, max_tokens=64)
        check("deep.py", text, chunks, 64)


def test_a_file_without_newline_at_the_end_ends_its_last_chunk_exactly() -> None:
    text = "def f():\n    return 1"
    [chunk] = chunk_text("a.py", "python", text, max_tokens=256)
    assert (chunk.start_line, chunk.end_line, chunk.content) == (1, 2, text)


def test_undecodable_bytes_kept_as_surrogates_round_trip() -> None:
    text = b"def f():\n    return '\xff\xfe'\n".decode("utf-8", "surrogateescape")
    [chunk] = chunk_text("a.py", "python", text, max_tokens=256)
    assert chunk.content == text.rstrip("\n")


def test_language_comes_from_the_name_when_not_given() -> None:
    text = "function f() {\n  return 1;\n}\n"
    assert chunk_text("a.js", None, text, max_tokens=256)[0].kind == "function"
    assert chunk_text("a", "javascript", text, max_tokens=256)[0].kind == "function"
    assert chunk_text("a", "JS", text, max_tokens=256)[0].kind == "function"
    assert chunk_text("a.js", "cobol", text, max_tokens=256)[0].kind == "text"
    script = "#!/usr/bin/env python3\nimport sys\ndef main():\n    pass\n"
    assert [c.kind for c in chunk_text("run", None, script, max_tokens=256)] == [
        "module",
        "function",
    ]


def test_typescript_in_a_tsx_file_is_read_as_tsx() -> None:
    text = "export function App() {\n  return <div className='x'>hi</div>;\n}\n"
    chunks = chunk_text("App.tsx", "typescript", text, max_tokens=256)
    assert [(c.kind, c.symbol) for c in chunks] == [("function", "App")]


def test_embedding_text_names_the_file_and_symbol() -> None:
    chunk = Chunk(0, "A.f", "method", 3, 4, "    def f(self):\n        pass", "", 0)
    assert embedding_text("pkg/a.py", chunk) == "pkg/a.py: A.f\n    def f(self):\n        pass"
    module = Chunk(0, "", "module", 1, 1, "import os", "", 0)
    assert embedding_text("pkg/a.py", module) == "pkg/a.py\nimport os"
    part = Chunk(1, "f", "function", 9, 12, "    return x", "def f(x):", 2)
    assert embedding_text("a.py", part) == "a.py: f\ndef f(x):\n    return x"
    first = Chunk(0, "f", "function", 1, 8, "def f(x):\n    y = x", "def f(x):", 1)
    assert embedding_text("a.py", first) == "a.py: f\ndef f(x):\n    y = x"


def test_max_tokens_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="max_tokens"):
        chunk_text("a.py", "python", "x = 1\n", max_tokens=0)


def test_an_exact_counter_gets_every_chunk_under_the_limit() -> None:
    calls = 0

    def strict(text: str) -> int:
        nonlocal calls
        calls += 1
        return len(text) // 2  # for code about 1.5 times what the estimate expects

    for path, text in fixture_files():
        chunks = chunk_text(path, None, text, max_tokens=128, count_tokens=strict)
        check(path, text, chunks, 128, strict)
        parts = [c for c in chunks if c.part]
        assert all(c.header for c in parts if c.kind not in ("module", "text"))
    assert calls > 0


def test_exact_counter_is_asked_once_per_chunk_when_the_estimate_holds() -> None:
    path, text = "python_service.py", (FIXTURES / "python_service.py.txt").read_text()
    texts: list[str] = []

    def counting(text: str) -> int:
        texts.append(text)
        return estimate_tokens(text)

    chunks = chunk_text(path, None, text, max_tokens=256, count_tokens=counting)
    assert chunks == chunk_text(path, None, text, max_tokens=256)
    # a one-line chunk could not be cut anyway
    assert len(texts) == len([c for c in chunks if c.start_line < c.end_line])


def test_threads_chunk_the_same_as_one_thread() -> None:
    files = fixture_files()
    expected = [chunk_text(p, None, t, max_tokens=128) for p, t in files]
    results: dict[int, list[list[Chunk]]] = {}

    def work(worker: int) -> None:
        results[worker] = [chunk_text(p, None, t, max_tokens=128) for p, t in files]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(result == expected for result in results.values())


def test_chunker_version_is_a_nonempty_string() -> None:
    assert isinstance(CHUNKER_VERSION, str)
    assert CHUNKER_VERSION


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        ("a.js", "export default function () {\n  return 1;\n}\n", [("function", "default")]),
        (
            "a.js",
            "const Foo = class {\n  m() {\n    return 1;\n  }\n};\n",
            [("class", "Foo"), ("method", "Foo.m")],
        ),
        (
            "a.ts",
            "namespace N {\n  const x = 1;\n  function g() {\n    return x;\n  }\n}\n",
            [("namespace", "N"), ("function", "N.g")],
        ),
        (
            "a.ts",
            'declare module "m" {\n  export function h(): void;\n}\n',
            [("namespace", "m")],
        ),
        (
            "a.rs",
            "mod net;\nfn main() {\n    net::run();\n}\n",
            [("module", ""), ("function", "main")],
        ),
        ("a.go", "package a\n\ntype (\n\tA int\n\tB string\n)\n", [("module", "")]),
        (
            "a.c",
            "typedef int count_t;\ntypedef struct node node_t;\nstruct node;\n",
            [("module", "")],
        ),
        (
            "a.cpp",
            "template <>\nint twice<int>(int x) {\n  return 2 * x;\n}\n",
            [("function", "twice")],
        ),
        (
            "a.cpp",
            "namespace {\nint hidden() {\n  return 1;\n}\n}  // namespace\n",
            [("module", ""), ("function", "hidden")],
        ),
        ("a.md", "---\nnot: closed\n\n# Title\nText.\n", [("section", ""), ("section", "Title")]),
        (
            "a.hs",
            "fact :: Int -> Int\nfact 0 = 1\nfact n = n * fact (n - 1)\n\nmain = print (fact 5)\n",
            [("function", "fact"), ("function", "main")],
        ),
        (
            "a.ex",
            "defmodule A do\n  def f(0), do: 1\n  def f(n), do: n\n  def g, do: 2\nend\n",
            [("namespace", "A"), ("function", "A.f"), ("function", "A.g")],
        ),
        (
            "a.php",
            "<?php\nnamespace App\\Http {\n  class Kernel {\n    function handle() {}\n  }\n}\n",
            [
                ("module", ""),
                ("namespace", "App.Http"),
                ("class", "App.Http.Kernel"),
                ("method", "App.Http.Kernel.handle"),
            ],
        ),
        (
            "a.kt",
            "class Repo {\n  companion object {\n    fun create(): Repo = Repo()\n  }\n}\n",
            [("class", "Repo"), ("class", "Repo.Companion"), ("method", "Repo.Companion.create")],
        ),
        (
            "a.lua",
            "local M = {}\nlocal helper = function(x)\n  return x\nend\nreturn M\n",
            [("module", ""), ("function", "helper"), ("module", "")],
        ),
        (
            "a.cs",
            "namespace A.B;\npublic interface IShape\n{\n    double Area();\n}\n",
            [("module", ""), ("interface", "IShape")],
        ),
        (
            "a.ex",
            "defmodule A do\n  def a + b, do: a\n  start()\n  def unquote(name)(x), do: x\nend\n"
            "defimpl Proto do\n  def f(x) when is_integer(x), do: x\nend\n",
            [("namespace", "A"), ("impl", "Proto"), ("method", "Proto.f")],
        ),
        (
            "a.scala",
            "object O {\n  def f =\n    1 // one\n  // doc of g\n  def g = 2\n}\n",
            [("class", "O"), ("method", "O.f"), ("method", "O.g")],
        ),
        (
            "bin/deploy",
            "#!/bin/bash\nrun() {\n  echo hi\n}\nrun\n",
            [("module", ""), ("function", "run"), ("module", "")],
        ),
    ],
)
def test_language_corners(path: str, text: str, expected: list[tuple[str, str]]) -> None:
    chunks = chunk_text(path, None, text, max_tokens=256)
    assert [(c.kind, c.symbol) for c in chunks] == expected
    check(path, text, chunks, 256)


def test_haskell_indented_with_tabs_reads_tabs_as_eight_columns() -> None:
    spaces = (
        "module M where\n\n"
        "class Pretty a where\n"
        "        pretty :: a -> String\n"
        "        prettyList :: [a] -> String\n"
        "        prettyList = unwords . map pretty\n\n"
        "size :: [a] -> Int\n"
        "size xs = go 0 xs\n"
        "  where\n"
        "        go n [] = n\n"
        "        go n (_ : ys) = go (n + 1) ys\n"
    )
    tabs = spaces.replace("        ", "\t")
    expected = [
        ("module", "", 1, 1),
        ("trait", "Pretty", 3, 3),
        ("method", "Pretty.pretty", 4, 4),
        ("method", "Pretty.prettyList", 5, 6),
        ("function", "size", 8, 12),
    ]
    for text in (spaces, tabs):
        chunks = chunk_text("M.hs", None, text, max_tokens=256)
        assert [(c.kind, c.symbol, c.start_line, c.end_line) for c in chunks] == expected
        assert chunks[-1].content == "\n".join(text.split("\n")[7:12])


def test_a_symbol_is_the_declared_name_never_a_block() -> None:
    def chunks(path: str, text: str) -> list[tuple[str, str]]:
        return [(c.kind, c.symbol) for c in chunk_text(path, None, text, max_tokens=256)]

    # Old-style parameters still make a definition.
    old_style = "int add(a, b)\nint a;\nint b;\n{\n    return a + b;\n}\n"
    assert chunks("add.c", old_style) == [("function", "add")]
    # An unknown macro after "()" reads as old-style parameters up to the next body: that
    # is no definition of "(*on_tick)", and its lines stay plain code.
    unknown = (
        "int (*on_tick)() api;\nint (*on_stop)(int code);\nint run(void) {\n    return 0;\n}\n"
    )
    assert chunks("api.c", unknown) == [("module", "")]
    assert chunks("long.py", f"def {'f' * (MAX_SYMBOL + 1)}():\n    return 1\n") == [("module", "")]


def test_a_cpp_class_with_an_export_macro_before_its_name_is_a_class() -> None:
    text = (
        "namespace testing {\n"
        "\n"
        "class GTEST_API_ AssertionResult {\n"
        " public:\n"
        "  bool ok() const { return ok_; }\n"
        "\n"
        " private:\n"
        "  bool ok_;\n"
        "};\n"
        "\n"
        "class NET_API Reporter final\n"
        "    : public Listener {\n"
        "  void report();\n"
        "};\n"
        "\n"
        "}  // namespace testing\n"
    )
    chunks = chunk_text("result.h", "cpp", text, max_tokens=256)
    found = {(c.kind, c.symbol) for c in chunks}
    assert {
        ("class", "testing.AssertionResult"),
        ("class", "testing.Reporter"),
    } <= found
    # The macro is blanked for the parser only: the chunks keep the text as written.
    assert any("class GTEST_API_ AssertionResult {" in c.content for c in chunks)


def test_namespace_and_export_macros_on_their_own_lines_leave_the_classes_visible() -> None:
    text = (
        "#include <string>\n"
        "namespace lib {\n"
        "LIB_NAMESPACE_BEGIN\n"
        "\n"
        "LIB_EXPORT\n"
        "template <typename T> class Box {\n"
        " public:\n"
        "  T get() const { return value_; }\n"
        " private:\n"
        "  T value_;\n"
        "};\n"
        "\n"
        "LIB_EXPORT class LIB_API Error : public std::runtime_error {\n"
        "  using std::runtime_error::runtime_error;\n"
        "};\n"
        "\n"
        "LIB_NAMESPACE_END\n"
        "}  // namespace lib\n"
    )
    chunks = chunk_text("box.h", "cpp", text, max_tokens=256)
    found = {(c.kind, c.symbol) for c in chunks}
    assert {("class", "lib.Box"), ("method", "lib.Box.get"), ("class", "lib.Error")} <= found
    assert "LIB_NAMESPACE_BEGIN" in "".join(c.content for c in chunks)
