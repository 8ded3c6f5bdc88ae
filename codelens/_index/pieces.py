"""A scanned file cut into chunks, each with the exact text embedded for it and that text's hash.

An index run and its dry run cut files here, so that a dry run counts what a run writes.
The run also takes the file's symbols (:mod:`codelens._chunk.tags`) from the same parse.
"""

from __future__ import annotations

import hashlib

from codelens._chunk.chunker import Chunk, chunk_text, embedding_text
from codelens._chunk.grammars import AST_LANGUAGES, resolve_language
from codelens._chunk.notebook import chunk_notebook, mask_magics
from codelens._chunk.tags import FileSymbols, extract_symbols
from codelens._chunk.tree import parse_tree
from codelens._chunk.types import embedding_text_of
from codelens._ipynb import Notebook, line_count
from codelens._scan.walk import ScannedFile

__all__ = ["Piece", "file_parts", "file_pieces", "file_symbols", "stored_text", "text_hash"]


class Piece:
    """A chunk with the exact text that is embedded for it, and that text's hash."""

    __slots__ = ("chunk", "hash", "text")

    def __init__(self, chunk: Chunk, text: str) -> None:
        self.chunk = chunk
        self.text = text
        self.hash = text_hash(text)


def text_hash(text: str) -> str:
    """A chunk's content hash: the SHA-256 of the exact text embedded for it."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def stored_text(path: str, symbol: str, header: str, content: str, content_hash: str) -> str | None:
    """The text a stored chunk is embedded from, rebuilt from its row; None when the row no
    longer gives the hash it was stored under: a vector is never stored for another text."""
    text = embedding_text_of(path, symbol, header, content)
    return text if text_hash(text) == content_hash else None


def file_pieces(f: ScannedFile, max_tokens: int) -> list[Piece]:
    """The pieces of an indexable file (read with its text), sized for a model's window."""
    return file_parts(f, max_tokens, symbols=False)[0]


def file_parts(
    f: ScannedFile, max_tokens: int, *, symbols: bool = True
) -> tuple[list[Piece], FileSymbols]:
    """The pieces of an indexable file and (with ``symbols``) its symbols, from one parse."""
    assert f.text is not None
    found = FileSymbols()
    if f.notebook is not None:
        chunks = chunk_notebook(f.path, f.notebook, max_tokens=max_tokens)
        if symbols:
            found = _notebook_symbols(f.path, f.notebook)
    else:
        name = resolve_language(f.path, f.language, f.text)
        root = None
        if name in AST_LANGUAGES:
            assert name is not None
            data = f.text.encode("utf-8", "surrogatepass")
            root = parse_tree(name, data)
            if symbols:
                found = extract_symbols(f.path, name, root, data)
        chunks = chunk_text(f.path, name, f.text, max_tokens=max_tokens, root=root)
    return [Piece(c, embedding_text(f.path, c)) for c in chunks], found


def file_symbols(f: ScannedFile) -> FileSymbols:
    """The symbols of an indexable file alone: for a file stored before codelens kept them."""
    assert f.text is not None
    if f.notebook is not None:
        return _notebook_symbols(f.path, f.notebook)
    name = resolve_language(f.path, f.language, f.text)
    if name not in AST_LANGUAGES:
        return FileSymbols()
    assert name is not None
    data = f.text.encode("utf-8", "surrogatepass")
    return extract_symbols(f.path, name, parse_tree(name, data), data)


def _notebook_symbols(path: str, notebook: Notebook) -> FileSymbols:
    """The symbols of a notebook's Python code cells, numbered as its chunks number lines."""
    found = FileSymbols()
    offset = 0
    for cell in notebook.cells:
        if cell.source:
            if cell.kind == "code" and cell.language == "python":
                data = mask_magics(cell.source).encode("utf-8", "surrogatepass")
                cell_symbols = extract_symbols(path, "python", parse_tree("python", data), data)
                found.extend(cell_symbols.shifted(offset))
            offset += line_count(cell.source)
        if cell.output:
            offset += line_count(cell.output)
    return found
