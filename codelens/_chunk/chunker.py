"""Cutting a file into chunks for embedding: by syntax for known languages, else by text."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from codelens._chunk.grammars import AST_LANGUAGES, resolve_language
from codelens._chunk.lines import Lines, estimate_tokens
from codelens._chunk.plan import Plan, finish
from codelens._chunk.text import plan_markdown, plan_windows
from codelens._chunk.tree import plan_tree
from codelens._chunk.types import Chunk, embedding_text
from codelens._ipynb import NOTEBOOK_LANGUAGE
from codelens.errors import ConfigError

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = [
    "CHUNKER_VERSION",
    "Chunk",
    "chunk_text",
    "chunking",
    "embedding_text",
    "estimate_tokens",
]

# Stored with every embedding: a new value tells the indexer to chunk files again.
# 4: SQL, YAML, TOML, JSON, HCL and Make by grammar
# 5: C++ classes declared with an export macro (``class GTEST_API_ UnitTest``)
# 6: runs of numbers left out of the embedded text, a number table's windows embedded as nothing
# 7: camelCase names embedded as words (``parse Cookie Header``)
CHUNKER_VERSION = "7"


def chunking(language: str | None) -> str:
    """How a file in ``language`` is cut: ``grammar`` (per definition), ``sections``
    (Markdown, per heading), ``cells`` (notebooks, per cell) or ``windows`` of lines."""
    if language in AST_LANGUAGES:
        return "grammar"
    if language == "markdown":
        return "sections"
    if language == NOTEBOOK_LANGUAGE:
        return "cells"
    return "windows"


def chunk_text(
    path: str,
    language: str | None,
    text: str,
    *,
    max_tokens: int,
    count_tokens: Callable[[str], int] | None = None,
    root: Node | None = None,
) -> list[Chunk]:
    """Cut ``text`` (the file at ``path``) into chunks whose embedding text fits ``max_tokens``.

    ``language`` picks the grammar (None: guess from the file name or shebang). Python,
    JavaScript, TypeScript/TSX, Go, Rust, Java, C, C++, Ruby, C#, PHP, Kotlin, Scala,
    Swift, Lua, shell (bash), Elixir, Haskell and Zig are cut per definition, and so are
    SQL (per CREATE statement), YAML/JSON (per key), TOML (per table), HCL (per block) and
    Make (per target); Markdown per section, anything else into overlapping windows
    of lines. Sizes are planned with a fast estimate; ``count_tokens``, when
    given, checks every chunk exactly and has the few that overflow cut again.
    ``root``: the text's tree (:func:`parse_tree`), when the caller parsed it already.
    """
    if max_tokens < 1:
        raise ConfigError(
            f"max_tokens must be at least 1, got {max_tokens}: pass a positive budget"
        )
    if not text or text.isspace():
        return []
    plan = Plan(Lines(text), path, max_tokens, exact=count_tokens is not None)
    name = resolve_language(path, language, text)
    how = chunking(name)
    if how == "grammar":
        assert name is not None
        plan_tree(plan, name, root)
    elif how == "sections":
        plan_markdown(plan)
    else:
        plan_windows(plan)
    return finish(plan, max_tokens, count_tokens)
