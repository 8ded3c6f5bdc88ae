"""The DuckDB snapshot: incremental refreshes, read-only use of PostgreSQL, locks and repairs.

Most projects here are written with SQL, so that each test controls exactly what the
index holds; one test goes through the real indexer.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest
from psycopg import sql

import codelens._analysis.snapshot_file as snapshot_module
from codelens import Workspace
from codelens._analysis.analysis import Analysis
from codelens._analysis.snapshot_file import snapshot_path
from codelens._project import Project
from codelens.errors import AnalysisError, ProjectNotFound


def _load(project: Project, root: Path, files: dict[str, list[str]]) -> None:
    """Write a repository at ``root`` and index rows for it: one chunk per text given."""
    with project.connection() as conn, conn.transaction():
        row = conn.execute(
            "INSERT INTO repositories (root_path, name) VALUES (%s, %s)"
            " ON CONFLICT (root_path) DO UPDATE SET name = EXCLUDED.name RETURNING id",
            [str(root), root.name],
        ).fetchone()
        assert row is not None
        repo = row[0]
        for path, texts in files.items():
            data = "".join(texts).encode()
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_bytes(data)
            conn.execute("DELETE FROM files WHERE repository_id = %s AND path = %s", [repo, path])
            file_row = conn.execute(
                "INSERT INTO files (repository_id, path, language, size, sha256, line_count,"
                " status) VALUES (%s, %s, 'python', %s, %s, %s, 'indexed') RETURNING id",
                [repo, path, len(data), hashlib.sha256(data).hexdigest(), len(texts)],
            ).fetchone()
            assert file_row is not None
            for i, text in enumerate(texts):
                conn.execute(
                    "INSERT INTO chunks (file_id, repository_id, project_id, chunk_index, path,"
                    " kind, language, start_line, end_line, content, content_hash, token_count,"
                    " truncated, embedding) VALUES (%s, %s, %s, %s, %s, 'function', 'python',"
                    " %s, %s, %s, %s, %s, false, '[1,0,0]')",
                    [file_row[0], repo, project.id, i, path, i + 1, i + 1, text, text, len(text)],
                )


def _pg_chunks(project: Project) -> set[tuple[int, str]]:
    with project.connection() as conn:
        rows = conn.execute("SELECT id, content FROM chunks").fetchall()
        conn.rollback()
    return {(int(i), str(c)) for i, c in rows}


def _snap_chunks(analysis: Analysis) -> set[tuple[int, str]]:
    frame = analysis.sql("select id, content from chunks")
    return {(int(i), str(c)) for i, c in frame.itertuples(index=False)}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    return root


def test_refresh_copies_only_changed_files(project: Project, repo: Path) -> None:
    _load(project, repo, {"a.py": ["a1\n", "a2\n"], "b.py": ["b1\n"], "c.py": ["c1\n"]})
    analysis = Analysis(project.handle)
    first = analysis.last_refresh
    assert first is not None
    assert first.full_copy
    assert (first.chunks_copied, first.chunks_deleted) == (4, 0)
    assert _snap_chunks(analysis) == _pg_chunks(project)

    again = analysis.refresh()
    assert (again.full_copy, again.chunks_copied, again.chunks_deleted) == (False, 0, 0)

    _load(project, repo, {"a.py": ["a1\n", "a2 changed\n", "a3\n"]})  # rewritten: new ids
    with project.connection() as conn, conn.transaction():
        conn.execute("DELETE FROM files WHERE path = 'b.py'")
    (repo / "b.py").unlink()
    changed = analysis.refresh()
    assert (changed.chunks_copied, changed.chunks_deleted) == (3, 3)
    assert _snap_chunks(analysis) == _pg_chunks(project)
    assert analysis.stale().empty


def test_refresh_notices_chunks_rewritten_under_an_unchanged_file_row(
    project: Project, repo: Path
) -> None:
    _load(project, repo, {"a.py": ["one\n", "two\n"]})
    analysis = Analysis(project.handle)
    with project.connection() as conn, conn.transaction():
        conn.execute("UPDATE chunks SET content = 'rewritten' WHERE chunk_index = 0")
        # an update keeps the id: delete and insert, as the indexer does, gives a new one
        conn.execute(
            "INSERT INTO chunks (file_id, repository_id, project_id, chunk_index, path, kind,"
            " start_line, end_line, content, content_hash, token_count, truncated, embedding)"
            " SELECT file_id, repository_id, project_id, 5, path, kind, 9, 9, 'added', 'h', 1,"
            " false, embedding FROM chunks WHERE chunk_index = 0"
        )
    analysis.refresh()
    assert _snap_chunks(analysis) == _pg_chunks(project)
    with project.connection() as conn, conn.transaction():
        conn.execute("DELETE FROM chunks WHERE chunk_index = 1")
    analysis.refresh()
    assert _snap_chunks(analysis) == _pg_chunks(project)


def test_reindex_through_the_indexer(project: Project, repo: Path) -> None:
    (repo / "m.py").write_text("def f():\n    return 1\n\n\ndef g():\n    return 2\n")
    (repo / "n.py").write_text("def h():\n    return 3\n")
    project.index(repo, progress=False)
    analysis = Analysis(project.handle)
    assert _snap_chunks(analysis) == _pg_chunks(project)
    (repo / "m.py").write_text("def f():\n    return 10\n\n\ndef g():\n    return 2\n")
    assert analysis.refresh().chunks_copied == 0  # the index has not changed yet
    assert analysis.stale()["path"].tolist() == ["m.py"]
    project.index(repo, progress=False)
    stats = analysis.refresh()
    with project.connection() as conn:
        row = conn.execute(
            "SELECT count(*) FROM chunks c JOIN files f ON f.id = c.file_id WHERE f.path = 'm.py'"
        ).fetchone()
        conn.rollback()
    assert row is not None
    assert stats.chunks_copied == row[0]
    assert _snap_chunks(analysis) == _pg_chunks(project)
    assert analysis.stale().empty
    history = analysis.history()
    assert (history["added"].sum(), history["modified"].sum()) == (2, 1)


def _fingerprint(project: Project) -> dict[str, Any]:
    """Everything a write could change: each table's rows and row versions, and the tables."""
    found: dict[str, Any] = {}
    with project.workspace.db.connection() as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s AND c.relkind = 'r' ORDER BY 1",
                [project.schema],
            )
        ]
        found["relations"] = conn.execute(
            "SELECT relname, relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname IN (%s, 'codelens') ORDER BY 1",
            [project.schema],
        ).fetchall()
        tables = [sql.Identifier(project.schema, n) for n in names]
        for table in [*tables, sql.Identifier("codelens", "projects")]:
            found[table.as_string(conn)] = conn.execute(
                sql.SQL(
                    "SELECT count(*), max(xmin::text::bigint), sum(hashtext(t::text)) FROM {} AS t"
                ).format(table)
            ).fetchone()
        conn.rollback()
    return found


