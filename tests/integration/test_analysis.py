"""Analysis of a real indexed project: every number checked against a count made another way.

The repository below is indexed by the real indexer and the local model, then changed
on disk (one file edited, one added, one deleted) before the analysis scans it.
Expected values come from the fixture's own description of each file, from
PostgreSQL queried directly, and from hashing the files with hashlib.
"""

from __future__ import annotations

import hashlib
import math
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from codelens import Workspace
from codelens._analysis.analysis import Analysis
from codelens._project import Project
from codelens._scan.walk import SKIP_REASONS, ScanOptions
from codelens.errors import AnalysisError

OPTIONS = ScanOptions(max_file_bytes=3000)

APP = '''"""The application."""

import os


class Service:
    """Serves requests."""

    def handle(self, request):
        return {"path": request, "cwd": os.getcwd()}

    def close(self):
        return None


def main():
    return Service().handle("/")
'''

# path -> (bytes, language, outcome at index time); outcome is "indexed" or a skip reason
FILES: dict[str, tuple[bytes, str | None, str]] = {
    "src/app.py": (APP.encode(), "python", "indexed"),
    "src/util.py": (b"def add(a, b):\n    return a + b\n", "python", "indexed"),
    "src/broken.py": (
        b"def broken(:\n    return 1\n\ndef fine():\n    return 2\n",
        "python",
        "indexed",
    ),
    "src/latin1.py": (b"# caf\xe9\nx = 1\n", "python", "undecodable"),
    "src/empty.py": (b"", "python", "empty"),
    "src/huge.py": (b"x = 1\n" * 1000, "python", "too_large"),
    "docs/guide.md": (b"# Guide\n\nRead me.\n\n## Install\n\nRun it.\n", "markdown", "indexed"),
    "docs/deep/notes.md": (b"# Notes\n\nSome notes.\n", "markdown", "indexed"),
    "assets/raw.dat": (b"\x00\x00\x01binary", None, "binary"),
    "tools/run.xyz": (b"run things\n", "text", "indexed"),  # text in no known language
    "assets/clip.mp4": (b"ftypisom", None, "unsupported"),
    ".gitignore": (b"*.log\n", "gitignore", "indexed"),
    "README": (b"A small project.\n", "text", "indexed"),
}
NOT_READ = {"assets/clip.mp4"}  # unsupported by its name alone
IGNORED = {  # path -> language the scanner gives it (None for folders)
    "debug.log": None,
    "node_modules": None,
    "build": None,
}
IGNORED_FILES = {
    "debug.log": b"log line\n",
    "node_modules/lib.js": b"module.exports = 1;\n",
    "build/out.py": b"x = 1\n",
}
EDITED = "src/app.py"
ADDED = ("src/new.py", b"def new():\n    return 'new'\n", "python")
DELETED = "src/util.py"


def _write(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@pytest.fixture(scope="module")
def indexed(
    workspace: Workspace, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Project, Path, Analysis]]:
    root = tmp_path_factory.mktemp("analysis") / "repo"
    _write(root, {rel: data for rel, (data, _, _) in FILES.items()})
    _write(root, IGNORED_FILES)
    project = workspace.create(f"t-{uuid.uuid4().hex[:12]}", embedder="local")
    try:
        project.index(root, name="repo", progress=False, scan_options=OPTIONS)
        (root / EDITED).write_bytes(APP.encode() + b"\n\ndef extra():\n    return 3\n")
        (root / ADDED[0]).write_bytes(ADDED[1])
        (root / DELETED).unlink()
        yield project, root, Analysis(project.handle, scan_options=OPTIONS)
    finally:
        workspace.drop(project.id, force=True)


