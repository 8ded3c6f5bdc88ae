"""Which language a file is written in, from its name or its shebang.

Names are lower case and stable: they are stored in the database, used in SQL
filters and shown in the UI. ``TREE_SITTER_LANGUAGES`` are chunked by syntax;
every other language is indexed with a line-window fallback, and so is a text file
that nothing here places (``FALLBACK_LANGUAGE``). ``codelens.languages()`` shows
these tables.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = [
    "CONFIG_LANGUAGES",
    "FALLBACK_LANGUAGE",
    "HEADER_SNIFF",
    "LANGUAGES",
    "TREE_SITTER_LANGUAGES",
    "Patterns",
    "detect_language",
    "may_be_cpp_header",
    "patterns",
]

# Cut by a grammar into named pieces (tables, keys, blocks, targets), but holding no
# definitions that code calls: they have no symbols.
CONFIG_LANGUAGES = frozenset({"sql", "yaml", "toml", "json", "hcl", "make"})

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
    | CONFIG_LANGUAGES
)

# The language of a text file that neither its name nor its shebang places.
FALLBACK_LANGUAGE = "text"

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
    # with the template files C++ headers include (vector.tcc, format-inl.ipp) and modules
    "cpp": (
        "cc",
        "cpp",
        "cxx",
        "c++",
        "hh",
        "hpp",
        "hxx",
        "h++",
        "ipp",
        "tpp",
        "tcc",
        "inl",
        "cppm",
        "ixx",
    ),
    "ruby": ("rb", "rake", "gemspec"),
    "markdown": ("md", "markdown"),
    "shell": ("sh", "bash", "zsh", "ksh", "bats"),
    "sql": ("sql",),
    "yaml": ("yaml", "yml"),
    "toml": ("toml",),
    "json": ("json", "jsonc"),
    "html": ("html", "htm"),
    "css": ("css",),
    "xml": ("xml", "xsd", "xsl", "xslt", "plist", "csproj", "fsproj", "vbproj"),
    "ini": ("ini", "cfg", "conf", "editorconfig"),
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
    "hcl": ("tf", "tfvars", "hcl"),
    "graphql": ("graphql", "gql", "graphqls"),
    "vue": ("vue",),
    "svelte": ("svelte",),
    "astro": ("astro",),
    "erlang": ("erl", "hrl"),
    "ocaml": ("ml", "mli"),
    "fsharp": ("fs", "fsi", "fsx"),
    "clojure": ("clj", "cljs", "cljc", "edn"),
    "lisp": ("lisp", "lsp"),
    "scheme": ("scm", "ss"),
    "racket": ("rkt",),
    "elisp": ("el",),
    "dart": ("dart",),
    "julia": ("jl",),
    "nim": ("nim", "nims"),
    "crystal": ("cr",),
    "groovy": ("groovy", "gradle", "gvy"),
    "objc": ("m", "mm"),
    "cuda": ("cu", "cuh"),
    "fortran": ("f", "f90", "f95", "f03", "f08", "for"),
    "assembly": ("s", "asm"),
    "solidity": ("sol",),
    "vbnet": ("vb",),
    "tcl": ("tcl",),
    "awk": ("awk",),
    "nix": ("nix",),
    "starlark": ("bzl", "star"),
    "glsl": ("glsl", "vert", "frag", "comp"),
    "wgsl": ("wgsl",),
    "hlsl": ("hlsl",),
    "verilog": ("sv", "svh"),
    "vhdl": ("vhd", "vhdl"),
    "powershell": ("ps1", "psm1", "psd1"),
    "batch": ("bat", "cmd"),
    "fish": ("fish",),
    "vim": ("vim",),
    "tex": ("tex", "sty", "bib"),
    "asciidoc": ("adoc", "asciidoc"),
    "org": ("org",),
    "scss": ("scss",),
    "sass": ("sass",),
    "less": ("less",),
    "jinja": ("j2", "jinja", "jinja2"),
    "handlebars": ("hbs", "handlebars", "mustache"),
    "erb": ("erb",),
    "haml": ("haml",),
    "pug": ("pug",),
    "thrift": ("thrift",),
    "jsonnet": ("jsonnet", "libsonnet"),
    "cue": ("cue",),
    "properties": ("properties",),
    "csv": ("csv", "tsv"),
    "diff": ("diff", "patch"),
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
    "jenkinsfile": "groovy",
    "vagrantfile": "ruby",
    "podfile": "ruby",
    "fastfile": "ruby",
    "brewfile": "ruby",
    "guardfile": "ruby",
    "pipfile": "toml",
    "build": "starlark",
    "build.bazel": "starlark",
    "workspace": "starlark",
    "workspace.bazel": "starlark",
    "tiltfile": "starlark",
    "sconstruct": "python",
    "sconscript": "python",
    "snakefile": "python",
    "justfile": "make",
    "pkgbuild": "shell",
    "apkbuild": "shell",
    ".bash_aliases": "shell",
    ".envrc": "shell",
    ".vimrc": "vim",
    ".emacs": "elisp",
    ".gitignore": "gitignore",
    ".dockerignore": "gitignore",
    ".npmignore": "gitignore",
    ".codelensignore": "gitignore",
    ".prettierignore": "gitignore",
    ".eslintignore": "gitignore",
    ".gitattributes": "gitattributes",
    "codeowners": "codeowners",
    ".editorconfig": "ini",
    ".gitconfig": "ini",
    ".gitmodules": "ini",
    "go.mod": "gomod",
    "go.work": "gomod",
    "meson.build": "meson",
    "manifest.in": "text",
}

# the start of a whole file name (lower case) -> language: Dockerfile.dev
_NAME_PREFIXES: dict[str, str] = {"dockerfile.": "dockerfile"}

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
    "fish": "fish",
    "pwsh": "powershell",
    "deno": "typescript",
    "bun": "javascript",
    "zx": "javascript",
    "jruby": "ruby",
    "groovy": "groovy",
    "julia": "julia",
    "tclsh": "tcl",
    "wish": "tcl",
    "awk": "awk",
    "gawk": "awk",
    "escript": "erlang",
    "guile": "scheme",
    "racket": "racket",
    "sbcl": "lisp",
    "ocaml": "ocaml",
    "dart": "dart",
    "crystal": "crystal",
}

_BY_EXTENSION = {ext: lang for lang, exts in _EXTENSIONS.items() for ext in exts}

LANGUAGES: frozenset[str] = frozenset(
    {*_EXTENSIONS, *_NAMES.values(), *_INTERPRETERS.values(), FALLBACK_LANGUAGE}
)

# "python3.11" and "python3" name the same language as "python"
_VERSION_SUFFIX = re.compile(r"[\d.]+$")

# A ".h" header is C or C++, and most C++ codebases name their headers so: its text tells,
# as GitHub's linguist reads it. C++ declares classes, namespaces and templates, has access
# specifiers, writes std::, includes C++'s own headers; a C header (glibc's, the kernel's,
# CPython's, OpenSSL's) does none of that, its `extern "C"` guards included.
_CPP_HEADER = re.compile(
    rb"^[ \t]*(?:template[ \t]*<|namespace(?:[ \t]+[\w:]+)?\s*\{|class[ \t]+\w[^;(){}]*\{"
    rb"|using[ \t]+namespace[ \t]+\w|(?:public|private|protected)[ \t]*:(?!:)"
    rb"|#[ \t]*include[ \t]*<(?:string|vector|map|set|memory|iostream|ostream|sstream|utility"
    rb"|algorithm|functional|limits|type_traits|cstddef|cstdint|cstdlib|cstring|cstdio)>)"
    rb"|\bstd::\w",
    re.MULTILINE,
)
# How much of a header is read for that: its licence and include guards come first.
HEADER_SNIFF = 16_384


def detect_language(path: str, head: bytes | None = None) -> str | None:
    """The language of ``path``, or None when neither its name nor its shebang is known.

    ``head`` (the file's first bytes) is consulted only when the name says nothing, or
    says ``.h`` (C unless its first ``HEADER_SNIFF`` bytes show C++), so callers can skip
    reading it for ``.py`` and friends.
    """
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    lang = _NAMES.get(name)
    if lang is None:
        stem, dot, ext = name.rpartition(".")
        if dot and stem:
            lang = _BY_EXTENSION.get(ext)
            if head and may_be_cpp_header(name) and _CPP_HEADER.search(head, 0, HEADER_SNIFF):
                return "cpp"
        if lang is None:
            lang = next((v for k, v in _NAME_PREFIXES.items() if name.startswith(k)), None)
    if lang is None and head:
        lang = _from_shebang(head)
    return lang


def may_be_cpp_header(path: str) -> bool:
    """Whether ``path`` is a ``.h`` header, whose language its text decides."""
    return path.lower().endswith(".h")


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


class Patterns(NamedTuple):
    """What marks a file as written in one language."""

    extensions: tuple[str, ...]  # without the dot
    names: tuple[str, ...]  # whole file names, lower case
    interpreters: tuple[str, ...]  # named by a shebang


def patterns() -> dict[str, Patterns]:
    """Every language with the extensions, names and interpreters that detect it, by name."""
    out = {}
    for lang in sorted(LANGUAGES):
        names = tuple(sorted(n for n, found in _NAMES.items() if found == lang))
        names += tuple(p + "*" for p, found in _NAME_PREFIXES.items() if found == lang)
        interpreters = tuple(sorted(i for i, found in _INTERPRETERS.items() if found == lang))
        out[lang] = Patterns(_EXTENSIONS.get(lang, ()), names, interpreters)
    return out
