"""The table of languages codelens knows: how each is detected and how its files are cut."""

from __future__ import annotations

import pandas as pd

from codelens._chunk.chunker import chunking
from codelens._chunk.grammars import grammar_wheel
from codelens._languages import patterns

__all__ = ["languages"]

_COLUMNS = ["language", "chunking", "grammar", "extensions", "names", "interpreters"]


def languages() -> pd.DataFrame:
    """One row per language, from the tables the scanner and the chunker use.

    ``chunking`` is ``grammar`` (cut per definition by a tree-sitter grammar),
    ``sections`` (Markdown, per heading), ``cells`` (notebooks) or ``windows``
    (overlapping windows of lines); ``grammar`` names the grammar's package.
    ``extensions`` (without the dot), ``names`` (whole file names, lower case;
    ``dockerfile.*`` is a prefix) and ``interpreters`` (named by a ``#!`` line)
    detect the language. A text file that none of them places is ``text``.
    """
    rows = [
        (name, chunking(name), grammar_wheel(name), *found) for name, found in patterns().items()
    ]
    return pd.DataFrame(rows, columns=_COLUMNS)