def _pg(project: Project, query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with project.connection() as conn:
        rows = conn.execute(query, params).fetchall()  # type: ignore[arg-type]
        conn.rollback()
    return rows


def _on_disk(root: Path) -> dict[str, bytes]:
    """Files of the fixture that no ignore rule excludes, read back from disk."""
    found = {}
    for folder, dirs, names in os.walk(root):
        rel_folder = os.path.relpath(folder, root)
        dirs[:] = [d for d in dirs if os.path.normpath(os.path.join(rel_folder, d)) not in IGNORED]
        for name in names:
            rel = os.path.normpath(os.path.join(rel_folder, name))
            if rel not in IGNORED:
                found[rel] = (root / rel).read_bytes()
    return found


def _disk_sha(rel: str, data: bytes) -> str | None:
    """The hash the scanner records: none for a file too large to read, or that its name
    rules out (media)."""
    if len(data) > OPTIONS.max_file_bytes or rel in NOT_READ:
        return None
    return hashlib.sha256(data).hexdigest()


def _language(rel: str) -> str | None:
    if rel == ADDED[0]:
        return ADDED[2]
    return FILES[rel][1]


def test_coverage_by_language_counts_disk_and_index(
    indexed: tuple[Project, Path, Analysis],
) -> None:
    project, root, analysis = indexed
    disk = _on_disk(root)
    assert set(disk) == (set(FILES) - {DELETED}) | {ADDED[0]}
    pg = {
        path: (status, reason, sha)
        for path, status, reason, sha in _pg(
            project, "SELECT path, status, skip_reason, sha256 FROM files"
        )
    }
    # the index agrees with the fixture's description of each file
    assert {p: (s if s != "skipped" else r) for p, (s, r, _) in pg.items()} == {
        p: outcome for p, (_, _, outcome) in FILES.items()
    }
    table = analysis.coverage(by="language")
    assert list(table.columns) == [
        "language",
        "on_disk",
        "indexed",
        "skipped",
        *(f"skipped_{r}" for r in SKIP_REASONS),
        "failed",
        "not_indexed",
        "stale",
        "deleted",
        "ignored",
        "chunks_awaiting_vectors",
        "coverage_pct",
    ]
    languages = {_language(p) for p in disk} | {FILES[DELETED][1]}
    assert sorted(table["language"]) == sorted(lang or "(none)" for lang in languages)
    for row in table.to_dict("records"):
        lang = None if row["language"] == "(none)" else row["language"]
        mine = [p for p in disk if _language(p) == lang]
        statuses = [pg[p][0] if p in pg else "not_indexed" for p in mine]
        expected = {
            "on_disk": len(mine),
            "indexed": statuses.count("indexed"),
            "skipped": statuses.count("skipped"),
            "failed": statuses.count("failed"),
            "not_indexed": statuses.count("not_indexed"),
            "stale": sum(p not in pg or pg[p][2] != _disk_sha(p, disk[p]) for p in mine),
            "deleted": sum(1 for p in pg if p not in disk and FILES[p][1] == lang),
            "ignored": sum(1 for p, ignored_lang in IGNORED.items() if ignored_lang == lang),
        }
        for reason in SKIP_REASONS:
            expected[f"skipped_{reason}"] = sum(1 for p in mine if p in pg and pg[p][1] == reason)
        assert {k: row[k] for k in expected} == expected, row["language"]
        indexable = expected["on_disk"] - expected["skipped"]
        if indexable:
            assert row["coverage_pct"] == round(100 * expected["indexed"] / indexable, 1)
        else:
            assert math.isnan(row["coverage_pct"])
    python = table.set_index("language").loc["python"]
    # app.py and broken.py (a syntax error is still indexed); new.py not yet
    assert (python["indexed"], python["not_indexed"], python["stale"]) == (2, 1, 2)
    assert python["coverage_pct"] == 66.7


def test_coverage_by_directory_and_repository_add_up(
    indexed: tuple[Project, Path, Analysis],
) -> None:
    _, root, analysis = indexed
    disk = _on_disk(root)
    by_language = analysis.coverage(by="language")
    counts = [c for c in by_language.columns if c not in ("language", "coverage_pct")]
    for depth in (1, 2):
        table = analysis.coverage(by="directory", depth=depth)
        assert set(table["repository"]) == {"repo"}
        expected: dict[str, int] = {}
        for p in disk:
            folder = "/".join(p.split("/")[:-1][:depth]) or "."
            expected[folder] = expected.get(folder, 0) + 1
        got = dict(zip(table["directory"], table["on_disk"], strict=True))
        assert {k: v for k, v in got.items() if v} == expected
        assert table[counts].sum().to_dict() == by_language[counts].sum().to_dict()
    deep = analysis.coverage(by="directory", depth=2).set_index("directory")
    assert deep.loc["docs/deep", "indexed"] == 1
    assert deep.loc["src", "deleted"] == 1
    assert deep.loc[".", "ignored"] == 3  # debug.log, build/ and node_modules/
    repo = analysis.coverage(by="repository")
    assert repo["repository"].tolist() == ["repo"]
    assert repo[counts].sum().to_dict() == by_language[counts].sum().to_dict()


def test_chunk_stats_match_postgres(indexed: tuple[Project, Path, Analysis]) -> None:
    project, _, analysis = indexed
    rows = _pg(
        project,
        "SELECT coalesce(language, '(none)'), kind, end_line - start_line + 1, token_count,"
        " truncated FROM chunks",
    )
    chunks = pd.DataFrame(rows, columns=["language", "kind", "lines", "tokens", "truncated"])
    stats = analysis.chunk_stats()
    groups: list[tuple[str, str, pd.DataFrame]] = [("(all)", "(all)", chunks)]
    for lang, part in chunks.groupby("language"):
        groups.append((str(lang), "(all)", part))
        for kind, sub in part.groupby("kind"):
            groups.append((str(lang), str(kind), sub))
    assert len(stats) == len(groups)
    indexed_stats = stats.set_index(["language", "kind"])
    for lang, kind, part in groups:
        row = indexed_stats.loc[(lang, kind)]
        assert row["chunks"] == len(part)
        for measure in ("lines", "tokens"):
            values = part[measure].to_numpy(dtype=float)
            assert row[f"{measure}_mean"] == pytest.approx(values.mean(), abs=0.051)
            assert row[f"{measure}_p50"] == pytest.approx(np.percentile(values, 50), abs=0.051)
            assert row[f"{measure}_p90"] == pytest.approx(np.percentile(values, 90), abs=0.051)
            assert row[f"{measure}_max"] == values.max()
        assert row["truncated"] == part["truncated"].sum()
        share = 100 * part["truncated"].sum() / len(part)
        assert row["truncated_pct"] == pytest.approx(share, abs=0.051)
    assert set(chunks["language"]) == {"python", "markdown", "text", "gitignore"}
    # the last row is the whole project
    assert tuple(stats.iloc[-1][["language", "kind"]]) == ("(all)", "(all)")


def test_stale_lists_what_the_next_index_run_would_redo(
    indexed: tuple[Project, Path, Analysis],
) -> None:
    _, _, analysis = indexed
    stale = analysis.stale()
    assert dict(zip(stale["path"], stale["change"], strict=True)) == {
        EDITED: "modified",
        ADDED[0]: "added",
        DELETED: "deleted",
    }
    added = stale.set_index("path").loc[ADDED[0]]
    assert added["status"] == "not_indexed"
    assert added["disk_size"] == len(ADDED[1])


def test_history_counts_change_events_per_day(indexed: tuple[Project, Path, Analysis]) -> None:
    project, _, analysis = indexed
    history = analysis.history()
    zone = analysis.sql("SELECT current_setting('TimeZone') AS tz")["tz"].iloc[0]
    events = _pg(project, "SELECT change, detected_at FROM change_events")
    expected: dict[tuple[str, str], int] = {}
    for change, detected in events:
        day = pd.Timestamp(detected).tz_convert(zone).date()
        expected[(str(day), change)] = expected.get((str(day), change), 0) + 1
    got = {
        (str(row["day"]), kind): row[kind]
        for row in history.to_dict("records")
        for kind in ("added", "modified", "deleted")
        if row[kind]
    }
    assert got == expected
    assert sum(expected.values()) == len(FILES)  # the first run added every file
    assert (history["total"] == history[["added", "modified", "deleted"]].sum(axis=1)).all()


def test_largest_chunks_and_files(indexed: tuple[Project, Path, Analysis]) -> None:
    project, _, analysis = indexed
    top = analysis.largest(n=2)
    assert top["what"].tolist() == ["chunk", "chunk", "file", "file"]
    tokens = sorted((r[0] for r in _pg(project, "SELECT token_count FROM chunks")), reverse=True)
    assert top.loc[top["what"] == "chunk", "tokens"].tolist() == tokens[:2]
    sizes = _pg(project, "SELECT path, size FROM files WHERE status = 'indexed' ORDER BY size DESC")
    files = top[top["what"] == "file"]
    assert files["bytes"].tolist() == [s for _, s in sizes[:2]]
    assert files["path"].iloc[0] == EDITED
    chunk_tokens = _pg(
        project,
        "SELECT sum(token_count) FROM chunks c JOIN files f ON f.id = c.file_id WHERE f.path = %s",
        [EDITED],
    )
    assert files["tokens"].iloc[0] == chunk_tokens[0][0]
    assert set(analysis.largest(3, of="files")["what"]) == {"file"}
    assert len(analysis.largest(1, of="chunks")) == 1


def test_stats_is_the_headline(indexed: tuple[Project, Path, Analysis]) -> None:
    project, _, analysis = indexed
    stats = analysis.stats()
    assert stats["repository"].tolist() == ["repo", "(all)"]
    repo, total = stats.to_dict("records")
    by_repo = analysis.coverage(by="repository").iloc[0]
    for column in ("on_disk", "indexed", "skipped", "failed", "not_indexed", "stale", "deleted"):
        assert repo[column] == total[column] == by_repo[column]
    chunks, tokens = _pg(project, "SELECT count(*), sum(token_count) FROM chunks")[0]
    assert repo["chunks"] == total["chunks"] == chunks
    assert repo["tokens"] == total["tokens"] == tokens
    assert total["coverage_pct"] == by_repo["coverage_pct"]


def test_sql_runs_any_duckdb_query(indexed: tuple[Project, Path, Analysis]) -> None:
    project, _, analysis = indexed
    counts = analysis.sql("select language, count(*) as n from chunks group by 1 order by 1")
    expected = _pg(
        project, 'SELECT language, count(*) FROM chunks GROUP BY 1 ORDER BY language COLLATE "C"'
    )
    assert list(counts.itertuples(index=False, name=None)) == expected
    one = analysis.sql("select count(*) as n from files where status = ?", ["skipped"])
    assert one["n"].iloc[0] == sum(1 for _, _, o in FILES.values() if o != "indexed")
    named = analysis.sql("select $x as x", {"x": 5})
    assert named["x"].tolist() == [5]
    assert analysis.sql("SET threads = 1").empty
    reports = analysis.sql("select report->>'repository' as name from index_runs")
    assert reports["name"].tolist() == ["repo"]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("selec 1", "Parser Error: syntax error"),
        ("select nope from chunks", 'Binder Error: Referenced column "nope" not found'),
        ("select * from no_such_table", "Catalog Error: Table with name no_such_table"),
        ("create table chunks2 as select 1", "read-only"),
        ("select cast('x' as integer)", "Conversion Error"),
    ],
)
def test_sql_errors_are_one_line(
    indexed: tuple[Project, Path, Analysis], query: str, first: str
) -> None:
    with pytest.raises(AnalysisError) as caught:
        indexed[2].sql(query)
    message = str(caught.value)
    assert "\n" not in message
    assert first in message
    assert caught.value._render_traceback_() == [f"AnalysisError: {message}"]


