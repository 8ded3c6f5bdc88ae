"""Notebooks in a real index: found by plain words, filtered with .py files, re-run without
re-embedding, placed by cell, and counted by the analysis."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from codelens._project import Project
from codelens._search.place import place

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

CLEANING = """\
import statistics


def drop_outliers(values, limit=3.0):
    \"\"\"Remove the values further than `limit` standard deviations from the mean.\"\"\"
    mean = statistics.mean(values)
    spread = statistics.stdev(values)
    return [v for v in values if abs(v - mean) <= limit * spread]
"""


def _notebook(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Cleaning measurements"),
        nbformat.v4.new_code_cell("%load_ext autoreload\nvalues = [1.0, 1.2, 0.9, 50.0]"),
        nbformat.v4.new_code_cell(CLEANING),
        nbformat.v4.new_code_cell("print(drop_outliers(values, limit=1.0))"),
    ]
    path = folder / "clean.ipynb"
    path.write_text(nbformat.writes(nb))
    (folder / "stats.py").write_text(
        "def median(values):\n    return sorted(values)[len(values) // 2]\n"
    )
    return path


def test_rerunning_a_notebook_embeds_nothing_and_reports_it_unchanged(
    project: Project, tmp_path: Path
) -> None:
    path = _notebook(tmp_path)
    first = project.index(tmp_path, progress=False)
    assert (first.files_indexed, first.files_skipped) == (2, {})
    nb = nbformat.read(path, as_version=4)
    # Run it for real: outputs and execution counts are rewritten.
    NotebookClient(nb, kernel_name="python3", timeout=60).execute()
    assert nb.cells[3].outputs and nb.cells[3].execution_count == 3
    nbformat.write(nb, path)
    again = project.index(tmp_path, progress=False)
    assert (again.files_indexed, again.files_unchanged, again.chunks_added) == (0, 2, 0)
    nb.cells[2].source = nb.cells[2].source.replace("limit=3.0", "limit=2.5")
    nbformat.write(nb, path)
    edited = project.index(tmp_path, progress=False)
    assert (edited.files_indexed, edited.chunks_added) == (1, 1)


def test_a_hit_names_its_cell_and_filters_span_notebooks_and_files(
    project: Project, tmp_path: Path
) -> None:
    _notebook(tmp_path)
    project.index(tmp_path, progress=False)
    hits = project.search("remove outliers far from the mean", limit=3)
    top: Any = hits.iloc[0]
    assert (top["path"], top["cell_number"], top["cell_kind"], top["language"]) == (
        "clean.ipynb", 3, "code", "python"
    )  # fmt: skip
    assert (top["symbol"], top["cell_start_line"], top["cell_end_line"]) == ("drop_outliers", 4, 8)
    assert place(top) == "clean.ipynb · cell 3 · lines 4-8"
    assert "clean.ipynb · cell 3 · lines 4-8" in hits._repr_html_()  # type: ignore[operator]
    assert "clean.ipynb · cell 3 · lines 4-8" in repr(hits)
    python = project.search("values", language="python", limit=20, mode="lexical")
    assert set(python["path"]) == {"clean.ipynb", "stats.py"}
    notebooks = project.search("values", file_type="ipynb", limit=20, mode="lexical")
    assert set(notebooks["path"]) == {"clean.ipynb"}
    assert set(notebooks["cell_kind"]) <= {"code", "markdown"}
    markdown = project.search("cleaning measurements", language="markdown", mode="lexical")
    assert [(r.path, r.cell_number, r.cell_kind) for r in markdown.itertuples()] == [
        ("clean.ipynb", 1, "markdown")
    ]
    files = project.search("median", path="stats.py", mode="lexical")
    assert files["cell_number"].isna().all() and place(files.iloc[0]) == "stats.py:1-2"


def test_this_repositorys_notebooks_answer_a_plain_question(
    project: Project, tmp_path: Path
) -> None:
    shutil.copytree(NOTEBOOKS, tmp_path / "notebooks")
    report = project.index(tmp_path / "notebooks", progress=False)
    assert report.files_indexed == 3
    hits = project.search("delete a project for good", limit=5, file_type="ipynb")
    found = [(r.path, r.cell_number) for r in hits.itertuples()]
    # multi-project.ipynb: "## Dropping a project" and the cell that drops one
    assert ("multi-project.ipynb", 20) in found or ("multi-project.ipynb", 21) in found


@pytest.mark.parametrize("by", ["language", "repository"])
def test_the_analysis_counts_notebooks(project: Project, tmp_path: Path, by: str) -> None:
    _notebook(tmp_path)
    (tmp_path / "broken.ipynb").write_text('{"cells": [')
    project.index(tmp_path, progress=False)
    analysis = project.analyze()
    table = analysis.coverage(by=by)
    if by == "language":
        row = table.set_index("language").loc["jupyter"]
        assert (row["on_disk"], row["indexed"], row["skipped_notebook_invalid"]) == (2, 1, 1)
        assert row["stale"] == 0
    else:
        assert table["on_disk"].sum() == 3 and table["stale"].sum() == 0
    chunks = analysis.sql(
        "SELECT language, count(*) AS n FROM chunks WHERE path = 'clean.ipynb'"
        " GROUP BY language ORDER BY language"
    )
    assert chunks.to_dict("records") == [
        {"language": "markdown", "n": 1},
        {"language": "python", "n": 4},  # cell 3: its import, its function
    ]
