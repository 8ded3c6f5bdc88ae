"""The analysis counts notebooks and their cells: one file each in coverage (by language and
by file type), their chunks per kind of cell, and the cell columns in the snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import nbformat
import pytest

from codelens._analysis.snapshot_file import snapshot_path
from codelens._project import Project
from codelens.errors import AnalysisError

CELL_COLUMNS = "cell_number, cell_kind, execution_count, cell_start_line, cell_end_line"

CODE = '''\
def celsius(fahrenheit):
    """Convert a temperature to degrees Celsius."""
    return (fahrenheit - 32) * 5 / 9


def fahrenheit(celsius):
    """Convert a temperature to degrees Fahrenheit."""
    return celsius * 9 / 5 + 32
'''


def _repo(root: Path) -> Path:
    root.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Temperatures\n\nConversions between the two scales."),
        nbformat.v4.new_code_cell(CODE, execution_count=1),
        nbformat.v4.new_code_cell(""),  # empty: nothing to index
        nbformat.v4.new_raw_cell("Exported to the weather report as plain text."),
        nbformat.v4.new_markdown_cell("## Checks\n\nBoiling water in both scales."),
        nbformat.v4.new_code_cell("%time celsius(212)\nassert fahrenheit(100) == 212"),
    ]
    (root / "weather.ipynb").write_text(nbformat.writes(nb))
    (root / "units.py").write_text("def metres(feet):\n    return feet * 0.3048\n")
    (root / "LICENSE").write_text("Do what you like.\n")
    return root


def _pg(project: Project, query: Any) -> list[tuple[Any, ...]]:
    with project.connection() as conn:
        return [tuple(row) for row in conn.execute(query).fetchall()]


def test_coverage_counts_a_notebook_once_by_language_and_by_file_type(
    project: Project, tmp_path: Path
) -> None:
    project.index(_repo(tmp_path / "weather"), progress=False)
    analysis = project.analyze()
    languages = analysis.coverage(by="language").set_index("language")
    assert languages.loc["jupyter", ["on_disk", "indexed", "coverage_pct"]].tolist() == [1, 1, 100]
    assert languages.loc["python", ["on_disk", "indexed"]].tolist() == [1, 1]
    types = analysis.coverage(by="file_type").set_index("file_type")
    assert sorted(types.index) == ["(none)", "ipynb", "py"]
    assert types.loc["ipynb", ["on_disk", "indexed", "stale"]].tolist() == [1, 1, 0]
    assert types.loc["py", ["on_disk", "indexed"]].tolist() == [1, 1]
    assert types.loc["(none)", "on_disk"] == 1  # LICENSE
    assert int(types["on_disk"].sum()) == int(languages["on_disk"].sum()) == 3
    with pytest.raises(AnalysisError, match="'language', 'file_type', 'directory' or"):
        analysis.coverage(by="extension")  # type: ignore[arg-type]


def test_the_snapshot_carries_each_chunks_cell(project: Project, tmp_path: Path) -> None:
    project.index(_repo(tmp_path / "weather"), progress=False)
    analysis = project.analyze()
    order = "ORDER BY path, start_line, chunk_index"
    query = f"SELECT path, {CELL_COLUMNS} FROM chunks {order}"
    in_pg = _pg(project, query)
    snapshot = analysis.sql(query)
    plain = snapshot.astype(object).where(snapshot.notna(), None)
    assert [tuple(r) for r in plain.itertuples(index=False)] == in_pg
    assert {r[2] for r in in_pg if r[0] == "weather.ipynb"} == {"code", "markdown", "raw"}
    assert [r[1:] for r in in_pg if r[0] == "units.py"] == [(None,) * 5]
    columns = analysis.columns("chunks").set_index("column")
    assert "JupyterLab" in columns.loc["cell_number", "description"]


def test_chunk_stats_by_cell_kind(project: Project, tmp_path: Path) -> None:
    project.index(_repo(tmp_path / "weather"), progress=False)
    analysis = project.analyze()
    stats = analysis.chunk_stats(by="cell_kind")
    per_kind = stats[stats["language"] == "(all)"].set_index("cell_kind")
    assert list(per_kind.index) == ["code", "markdown", "raw", "(all)"]
    # By construction: two code cells with source (one is empty), two markdown, one raw.
    assert per_kind["cells"].to_dict() == {"code": 2, "markdown": 2, "raw": 1, "(all)": 5}
    assert per_kind["notebooks"].tolist() == [1, 1, 1, 1]
    chunks = dict(
        _pg(
            project, "SELECT cell_kind, count(*) FROM chunks WHERE cell_kind IS NOT NULL GROUP BY 1"
        )
    )
    assert per_kind["chunks"].to_dict() == {**chunks, "(all)": sum(chunks.values())}
    code = stats[(stats["cell_kind"] == "code") & (stats["language"] == "python")]
    assert code["chunks"].tolist() == [chunks["code"]]
    # .py chunks are not cells: the default statistics still count every chunk.
    everything = analysis.chunk_stats()
    assert everything["chunks"].iloc[-1] == _pg(project, "SELECT count(*) FROM chunks")[0][0]
    assert everything["chunks"].iloc[-1] > per_kind.loc["(all)", "chunks"]
    with pytest.raises(AnalysisError, match="'language' or 'cell_kind'"):
        analysis.chunk_stats(by="kind")  # type: ignore[arg-type]


def test_chunk_stats_by_cell_kind_without_notebooks_is_empty(
    project: Project, tmp_path: Path
) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    (root / "units.py").write_text("def metres(feet):\n    return feet * 0.3048\n")
    project.index(root, progress=False)
    stats = project.analyze().chunk_stats(by="cell_kind")
    assert stats.empty and "cells" in stats.columns


def test_a_snapshot_from_before_cells_is_rebuilt(project: Project, tmp_path: Path) -> None:
    project.index(_repo(tmp_path / "weather"), progress=False)
    analysis = project.analyze()
    path = snapshot_path(project.handle)
    # What the previous version of the snapshot file looked like: chunks without cells.
    con = duckdb.connect(str(path))
    for column in CELL_COLUMNS.split(", "):
        con.execute(f"ALTER TABLE chunks DROP COLUMN {column}")
    con.execute("UPDATE _meta SET schema_version = 2")
    con.close()
    assert analysis.refresh().full_copy
    kinds = analysis.sql("SELECT DISTINCT cell_kind FROM chunks WHERE cell_kind IS NOT NULL")
    assert set(kinds["cell_kind"]) == {"code", "markdown", "raw"}
