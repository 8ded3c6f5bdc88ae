"""A scanned file cut into chunks, each with the exact text embedded for it and that text's hash.

An index run and its dry run cut files here, so that a dry run counts what a run writes.
"""

from __future__ import annotations

import hashlib

from codelens._chunk.chunker import Chunk, chunk_text, embedding_text
from codelens._chunk.notebook import chunk_notebook
from codelens._scan.walk import ScannedFile

__all__ = ["Piece", "file_pieces"]


class Piece:
    """A chunk with the exact text that is embedded for it, and that text's hash."""

    __slots__ = ("chunk", "hash", "text")

    def __init__(self, chunk: Chunk, text: str) -> None:
        self.chunk = chunk
        self.text = text
        self.hash = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def file_pieces(f: ScannedFile, max_tokens: int) -> list[Piece]:
    """The pieces of an indexable file (read with its text), sized for a model's window."""
    assert f.text is not None
    if f.notebook is not None:
        chunks = chunk_notebook(f.path, f.notebook, max_tokens=max_tokens)
    else:
        chunks = chunk_text(f.path, f.language, f.text, max_tokens=max_tokens)
    return [Piece(c, embedding_text(f.path, c)) for c in chunks]
