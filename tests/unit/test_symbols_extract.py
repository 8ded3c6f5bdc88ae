"""Definitions, references and imports read off real tree-sitter parses, per language."""

from __future__ import annotations

import pytest

from codelens._chunk.grammars import AST_LANGUAGES
from codelens._chunk.tags import ImportBinding, extract_symbols, module_of_path
from codelens._chunk.tree import parse_tree

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
}


def test_every_language_with_a_grammar_has_a_golden_file() -> None:
    assert set(GOLDEN) | {"python"} == set(AST_LANGUAGES)


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
