"""The chunk record that the indexer stores and embeds, and the text that gets embedded."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Chunk", "embedding_text"]


@dataclass(frozen=True, slots=True)
class Chunk:
    """One searchable piece of a file: a line range with the symbol it belongs to.

    ``content`` is the exact text of lines ``start_line``..``end_line`` (1-based,
    inclusive, lines split on ``\\n``) without the final line break. A definition
    too long for the embedder comes as parts 1..n that repeat its signature in
    ``header``; a whole definition has ``part`` 0 and an empty ``header``.
    """

    index: int
    symbol: str
    kind: str
    start_line: int
    end_line: int
    content: str
    header: str
    part: int


def embedding_text(path: str, chunk: Chunk) -> str:
    """What gets embedded for ``chunk``: where it is, its signature when cut off, its code."""
    head = f"{path}: {chunk.symbol}\n" if chunk.symbol else f"{path}\n"
    if chunk.part > 0 and chunk.header and chunk.header not in chunk.content:
        head += chunk.header + "\n"
    return head + chunk.content
