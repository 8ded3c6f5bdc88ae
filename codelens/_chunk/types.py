"""The chunk record that the indexer stores and embeds, and the text that gets embedded."""

from __future__ import annotations

from dataclasses import dataclass

from codelens._chunk.identifier_words import identifier_words
from codelens._chunk.number_runs import meaningful_text

__all__ = ["MAX_SYMBOL", "Chunk", "embed_header", "embedding_text", "embedding_text_of"]

# A symbol is a name (``pkg.Class.method``), never a block of code. Search compares symbols while it groups and ranks,
# so it reads only this much of one, whatever a stored row holds.
MAX_SYMBOL = 200


@dataclass(frozen=True, slots=True)
class Chunk:
    """One searchable piece of a file: a line range with the symbol it belongs to.

    ``content`` is the exact text of lines ``start_line``..``end_line`` (1-based,
    inclusive, lines split on ``\\n``) without the final line break. A definition
    too long for the embedder comes as parts 1..n that repeat its signature in
    ``header``; a whole definition has ``part`` 0 and an empty ``header``.

    A chunk of a notebook also names its cell: ``cell_number`` (1-based), ``cell_kind``
    (code, markdown, raw or output), the cell's ``execution_count`` and its lines
    within the cell, ``cell_start_line``..``cell_end_line``; ``language`` is the
    cell's. For other files these are None (``language`` None: the file's).
    """

    index: int
    symbol: str
    kind: str
    start_line: int
    end_line: int
    content: str
    header: str
    part: int
    language: str | None = None
    cell_number: int | None = None
    cell_kind: str | None = None
    execution_count: int | None = None
    cell_start_line: int | None = None
    cell_end_line: int | None = None


def embed_header(chunk: Chunk) -> str:
    """The signature the embedded text repeats for a part cut off from it, else ``""``."""
    if chunk.part > 0 and chunk.header and chunk.header not in chunk.content:
        return chunk.header
    return ""


def embedding_text_of(path: str, symbol: str, header: str, content: str) -> str:
    """The embedded text from what a chunk's row stores (see :func:`embedding_text`)."""
    body = meaningful_text(content)
    if not body:
        return ""  # a window of a number table: nothing to embed
    head = f"{path}: {symbol}\n" if symbol else f"{path}\n"
    if header:
        head += header + "\n"
    return identifier_words(head + body)


def embedding_text(path: str, chunk: Chunk) -> str:
    """What gets embedded for ``chunk``: where it is, its signature when cut off, its code
    with runs of numbers left out, or nothing for a window of a number table (see
    :mod:`codelens._chunk.number_runs`); camelCase names as words (see
    :mod:`codelens._chunk.identifier_words`)."""
    return embedding_text_of(path, chunk.symbol, embed_header(chunk), chunk.content)