def test_bad_arguments_are_one_line_errors(indexed: tuple[Project, Path, Analysis]) -> None:
    analysis = indexed[2]
    # No SQL is a mistake to name, not an empty answer; None reached DuckDB's internals.
    for empty in ("", "  ;\n"):
        with pytest.raises(AnalysisError, match=r"^the SQL is empty: write a query such as"):
            analysis.sql(empty)
    with pytest.raises(AnalysisError, match=r"^sql\(\) takes the query as text, not NoneType"):
        analysis.sql(None)  # type: ignore[arg-type]
    with pytest.raises(AnalysisError, match="'language', 'file_type', 'directory' or 'repository'"):
        analysis.coverage(by="owner")  # type: ignore[arg-type]
    with pytest.raises(AnalysisError, match="depth=0"):
        analysis.coverage(by="directory", depth=0)
    with pytest.raises(AnalysisError, match="n=0"):
        analysis.largest(n=0)
    with pytest.raises(AnalysisError, match="of='dirs'"):
        analysis.largest(of="dirs")  # type: ignore[arg-type]
    with pytest.raises(AnalysisError, match="measure='bytes'"):
        analysis.plot.chunk_sizes(measure="bytes")  # type: ignore[arg-type]


def test_plots_return_figures(indexed: tuple[Project, Path, Analysis]) -> None:
    from matplotlib.figure import Figure

    analysis = indexed[2]
    figures = [
        analysis.plot.coverage(),
        analysis.plot.coverage(by="directory", depth=2),
        analysis.plot.chunk_sizes(),
        analysis.plot.chunk_sizes(measure="lines", bins=5),
        analysis.plot.history(),
    ]
    for figure in figures:
        assert isinstance(figure, Figure)
        figure.canvas.draw()  # renders without error
    title = figures[0].axes[0].get_title()
    assert title.endswith("% indexed")
    bars = figures[0].axes[0].patches
    indexed_files = analysis.coverage()["indexed"].sum()
    assert sum(b.get_width() for b in bars[: len(bars) // 4]) == indexed_files


def test_tables_document_every_column(indexed: tuple[Project, Path, Analysis]) -> None:
    import codelens._analysis.analysis as module

    analysis = indexed[2]
    tables = analysis.tables()
    names = set(tables["table"])
    assert names == {
        "repositories",
        "files",
        "chunks",
        "change_events",
        "index_runs",
        "embedding_metadata",
        "disk_files",
        "file_status",
        "snapshot_info",
        "definitions",
        "symbol_refs",
        "module_imports",
        "definition_uses",
    }
    assert tables["description"].notna().all()
    columns = analysis.columns()
    assert set(columns["table"]) == names
    assert columns["description"].notna().all(), columns[columns["description"].isna()]
    doc = " ".join((module.__doc__ or "").split())
    for table, part in columns.groupby("table"):
        listed = f"{table}({', '.join(part['column'])})"
        assert listed in doc, listed
    assert "embedding" not in set(analysis.columns("chunks")["column"])
    # A name that is no table is said so, with the names that are, not an empty frame.
    with pytest.raises(AnalysisError, match=r"^columns\('chunk'\): no such table; use one of "):
        analysis.columns("chunk")


def test_repr_and_refresh_stats(indexed: tuple[Project, Path, Analysis]) -> None:
    project, _, analysis = indexed
    assert repr(analysis).startswith(f"<codelens.Analysis of {project.id!r}, refreshed in ")
    info = analysis.sql("select * from snapshot_info")
    assert info["project_id"].tolist() == [project.id]
    assert analysis.last_refresh is not None
    assert analysis.last_refresh.chunks_copied == _pg(project, "SELECT count(*) FROM chunks")[0][0]
