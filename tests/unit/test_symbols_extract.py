"""Definitions, references and imports read off real tree-sitter parses, per language."""

from __future__ import annotations

import pytest

from codelens._chunk.grammars import AST_LANGUAGES
from codelens._chunk.tags import ImportBinding, extract_symbols, module_of_path
from codelens._chunk.tree import parse_tree
from codelens._languages import CONFIG_LANGUAGES

PYTHON = """\
import os.path as osp
import a.b
from .x import y as z
from ..q import *


class C(Base, mod.Other, Generic[T], metaclass=M):
    LIMIT = 3

    def m(self):
        self.n(); super().m(); osp.join("é", f()); a.b.f()

        def inner():
            z()

    @property
    def n(self):
        self.count = self.x.y
        return g()(1)


X = 1
"""


def _symbols(path: str, language: str, text: str):  # type: ignore[no-untyped-def]
    data = text.encode()
    return extract_symbols(path, language, parse_tree(language, data), data)


def test_python_definitions_carry_qualnames_scopes_and_bases() -> None:
    found = _symbols("pkg/sub/mod.py", "python", PYTHON)
    assert [(d.qualname, d.kind, d.line, d.column, d.scope) for d in found.definitions] == [
        ("C", "class", 7, 7, ""),
        ("C.LIMIT", "variable", 8, 5, "C"),
        ("C.m", "method", 10, 9, "C"),
        ("C.m.inner", "function", 13, 13, "C.m"),
        ("C.n", "method", 17, 9, "C"),
        ("X", "constant", 22, 1, ""),
    ]
    assert found.definitions[0].bases == ("Base", "mod.Other", "Generic")
    assert found.definitions[0].end_line == 19


def test_python_references_carry_their_qualifier_kind_and_scope() -> None:
    found = _symbols("pkg/sub/mod.py", "python", PYTHON)
    refs = [(r.name, r.qualifier, r.kind, r.line, r.column, r.scope) for r in found.references]
    assert ("Other", "mod", "inherit", 7, 19, "") in refs
    assert ("n", "self", "call", 11, 14, "C.m") in refs
    assert ("m", "super()", "call", 11, 27, "C.m") in refs
    # Columns count characters, not bytes, past a non-ASCII one.
    assert ("f", "", "call", 11, 46, "C.m") in refs
    assert ("f", "a.b", "call", 11, 56, "C.m") in refs
    assert ("z", "", "call", 14, 13, "C.m.inner") in refs
    assert ("property", "", "decorator", 16, 6, "C") in refs
    assert ("y", "self.x", "attribute", 18, 29, "C.n") in refs
    # A call on a value codelens does not follow keeps its name, qualified by "?".
    assert ("g", "", "call", 19, 16, "C.n") in refs
    # Writes are no reads; a call or base is not also an attribute read.
    assert not any(r[0] == "count" for r in refs)
    assert [r for r in refs if r[0] == "Other"] == [("Other", "mod", "inherit", 7, 19, "")]
    assert [r[:3] for r in refs if r[2] == "import"] == [
        ("path", "os", "import"),
        ("b", "a", "import"),
        ("y", "pkg.sub.x", "import"),
    ]


def test_python_imports_bind_names_with_relative_modules_made_absolute() -> None:
    found = _symbols("pkg/sub/mod.py", "python", PYTHON)
    assert found.imports == [
        ImportBinding("osp", "os.path", None, 1, 8),
        ImportBinding("a", "a.b", None, 2, 8),
        ImportBinding("z", "pkg.sub.x", "y", 3, 16),
        ImportBinding("*", "pkg.q", "*", 4, 6),
    ]
    # In a package's __init__, one dot is the package itself.
    init = _symbols("pkg/__init__.py", "python", "from .core import run\nfrom ... import up\n")
    assert init.imports[0] == ImportBinding("run", "pkg.core", "run", 1, 19)
    assert init.imports[1].module == "..."  # above the root: left as written


