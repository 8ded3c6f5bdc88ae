"""Which language a file is written in, from its name or its shebang.

Names are lower case and stable: they are stored in the database, used in SQL
filters and shown in the UI. ``TREE_SITTER_LANGUAGES`` are chunked by syntax;
every other language is indexed with a line-window fallback.
"""

from __future__ import annotations

import re

__all__ = ["LANGUAGES", "TREE_SITTER_LANGUAGES", "detect_language"]

TREE_SITTER_LANGUAGES = frozenset(
    {
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
    }
)

# language -> file extensions (lower case, without the dot)
_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "python": ("py", "pyi", "pyw"),
    "javascript": ("js", "mjs", "cjs", "jsx"),
    "typescript": ("ts", "mts", "cts"),
    "tsx": ("tsx",),
    "go": ("go",),
    "rust": ("rs",),
    "java": ("java",),
    "c": ("c", "h"),
    "cpp": ("cc", "cpp", "cxx", "c++", "hh", "hpp", "hxx", "h++"),
    "ruby": ("rb", "rake", "gemspec"),
    "markdown": ("md", "markdown"),
    "shell": ("sh", "bash", "zsh", "ksh", "bats"),
    "sql": ("sql",),
    "yaml": ("yaml", "yml"),
    "toml": ("toml",),
    "json": ("json", "jsonc"),
    "html": ("html", "htm"),
    "css": ("css",),
    "xml": ("xml",),
    "ini": ("ini", "cfg"),
    "rst": ("rst",),
    "text": ("txt",),
    "kotlin": ("kt", "kts"),
    "swift": ("swift",),
    "php": ("php", "phtml"),
    "csharp": ("cs", "csx"),
    "scala": ("scala", "sc"),
    "lua": ("lua", "rockspec"),
    "elixir": ("ex", "exs"),
    "haskell": ("hs", "lhs", "hs-boot"),
    "zig": ("zig", "zon"),
    "r": ("r",),
    "perl": ("pl", "pm"),
    "proto": ("proto",),
    "make": ("mk", "mak"),
    "cmake": ("cmake",),
    "dockerfile": ("dockerfile",),
    "jupyter": ("ipynb",),  # the file's; each chunk carries its cell's language
}

# whole file names (lower case) that say more than their extension
_NAMES: dict[str, str] = {
    "makefile": "make",
    "gnumakefile": "make",
    "dockerfile": "dockerfile",
    "containerfile": "dockerfile",
    "cmakelists.txt": "cmake",
    "rakefile": "ruby",
    "gemfile": "ruby",
    ".bashrc": "shell",
    ".bash_profile": "shell",
    ".profile": "shell",
    ".zshrc": "shell",
    ".bash_logout": "shell",
    ".zprofile": "shell",
    ".zshenv": "shell",
    "mix.lock": "elixir",
    "readme": "text",
    "license": "text",
    "copying": "text",
    "authors": "text",
    "changelog": "text",
    "notice": "text",
}

# interpreter named by a shebang -> language
_INTERPRETERS: dict[str, str] = {
    "python": "python",
    "pypy": "python",
    "node": "javascript",
    "nodejs": "javascript",
    "ts-node": "typescript",
    "tsx": "typescript",
    "ruby": "ruby",
    "sh": "shell",
    "bash": "shell",
    "dash": "shell",
    "zsh": "shell",
    "ksh": "shell",
    "perl": "perl",
    "php": "php",
    "lua": "lua",
    "luajit": "lua",
    "elixir": "elixir",
    "runhaskell": "haskell",
    "runghc": "haskell",
    "stack": "haskell",
    "scala": "scala",
    "scala-cli": "scala",
    "kotlin": "kotlin",
    "swift": "swift",
    "rscript": "r",
    "make": "make",
}

_BY_EXTENSION = {ext: lang for lang, exts in _EXTENSIONS.items() for ext in exts}

LANGUAGES: frozenset[str] = frozenset({*_EXTENSIONS, *_NAMES.values(), *_INTERPRETERS.values()})

# "python3.11" and "python3" name the same language as "python"
_VERSION_SUFFIX = re.compile(r"[\d.]+$")


def detect_language(path: str, head: bytes | None = None) -> str | None:
    """The language of ``path``, or None when neither its name nor its shebang is known.

    ``head`` (the file's first bytes) is consulted only when the name says
    nothing, so callers can skip reading it for ``.py`` and friends.
    """
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    lang = _NAMES.get(name)
    if lang is None:
        stem, dot, ext = name.rpartition(".")
        if dot and stem:
            lang = _BY_EXTENSION.get(ext)
        if lang is None and name.startswith("dockerfile."):
            lang = "dockerfile"
    if lang is None and head:
        lang = _from_shebang(head)
    return lang


def _from_shebang(head: bytes) -> str | None:
    if not head.startswith(b"#!"):
        return None
    words = head[2:].split(b"\n", 1)[0].decode("utf-8", "replace").split()
    if not words:
        return None
    interpreter = words[0].rsplit("/", 1)[-1]
    if interpreter == "env":
        # `#!/usr/bin/env -S FOO=1 python3 -u`: the first word that is not a flag or setting
        interpreter = next((w for w in words[1:] if w[0] != "-" and "=" not in w), "")
    interpreter = interpreter.lower()
    return _INTERPRETERS.get(interpreter) or _INTERPRETERS.get(_VERSION_SUFFIX.sub("", interpreter))
