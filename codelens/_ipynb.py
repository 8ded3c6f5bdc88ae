"""Read a Jupyter notebook into the cells that are indexed, or the reason it is skipped.

The JSON is read as JSON; a version 3 notebook is converted to version 4 by ``nbformat``,
anything else it cannot convert is ``notebook_version``. ``nbformat`` is imported only
for that conversion: importing it imports ``jsonschema``, whose format checkers build
parsers at import time (seconds, where ``rfc3987-syntax`` is installed, as Jupyter's
own dependencies install it), which every ``import codelens`` paid before. The
structure is checked leniently (a list of cells, each with a type and a source) rather
than against the full schema: notebooks written by other tools often break the schema
in details that do not matter for indexing, and JupyterLab opens them all the same.

What is indexed is the cells' sources and kinds, and their text outputs only when
asked. :attr:`Notebook.digest` hashes exactly that, so re-running a notebook (new
outputs, new execution counts) leaves the digest, and so the index, unchanged.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MAX_CELLS",
    "NOTEBOOK_LANGUAGE",
    "NOTEBOOK_MAX_BYTES",
    "OUTPUT_MAX_CHARS",
    "Cell",
    "Notebook",
    "line_count",
    "parse_notebook",
]

# The file language of every notebook; its cells carry their own languages.
NOTEBOOK_LANGUAGE = "jupyter"
# A notebook is mostly embedded outputs, which are not indexed but must be read and parsed.
NOTEBOOK_MAX_BYTES = 50_000_000
# Far past any notebook a person works in; a generated one this long is data, not code.
MAX_CELLS = 2_000
# Text outputs indexed per code cell (``ScanOptions.notebook_outputs``), in characters.
OUTPUT_MAX_CHARS = 2_000

# Kernel and cell-magic names that are not codelens' language names.
_LANGUAGE_ALIASES = {
    "ipython": "python",
    "python3": "python",
    "bash": "shell",
    "sh": "shell",
    "js": "javascript",
    "node": "javascript",
    "c++": "cpp",
    "c#": "csharp",  # .NET Interactive
    "ir": "r",
    "html": "html",
    "javascript": "javascript",
    "markdown": "markdown",
    "sql": "sql",
    "ruby": "ruby",
    "perl": "perl",
}
# A cell magic that runs its body in another language: the magic's name is that language.
_CELL_MAGIC = re.compile(r"%%(\w+)")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass(frozen=True, slots=True)
class Cell:
    number: int  # 1-based, as JupyterLab shows it
    kind: str  # code, markdown or raw
    language: str | None  # of the source: the kernel's, a cell magic's, markdown, or None
    source: str
    execution_count: int | None
    output: str  # the text outputs, capped; "" unless outputs are indexed


@dataclass(frozen=True, slots=True)
class Notebook:
    language: str | None  # the kernel's language
    cells: tuple[Cell, ...]

    @property
    def digest(self) -> str:
        """The hash of what is indexed: each cell's kind, language, source and output."""
        parts = [[c.kind, c.language, c.source, c.output] for c in self.cells]
        data = json.dumps([self.language, parts], ensure_ascii=False)
        return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()

    @property
    def text(self) -> str:
        """The sources (and indexed outputs) laid end to end, numbered as chunks count lines."""
        parts = (p for c in self.cells for p in (c.source, c.output) if p)
        return "".join(p if p.endswith("\n") else p + "\n" for p in parts)


def line_count(text: str) -> int:
    """Lines as the chunker numbers them: ``\\n``-separated, a final newline ending the last."""
    if not text:
        return 0
    return text.count("\n") + (0 if text.endswith("\n") else 1)