def test_nothing_is_written_to_postgresql(project: Project, repo: Path) -> None:
    _load(project, repo, {"a.py": ["a\n"], "b.py": ["b\n"]})
    (repo / "new.py").write_text("x = 1\n")
    before = _fingerprint(project)
    analysis = Analysis(project.handle)
    analysis.refresh()
    analysis.coverage()
    analysis.chunk_stats()
    analysis.stats()
    analysis.stale()
    analysis.history()
    analysis.largest()
    Analysis(project.handle)
    assert _fingerprint(project) == before


def test_two_analyses_and_another_process_share_the_snapshot(
    project: Project, repo: Path, workspace: Workspace
) -> None:
    _load(project, repo, {"a.py": ["a\n", "b\n"]})
    one = Analysis(project.handle)
    two = Analysis(project.handle)  # refreshes the same file while ``one`` is alive
    assert one.sql("select count(*) as n from chunks")["n"].tolist() == [2]
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from codelens import Settings, Workspace\n"
        "from codelens._analysis.analysis import Analysis\n"
        "settings = Settings(home=Path(sys.argv[1]), database_url=sys.argv[3] or None)\n"
        "ws = Workspace(settings)\n"
        "a = Analysis(ws.get(sys.argv[2]).handle)\n"
        "print(int(a.sql('select count(*) as n from chunks')['n'].iloc[0]))\n"
        "ws.close()\n"
    )
    settings = workspace.settings
    out = subprocess.run(
        [sys.executable, "-c", script, str(settings.home), project.id, settings.database_url or ""],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "2"
    two.refresh()
    assert one.chunk_stats()["chunks"].iloc[-1] == 2


def test_a_held_connection_delays_a_refresh_until_released(
    project: Project, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _load(project, repo, {"a.py": ["a\n"]})
    analysis = Analysis(project.handle)
    monkeypatch.setattr(snapshot_module, "LOCK_TIMEOUT", 0.3)
    with analysis.connection(), pytest.raises(AnalysisError, match="stayed busy"):
        analysis.refresh()
    monkeypatch.setattr(snapshot_module, "LOCK_TIMEOUT", 30.0)
    done = threading.Event()
    with analysis.connection():
        worker = threading.Thread(target=lambda: (analysis.refresh(), done.set()))
        worker.start()
        time.sleep(0.3)
        assert not done.is_set()
    worker.join(30)
    assert done.is_set()


def test_a_recreated_project_starts_a_fresh_snapshot(
    workspace: Workspace, project: Project, repo: Path
) -> None:
    _load(project, repo, {"a.py": ["old\n"]})
    Analysis(project.handle)
    workspace.drop(project.id, force=True)
    again = workspace.create(project.id)
    _load(again, repo, {"b.py": ["new\n"]})
    analysis = Analysis(again.handle)
    assert analysis.last_refresh is not None
    assert analysis.last_refresh.full_copy
    assert analysis.sql("select path, content from chunks").values.tolist() == [["b.py", "new\n"]]


def test_an_unreadable_or_outdated_snapshot_is_rebuilt(project: Project, repo: Path) -> None:
    _load(project, repo, {"a.py": ["a\n"]})
    path = snapshot_path(project.handle)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a duckdb file" * 100)
    analysis = Analysis(project.handle)
    assert _snap_chunks(analysis) == _pg_chunks(project)
    con = duckdb.connect(str(path))
    con.execute("UPDATE _meta SET schema_version = 0")
    con.execute("DROP TABLE chunks")
    con.close()
    assert analysis.refresh().full_copy
    assert _snap_chunks(analysis) == _pg_chunks(project)


def test_refresh_false_reads_the_existing_snapshot(project: Project, repo: Path) -> None:
    with pytest.raises(AnalysisError, match="no analysis snapshot yet"):
        Analysis(project.handle, refresh=False)
    _load(project, repo, {"a.py": ["a\n"]})
    Analysis(project.handle)
    _load(project, repo, {"b.py": ["b\n"]})
    stale = Analysis(project.handle, refresh=False)
    assert stale.last_refresh is None
    assert repr(stale) == f"<codelens.Analysis of {project.id!r}>"
    assert stale.sql("select path from files")["path"].tolist() == ["a.py"]


def test_a_missing_root_counts_its_files_as_deleted(project: Project, repo: Path) -> None:
    _load(project, repo, {"a.py": ["a\n"], "pkg/b.py": ["b\n"]})
    (repo / "a.py").unlink()
    (repo / "pkg" / "b.py").unlink()
    (repo / "pkg").rmdir()
    repo.rmdir()
    analysis = Analysis(project.handle)
    assert analysis.sql("select on_disk from repositories")["on_disk"].tolist() == [False]
    row = analysis.coverage(by="repository").iloc[0]
    assert (row["on_disk"], row["deleted"], row["stale"]) == (0, 2, 0)
    assert sorted(analysis.stale()["change"]) == ["deleted", "deleted"]


def test_an_empty_project(project: Project) -> None:
    from matplotlib.figure import Figure

    analysis = Analysis(project.handle)
    assert analysis.coverage().empty
    assert "skipped_binary" in analysis.coverage().columns
    stats = analysis.chunk_stats()
    assert stats[["language", "kind", "chunks"]].values.tolist() == [["(all)", "(all)", 0]]
    headline = analysis.stats()
    assert headline["repository"].tolist() == ["(all)"]
    assert headline["chunks"].tolist() == [0]
    assert analysis.history().empty
    assert analysis.largest().empty
    for figure in (analysis.plot.coverage(), analysis.plot.chunk_sizes(), analysis.plot.history()):
        assert isinstance(figure, Figure)


def test_a_dropped_project_or_a_blocked_file_is_a_one_line_error(
    workspace: Workspace, project: Project, tmp_path: Path
) -> None:
    path = snapshot_path(project.handle)
    path.mkdir(parents=True)  # a folder where the file should be
    with pytest.raises(AnalysisError, match="cannot open the analysis snapshot") as caught:
        Analysis(project.handle)
    assert "\n" not in str(caught.value)
    path.rmdir()
    workspace.drop(project.id, force=True)
    with pytest.raises(ProjectNotFound, match="was dropped"):
        Analysis(project.handle)


def test_many_groups_are_summed_in_the_coverage_plot(project: Project, repo: Path) -> None:
    _load(project, repo, {f"d{i:02}/m.py": ["x\n"] for i in range(20)})
    analysis = Analysis(project.handle)
    assert analysis.sql("-- only a comment").empty
    figure = analysis.plot.coverage(by="directory")
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert len(labels) == 16
    assert labels[-1] == "(other)"
    bars = figure.axes[0].patches[:16]  # the "indexed" segment of each bar
    assert [b.get_width() for b in bars] == [1] * 15 + [5]
