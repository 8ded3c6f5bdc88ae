"""Notebooks read and cut cell by cell: magics, headings, empty and raw cells, other kernels,
outputs on request, and bad notebooks skipped with a reason."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import nbformat
import pytest

from codelens._chunk.notebook import chunk_notebook
from codelens._ipynb import MAX_CELLS, OUTPUT_MAX_CHARS, Notebook
from codelens._scan.read import SKIP_REASONS, ScannedFile, read_file
from codelens._scan.walk import ScanOptions, scan

IMAGE = "iVBORw0KGgo" * 2000  # base64 of a PNG: never indexed


def _code(source: str, count: int | None = None, outputs: list[Any] | None = None) -> Any:
    cell = nbformat.v4.new_code_cell(source, execution_count=count)
    cell.outputs = outputs or []
    return cell


def _notebook(cells: list[Any], language: str = "python") -> str:
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": language, "display_name": language, "language": language}
    return str(nbformat.writes(nb))


ANALYSIS = _notebook(
    [
        nbformat.v4.new_markdown_cell("# Load\n\nRead the data.\n\n## Clean\n\nDrop empty rows."),
        _code(
            "%matplotlib inline\n!pip list\nimport pandas as pd\n\n\ndef load(path):\n"
            "    return pd.read_csv(path)\n",
            count=3,
            outputs=[
                nbformat.v4.new_output("stream", name="stdout", text="pandas 2.2\n"),
                nbformat.v4.new_output("display_data", data={"image/png": IMAGE}),
            ],
        ),
        _code(""),
        nbformat.v4.new_raw_cell("raw text\nfor nbconvert"),
        _code("%%bash\necho hello\nls -l", count=5),
        _code("%%time\nx = sum(range(10))", count=6),
    ]
)


def _read(tmp_path: Path, text: str | bytes, name: str = "a.ipynb", **options: Any) -> ScannedFile:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    found = [f for f in scan(tmp_path, ScanOptions(**options)) if f.path == name]
    return found[0]


def _rows(notebook: Notebook) -> list[list[object]]:
    return [
        [c.cell_number, c.cell_kind, c.language, c.kind, c.symbol, c.cell_start_line,
         c.cell_end_line, c.start_line, c.end_line, c.execution_count]
        for c in chunk_notebook("a.ipynb", notebook, max_tokens=256)
    ]  # fmt: skip


def test_cells_are_chunked_by_their_own_language_with_true_lines(tmp_path: Path) -> None:
    f = _read(tmp_path, ANALYSIS)
    assert (f.language, f.skip_reason) == ("jupyter", None)
    assert f.notebook is not None
    assert _rows(f.notebook) == [
        [1, "markdown", "markdown", "section", "Load", 1, 3, 1, 3, None],
        [1, "markdown", "markdown", "section", "Load > Clean", 5, 7, 5, 7, None],
        [2, "code", "python", "module", "", 1, 3, 8, 10, 3],
        [2, "code", "python", "function", "load", 6, 7, 13, 14, 3],
        # cell 3 is empty: no chunk, no lines
        [4, "raw", None, "text", "", 1, 2, 15, 16, None],
        [5, "code", "shell", "module", "", 1, 3, 17, 19, 5],  # %%bash: the bash grammar
        [6, "code", "python", "module", "", 1, 2, 20, 21, 6],
    ]


def test_magic_lines_do_not_break_the_parse_and_stay_in_the_content(tmp_path: Path) -> None:
    f = _read(tmp_path, ANALYSIS)
    assert f.notebook is not None
    chunks = chunk_notebook(f.path, f.notebook, max_tokens=256)
    module = chunks[2]
    assert module.content == "%matplotlib inline\n!pip list\nimport pandas as pd"
    assert chunks[3].content == "def load(path):\n    return pd.read_csv(path)"
    assert chunks[-1].content == "%%time\nx = sum(range(10))"


@pytest.mark.parametrize(
    ("kernel", "language", "source", "expected"),
    [
        ("C#", "csharp", "record Point(int X, int Y);\nvar p = new Point(1, 2);", "Point"),
        ("haskell", "haskell", "double :: Int -> Int\ndouble x = 2 * x", "double"),
        ("elixir", "elixir", "defmodule M do\n  def f, do: 1\nend", "M"),
    ],
)
def test_a_kernel_of_a_new_grammar_is_chunked_by_definition(
    tmp_path: Path, kernel: str, language: str, source: str, expected: str
) -> None:
    f = _read(tmp_path, _notebook([_code(source, 1)], kernel))
    assert f.notebook is not None
    chunks = chunk_notebook(f.path, f.notebook, max_tokens=256)
    assert {c.language for c in chunks} == {language}
    assert chunks[0].symbol == expected


def test_a_kernel_without_a_grammar_is_cut_into_line_windows(tmp_path: Path) -> None:
    f = _read(tmp_path, _notebook([_code("x <- c(1, 2)\n%not_a_magic\nmean(x)", 1)], "R"))
    assert f.notebook is not None
    chunks = chunk_notebook(f.path, f.notebook, max_tokens=256)
    assert [(c.language, c.kind, c.content) for c in chunks] == [
        ("r", "text", "x <- c(1, 2)\n%not_a_magic\nmean(x)")
    ]


def test_outputs_are_indexed_only_when_asked_text_only_and_capped(tmp_path: Path) -> None:
    plain = _read(tmp_path, ANALYSIS)
    assert plain.notebook is not None
    assert all(c.output == "" for c in plain.notebook.cells)
    long = "x" * (3 * OUTPUT_MAX_CHARS)
    text = _notebook(
        [_code("print(1)", 1, [nbformat.v4.new_output("stream", name="stdout", text=long)])]
    )
    (tmp_path / "a.ipynb").unlink()
    with_outputs = _read(tmp_path, ANALYSIS, notebook_outputs=True)
    assert with_outputs.notebook is not None
    assert with_outputs.notebook.cells[1].output == "pandas 2.2"
    assert IMAGE[:20] not in (with_outputs.text or "")
    output = [
        c for c in chunk_notebook("a.ipynb", with_outputs.notebook, max_tokens=256)
        if c.cell_kind == "output"
    ]  # fmt: skip
    assert [(c.cell_number, c.content, c.cell_start_line) for c in output] == [(2, "pandas 2.2", 1)]
    capped = _read(tmp_path, text, name="b.ipynb", notebook_outputs=True)
    assert capped.notebook is not None
    assert len(capped.notebook.cells[0].output) == OUTPUT_MAX_CHARS


def test_the_hash_is_of_what_is_indexed(tmp_path: Path) -> None:
    first = _read(tmp_path, ANALYSIS)
    nb = nbformat.reads(ANALYSIS, as_version=4)
    for n, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.execution_count = 100 + n
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"run {n}\n")]
    rerun = _read(tmp_path, nbformat.writes(nb))
    assert first.sha256 == rerun.sha256
    # With outputs indexed, new outputs are a change.
    assert (
        _read(tmp_path, ANALYSIS, notebook_outputs=True).sha256
        != _read(tmp_path, nbformat.writes(nb), notebook_outputs=True).sha256
    )
    nb.cells[1].source += "\nprint('edited')\n"
    assert _read(tmp_path, nbformat.writes(nb)).sha256 != first.sha256


def test_a_version_3_notebook_is_converted(tmp_path: Path) -> None:
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [
            {"cells": [{"cell_type": "code", "input": "def old():\n    return 3",
                        "language": "python", "outputs": [], "prompt_number": 2}]}
        ],
    }  # fmt: skip
    f = _read(tmp_path, json.dumps(v3))
    assert f.skip_reason is None and f.notebook is not None
    assert [(c.kind, c.source, c.execution_count) for c in f.notebook.cells] == [
        ("code", "def old():\n    return 3", 2)
    ]
    # Version 3 names the language in each code cell, where version 4 has none: its code is
    # still cut by definition, not read as text.
    assert f.notebook.language == "python"
    chunks = chunk_notebook(f.path, f.notebook, max_tokens=256)
    assert [(c.language, c.kind, c.symbol) for c in chunks] == [("python", "function", "old")]


def _cells(n: int) -> str:
    return _notebook([nbformat.v4.new_markdown_cell(f"cell {i}") for i in range(n)])


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"cells": [', "notebook_invalid"),
        ("[1, 2, 3]", "notebook_invalid"),
        ('{"nbformat": 4, "cells": 3}', "notebook_invalid"),
        ('{"nbformat": 4, "cells": [{"cell_type": "code", "source": 5}]}', "notebook_invalid"),
        ('{"nbformat": 4, "cells": [{"cell_type": "widget", "source": ""}]}', "notebook_invalid"),
        ('{"name": "package.json, really"}', "notebook_invalid"),
        ('{"nbformat": 5, "cells": []}', "notebook_version"),
        ('{"nbformat": 1, "nbformat_minor": 0, "worksheets": 7}', "notebook_version"),
        (
            '{"nbformat": 3, "nbformat_minor": 0, "worksheets": [{"cells": [5]}, 3]}',
            "notebook_version",
        ),
        (_notebook([_code("x = 1\u0000")]), "binary"),
        (b'{"cells": []\x00}', "binary"),
        (_cells(MAX_CELLS + 1), "notebook_too_many_cells"),
        (_cells(5_000), "notebook_too_many_cells"),
        (_notebook([_code("")]), "empty"),
        ("", "empty"),
    ],
)
def test_bad_notebooks_are_skipped_with_a_reason(
    tmp_path: Path, content: str | bytes, reason: str
) -> None:
    f = _read(tmp_path, content)
    assert (f.skip_reason, f.text, f.notebook) == (reason, None, None)
    assert reason in SKIP_REASONS


def test_huge_notebooks_are_skipped(tmp_path: Path) -> None:
    # Sources past max_file_bytes: too much to index.
    big_source = _notebook([_code("x = 1\n" * 20_000)])
    assert _read(tmp_path, big_source, max_file_bytes=50_000).skip_reason == "notebook_too_large"
    # Embedded outputs are read (not indexed) beyond max_file_bytes...
    outputs = [nbformat.v4.new_output("display_data", data={"image/png": IMAGE * 10})]
    pictures = _notebook([_code("plot()", 1, outputs)])
    assert len(pictures) > 50_000
    f = _read(tmp_path, pictures, max_file_bytes=50_000)
    assert (f.skip_reason, f.text) == (None, "plot()\n")
    # ...up to a fixed cap, past which the file is not even read.
    path = tmp_path / "huge.ipynb"
    with path.open("wb") as out:
        out.truncate(60_000_000)  # sparse: no disk used
    huge = read_file(
        lambda flags: os.open(path, flags), "huge.ipynb", regular=True, limit=50_000, keep_text=True
    )
    assert (huge.skip_reason, huge.sha256) == ("notebook_too_large", None)