def test_module_names_come_from_paths() -> None:
    assert module_of_path("src/pkg/core.py") == "src.pkg.core"
    assert module_of_path("pkg/__init__.py") == "pkg"
    assert module_of_path("stubs/x.pyi") == "stubs.x"


GOLDEN = {
    "javascript": (
        "a.js",
        "class Greeter {\n  greet(name) { return format(name); }\n}\n"
        "function format(s) { return s.trim(); }\nconst g = new Greeter();\ng.greet('x');\n",
        [("Greeter", "class", 1), ("Greeter.greet", "method", 2), ("format", "function", 4)],
        [
            ("format", "call", 2, "Greeter.greet"),
            ("trim", "call", 4, "format"),
            ("Greeter", "type", 5, ""),
            ("greet", "call", 6, ""),
        ],
    ),
    "typescript": (
        "a.ts",
        "interface Shape { area(): number; }\nclass Square implements Shape {\n"
        "  area(): number { return side(this); }\n}\n"
        "function side(s: Square): number { return 1; }\n",
        [
            ("Shape", "interface", 1),
            ("Shape.area", "method", 1),
            ("Square", "class", 2),
            ("Square.area", "method", 3),
            ("side", "function", 5),
        ],
        [("side", "call", 3, "Square.area"), ("Square", "type", 5, "side")],
    ),
    "tsx": (
        "a.tsx",
        "function App() { return render(<div/>); }\n",
        [("App", "function", 1)],
        [("render", "call", 1, "App")],
    ),
    "go": (
        "a.go",
        "package main\n\ntype Server struct{}\n\nfunc (s *Server) Start() { listen() }\n\n"
        "func listen() {}\n\nfunc main() { s := Server{}; s.Start() }\n",
        [
            ("Server", "type", 3),
            ("Start", "method", 5),
            ("listen", "function", 7),
            ("main", "function", 9),
        ],
        [
            ("Server", "type", 5, "Start"),
            ("listen", "call", 5, "Start"),
            ("Server", "type", 9, "main"),
            ("Start", "call", 9, "main"),
        ],
    ),
    "rust": (
        "a.rs",
        "struct Counter { n: u32 }\ntrait Tick { fn tick(&mut self); }\n"
        "impl Tick for Counter {\n    fn tick(&mut self) { bump(self); }\n}\n"
        "fn bump(c: &mut Counter) { c.n += 1; }\n",
        [
            ("Counter", "class", 1),
            ("Tick", "interface", 2),
            ("tick", "method", 4),
            ("bump", "function", 6),
        ],
        [("Tick", "inherit", 3, ""), ("bump", "call", 4, "tick")],
    ),
    "java": (
        "A.java",
        "class Account extends Base {\n    void deposit(int n) { validate(n); }\n"
        "    void validate(int n) {}\n}\n",
        [
            ("Account", "class", 1),
            ("Account.deposit", "method", 2),
            ("Account.validate", "method", 3),
        ],
        [("Base", "type", 1, "Account"), ("validate", "call", 2, "Account.deposit")],
    ),
    "c": (
        "a.c",
        "struct point { int x; };\nstatic int square(int v) { return v * v; }\n"
        "int area(struct point p) { return square(p.x); }\n",
        [("point", "class", 1), ("square", "function", 2), ("area", "function", 3)],
        [("square", "call", 3, "area")],
    ),
    "cpp": (
        "a.cpp",
        "class Stack {\n public:\n  void push(int v) { grow(); }\n  void grow() {}\n};\n"
        "int main() { Stack s; s.push(1); }\n",
        [
            ("Stack", "class", 1),
            ("Stack.push", "method", 3),
            ("Stack.grow", "method", 4),
            ("main", "function", 6),
        ],
        [("grow", "call", 3, "Stack.push"), ("push", "call", 6, "main")],
    ),
    "ruby": (
        "a.rb",
        "module Billing\n  class Invoice\n    def total\n      sum_lines\n    end\n"
        "    def sum_lines; end\n  end\nend\n",
        [
            ("Billing", "module", 1),
            ("Billing.Invoice", "class", 2),
            ("Billing.Invoice.total", "method", 3),
            ("Billing.Invoice.sum_lines", "method", 6),
        ],
        [("sum_lines", "call", 4, "Billing.Invoice.total")],
    ),
    "php": (
        "a.php",
        "<?php\nclass Cart {\n    public function total() { return format_price($this->sum()); }\n"
        "    private function sum() { return 0; }\n}\n"
        'function format_price($n) { return sprintf("%.2f", $n); }\n',
        [
            ("Cart", "class", 2),
            ("Cart.total", "method", 3),
            ("Cart.sum", "method", 4),
            ("format_price", "function", 6),
        ],
        [
            ("format_price", "call", 3, "Cart.total"),
            ("sum", "call", 3, "Cart.total"),
            ("sprintf", "call", 6, "format_price"),
        ],
    ),
    "scala": (
        "a.scala",
        "object Shapes {\n  def total(xs: List[Int]): Int = sumAll(xs)\n"
        "  def sumAll(xs: List[Int]): Int = xs.map(abs).sum\n}\n"
        "class Circle(r: Double) extends Shape {\n  def area(): Double = square(r)\n}\n"
        "val c = new Circle(1.0)\n",
        [
            ("Shapes", "object", 1),
            ("Shapes.total", "method", 2),
            ("Shapes.sumAll", "method", 3),
            ("Circle", "class", 5),
            ("Circle.r", "property", 5),
            ("Circle.area", "method", 6),
            ("c", "variable", 8),
        ],
        [
            ("sumAll", "call", 2, "Shapes.total"),
            ("map", "call", 3, "Shapes.sumAll"),
            ("Shape", "type", 5, "Circle"),
            ("square", "call", 6, "Circle.area"),
            ("Circle", "type", 8, "c"),
        ],
    ),
    "swift": (
        "a.swift",
        "class Queue: Collection {\n    var items: [Int] = []\n"
        "    func push(_ x: Int) { items.append(x); log(x) }\n}\n"
        "func log(_ x: Int) { print(x) }\n",
        [
            ("Queue", "class", 1),
            ("Queue.items", "property", 2),
            ("Queue.push", "method", 3),
            ("log", "function", 5),
        ],
        [
            ("Collection", "inherit", 1, "Queue"),
            ("append", "call", 3, "Queue.push"),
            ("log", "call", 3, "Queue.push"),
            ("print", "call", 5, "log"),
        ],
    ),
    "lua": (
        "a.lua",
        "local M = {}\nfunction M.load(path)\n  return parse(path)\nend\n"
        "local function parse(path)\n  return io.open(path)\nend\n",
        [("load", "function", 2), ("parse", "function", 5)],
        [("parse", "call", 3, "load"), ("open", "call", 6, "parse")],
    ),
    "elixir": (
        "a.ex",
        'defmodule Bank.Account do\n  @doc "Deposit."\n  def deposit(pid, amount) do\n'
        "    GenServer.call(pid, {:deposit, amount})\n    log(amount)\n  end\n"
        "  defp log(x), do: IO.puts(x)\nend\n",
        [
            ("Bank.Account", "module", 1),
            ("Bank.Account.deposit", "method", 3),
            ("Bank.Account.log", "method", 7),
        ],
        # ``defmodule``, ``def`` and ``@doc`` are no calls.
        [
            ("call", "call", 4, "Bank.Account.deposit"),
            ("log", "call", 5, "Bank.Account.deposit"),
            ("puts", "call", 7, "Bank.Account.log"),
        ],
    ),
    "csharp": (
        "A.cs",
        "namespace Shop {\n    class Order : Entity {\n"
        "        public decimal Total() { return Sum(items); }\n"
        "        decimal Sum(int[] xs) { return Math.Round(1.0); }\n    }\n"
        "    interface IRepo { void Save(); }\n}\n",
        [
            ("Shop", "module", 1),
            ("Shop.Order", "class", 2),
            ("Shop.Order.Total", "method", 3),
            ("Shop.Order.Sum", "method", 4),
            ("Shop.IRepo", "interface", 6),
            ("Shop.IRepo.Save", "method", 6),
        ],
        [
            ("Entity", "inherit", 2, "Shop.Order"),
            ("Sum", "call", 3, "Shop.Order.Total"),
            ("Round", "call", 4, "Shop.Order.Sum"),
        ],
    ),
    "kotlin": (
        "a.kt",
        "class Library : Base() {\n"
        "    fun lend(title: String) { check(title); println(title.trim()) }\n"
        "    fun check(t: String) {}\n}\nobject Registry { fun make() = Library() }\n"
        "fun main() { Registry.make() }\ninterface Shelf {\n    fun put()\n}\n",
        [
            ("Library", "class", 1),
            ("Library.lend", "method", 2),
            ("Library.check", "method", 3),
            ("Registry", "object", 5),
            ("Registry.make", "method", 5),
            ("main", "function", 6),
            ("Shelf", "interface", 7),
            ("Shelf.put", "method", 8),
        ],
        [
            ("Base", "inherit", 1, "Library"),
            ("check", "call", 2, "Library.lend"),
            ("println", "call", 2, "Library.lend"),
            ("trim", "call", 2, "Library.lend"),
            ("Library", "call", 5, "Registry.make"),
            ("make", "call", 6, "main"),
        ],
    ),
    "zig": (
        "a.zig",
        'const std = @import("std");\nconst Ring = struct {\n'
        '    fn push(self: *Ring, x: u8) void { grow(self); std.debug.print("{}", .{x}); }\n'
        "};\nfn grow(r: *Ring) void { _ = r; }\n",
        [("Ring", "class", 2), ("Ring.push", "method", 3), ("grow", "function", 5)],
        [("grow", "call", 3, "Ring.push"), ("print", "call", 3, "Ring.push")],
    ),
    "shell": (
        "deploy.sh",
        '#!/bin/bash\ndeploy() {\n  build "$1"\n  echo done\n}\nbuild() { make -C "$1"; }\n'
        "deploy app\n",
        [("deploy", "function", 2), ("build", "function", 6)],
        [
            ("build", "call", 3, "deploy"),
            ("echo", "call", 4, "deploy"),
            ("make", "call", 6, "build"),
            ("deploy", "call", 7, ""),
        ],
    ),
    "haskell": (
        "Stack.hs",
        "module Stack where\nclass Container f where\n  empty :: f a\n"
        "data Stack a = Stack [a]\npush :: a -> Stack a -> Stack a\n"
        "push x (Stack xs) = Stack (x : xs)\nsize s = length (items s) + Map.size m\n"
        "items (Stack xs) = xs\n",
        [
            ("Container", "interface", 2),
            ("Container.empty", "method", 3),
            ("Stack", "class", 4),
            ("push", "function", 6),
            ("size", "function", 7),
            ("items", "function", 8),
        ],
        [
            ("length", "call", 7, "size"),
            ("items", "call", 7, "size"),
            ("size", "call", 7, "size"),
        ],
    ),
}


def test_every_language_with_a_grammar_has_a_golden_file() -> None:
    assert set(GOLDEN) | {"python"} == set(AST_LANGUAGES) - CONFIG_LANGUAGES


@pytest.mark.parametrize("language", sorted(CONFIG_LANGUAGES))
def test_config_files_have_pieces_but_no_symbols(language: str) -> None:
    data = b"name: x\n"
    found = extract_symbols("f", language, parse_tree(language, data), data)
    assert (found.definitions, found.references, found.imports) == ([], [], [])


@pytest.mark.parametrize("language", sorted(GOLDEN))
def test_golden_definitions_and_references(language: str) -> None:
    path, text, definitions, references = GOLDEN[language]
    found = _symbols(path, language, text)
    assert [(d.qualname, d.kind, d.line) for d in found.definitions] == definitions
    assert [(r.name, r.kind, r.line, r.scope) for r in found.references] == references
    assert found.imports == []


def test_files_without_a_grammar_have_no_symbols() -> None:
    data = b"# Title\n"
    assert extract_symbols("a.md", "markdown", parse_tree("python", data), data).definitions == []
