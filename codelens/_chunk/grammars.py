"""Which tree-sitter grammar reads which file, and one cached parser per grammar and thread."""

from __future__ import annotations

import importlib
import os
import threading
from functools import cache

import tree_sitter

from codelens._languages import detect_language

__all__ = ["AST_LANGUAGES", "get_parser", "grammar", "grammar_wheel", "resolve_language"]


# Module and function of each grammar wheel, imported lazily: each costs a shared-library load.
_WHEELS = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "java": ("tree_sitter_java", "language"),
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
    "ruby": ("tree_sitter_ruby", "language"),
    "sql": ("tree_sitter_sql", "language"),
    "yaml": ("tree_sitter_yaml", "language"),
    "toml": ("tree_sitter_toml", "language"),
    "json": ("tree_sitter_json", "language"),
    "hcl": ("tree_sitter_hcl", "language"),
    "make": ("tree_sitter_make", "language"),
    "csharp": ("tree_sitter_c_sharp", "language"),
    "php": ("tree_sitter_php", "language_php"),  # PHP inside HTML; plain PHP is a subset
    "kotlin": ("tree_sitter_kotlin", "language"),
    "scala": ("tree_sitter_scala", "language"),
    "swift": ("tree_sitter_swift", "language"),
    "lua": ("tree_sitter_lua", "language"),
    "shell": ("tree_sitter_bash", "language"),
    "elixir": ("tree_sitter_elixir", "language"),
    "haskell": ("tree_sitter_haskell", "language"),
    "zig": ("tree_sitter_zig", "language"),
}

AST_LANGUAGES = frozenset(_WHEELS)

_ALIASES = {
    "py": "python",
    "js": "javascript",
    "jsx": "javascript",
    "ts": "typescript",
    "c++": "cpp",
    "golang": "go",
    "rb": "ruby",
    "md": "markdown",
    "terraform": "hcl",
    "makefile": "make",
    "yml": "yaml",
    "cs": "csharp",
    "c#": "csharp",
    "kt": "kotlin",
    "bash": "shell",
    "sh": "shell",
    "zsh": "shell",
    "ex": "elixir",
    "exs": "elixir",
    "hs": "haskell",
}


def resolve_language(path: str, language: str | None, head: str = "") -> str | None:
    """The canonical language name for a file (None when nothing tells).

    Without ``language`` the file name decides, then a shebang in ``head``. An
    explicit TypeScript in a ``.tsx`` file is read with the TSX grammar (JSX does
    not parse as plain TypeScript).
    """
    if language is None:
        return detect_language(path, head[:256].encode("utf-8", "surrogatepass"))
    name = language.strip().lower()
    name = _ALIASES.get(name, name)
    if name == "typescript" and os.path.splitext(path)[1].lower() == ".tsx":
        return "tsx"
    return name


@cache
def grammar(name: str) -> tree_sitter.Language:
    """The tree-sitter language ``name`` (one of AST_LANGUAGES)."""
    module, function = _WHEELS[name]
    return tree_sitter.Language(getattr(importlib.import_module(module), function)())


def grammar_wheel(name: str) -> str | None:
    """The distribution (on PyPI) that ships the grammar of ``name``; None without one."""
    found = _WHEELS.get(name)
    return found[0].replace("_", "-") if found else None


_local = threading.local()


def get_parser(name: str) -> tree_sitter.Parser:
    """This thread's parser for ``name`` (one of AST_LANGUAGES); parsers are not thread-safe."""
    parsers: dict[str, tree_sitter.Parser] | None = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    parser = parsers.get(name)
    if parser is None:
        parser = parsers[name] = tree_sitter.Parser(grammar(name))
    return parser
