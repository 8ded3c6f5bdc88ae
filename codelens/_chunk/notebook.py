"""Cutting a notebook into chunks, cell by cell, each cell by its own language.

Code cells go through the same chunkers as files of their language (tree-sitter for
Python and the other grammars, line windows otherwise), markdown cells are cut by
headings, raw cells and indexed outputs into line windows. A chunk never spans two
cells. IPython's ``%magic``, ``%%magic`` and ``!shell`` lines are commented out for
the parser only: the stored content is the cell's real source.

Lines are counted two ways: ``cell_start_line``/``cell_end_line`` within the cell (as
JupyterLab numbers them), and ``start_line``/``end_line`` in the notebook's cells laid
end to end (:attr:`Notebook.text`), so that chunks of a notebook sort and count like
those of any file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from codelens._chunk.chunker import chunk_text
from codelens._chunk.types import Chunk
from codelens._ipynb import Cell, Notebook, line_count

__all__ = ["chunk_notebook", "mask_magics"]

# Languages whose kernels (IPython) read %magic and !shell lines.
_IPYTHON = frozenset({"python"})


def mask_magics(source: str) -> str:
    """``source`` with each IPython magic or shell line turned into a comment of the same
    length, so that line and column numbers stay true."""
    lines = source.split("\n")
    for i, line in enumerate(lines):
        body = line.lstrip()
        if body[:1] in ("%", "!"):
            lines[i] = line[: len(line) - len(body)] + "#" + body[1:]
    return "\n".join(lines)


def chunk_notebook(
    path: str,
    notebook: Notebook,
    *,
    max_tokens: int,
    count_tokens: Callable[[str], int] | None = None,
) -> list[Chunk]:
    """The chunks of every cell of ``notebook`` (the file at ``path``), in cell order."""
    chunks: list[Chunk] = []
    offset = 0  # lines of the cells (and indexed outputs) before this one
    for cell in notebook.cells:
        for text, kind, language in _parts(cell, notebook.language):
            masked = mask_magics(text) if kind == "code" and language in _IPYTHON else text
            found = chunk_text(
                path, language or "text", masked, max_tokens=max_tokens, count_tokens=count_tokens
            )
            real = text.split("\n")
            for c in found:
                content = c.content
                if masked is not text:
                    content = "\n".join(real[c.start_line - 1 : c.end_line])
                chunks.append(
                    dataclasses.replace(
                        c,
                        index=len(chunks),
                        start_line=offset + c.start_line,
                        end_line=offset + c.end_line,
                        content=content,
                        language=language,
                        cell_number=cell.number,
                        cell_kind=kind,
                        execution_count=cell.execution_count,
                        cell_start_line=c.start_line,
                        cell_end_line=c.end_line,
                    )
                )
            offset += line_count(text)
    return chunks


def _parts(cell: Cell, kernel: str | None) -> list[tuple[str, str, str | None]]:
    """(text, cell kind, language) of what is indexed of ``cell``: its source, its outputs."""
    parts = [(cell.source, cell.kind, cell.language)] if cell.source else []
    if cell.output:
        parts.append((cell.output, "output", "text"))
    return parts