def parse_notebook(text: str, *, outputs: bool) -> Notebook | str:
    """The notebook in ``text``, or the SKIP_REASONS key that says why it is not indexed."""
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError):  # not JSON; absurdly deep nesting
        return "notebook_invalid"
    if not isinstance(raw, dict) or not isinstance(raw.get("nbformat"), int):
        return "notebook_invalid"
    old_language: str | None = None
    if raw["nbformat"] != 4:
        if raw["nbformat"] > 4:
            return "notebook_version"
        old_language = _cells_language(raw.get("worksheets"))
        import nbformat  # late: see the module docstring

        try:
            raw = nbformat.convert(nbformat.from_dict(raw), 4)  # type: ignore[no-untyped-call]
        # nbformat's converters raise whatever the malformed input provokes (KeyError,
        # TypeError, its own errors): any failure to convert is the notebook's, not ours.
        except Exception:
            return "notebook_version"
    cells = raw.get("cells")
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        return "notebook_invalid"
    if len(cells) > MAX_CELLS:
        return "notebook_too_many_cells"
    language = _kernel_language(raw.get("metadata")) or old_language
    read: list[Cell] = []
    for number, cell in enumerate(cells, start=1):
        found = _cell(number, cell, language, outputs)
        if isinstance(found, str):
            return found
        read.append(found)
    return Notebook(language, tuple(read))


def _cells_language(worksheets: object) -> str | None:
    """The language a version 3 notebook names in its code cells (version 4 names it in
    the kernel's metadata, which the conversion leaves empty)."""
    if not isinstance(worksheets, list):
        return None
    for sheet in worksheets:
        cells = sheet.get("cells") if isinstance(sheet, dict) else None
        for cell in cells if isinstance(cells, list) else ():
            if not isinstance(cell, dict) or cell.get("cell_type") != "code":
                continue
            name = cell.get("language")
            if isinstance(name, str) and name.strip():
                return _language(name)
    return None


def _kernel_language(metadata: object) -> str | None:
    if not isinstance(metadata, dict):
        return None
    for key in ("kernelspec", "language_info"):
        block = metadata.get(key)
        if not isinstance(block, dict):
            continue
        name = block.get("language" if key == "kernelspec" else "name")
        if isinstance(name, str) and name.strip():
            return _language(name)
    return None


def _language(name: str) -> str:
    lower = name.strip().lower()
    return _LANGUAGE_ALIASES.get(lower, lower)


def _joined(value: object) -> str | None:
    """A multiline string field: a string, or a list of strings (nbformat stores both)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return None


def _cell(number: int, cell: dict[str, Any], kernel: str | None, outputs: bool) -> Cell | str:
    kind = cell.get("cell_type")
    source = _joined(cell.get("source", ""))
    if kind not in ("code", "markdown", "raw") or source is None:
        return "notebook_invalid"
    if "\0" in source:  # PostgreSQL text cannot hold NUL
        return "binary"
    count = cell.get("execution_count") if kind == "code" else None
    language: str | None = kernel
    if kind == "markdown":
        language = "markdown"
    elif kind == "raw":
        language = None
    elif kernel == "python" and (magic := _CELL_MAGIC.match(source.lstrip())):
        # %%bash, %%sql, %%html...: the body is in that language; %%time, %%capture and the
        # like run Python, and the magic's own line is blanked for the parser.
        name = _language(magic[1])
        language = name if name in _LANGUAGE_ALIASES.values() else kernel
    output = _outputs(cell.get("outputs")) if outputs and kind == "code" else ""
    if "\0" in output:
        output = output.replace("\0", "")
    return Cell(
        number,
        kind,
        language,
        source,
        count if isinstance(count, int) and not isinstance(count, bool) else None,
        output,
    )


def _outputs(items: object) -> str:
    """The text a code cell printed or returned, capped: never images or other data."""
    if not isinstance(items, list):
        return ""
    texts: list[str] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        kind = item.get("output_type")
        text: str | None = None
        if kind == "stream":
            text = _joined(item.get("text"))
        elif kind in ("execute_result", "display_data"):
            data = item.get("data")
            text = _joined(data.get("text/plain")) if isinstance(data, dict) else None
        elif kind == "error":
            name, value = item.get("ename"), item.get("evalue")
            text = f"{name}: {value}" if isinstance(name, str) else None
        if text:
            texts.append(_ANSI.sub("", text).rstrip("\n"))
        if sum(len(t) for t in texts) >= OUTPUT_MAX_CHARS:
            break
    return "\n".join(texts)[:OUTPUT_MAX_CHARS]
