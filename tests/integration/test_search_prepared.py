"""Search on one pooled connection that moves between projects: prepared statements, and
what a search leaves on the connection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from codelens import Project, Workspace
from codelens._db.estimates import estimated_chunks
from codelens._db.handle import ProjectHandle
from codelens._db.pool import Database
from codelens._search.engine import search
from codelens.errors import ProjectNotFound
from tests.fake_ollama import FakeOllama
from tests.search_helpers import Chunk, load


@pytest.fixture
def other(workspace: Workspace, project_id: str) -> Iterator[Project]:
    created = workspace.create(f"{project_id}-b", embedder="local")
    yield created
    workspace.drop(created.id, force=True)


def _ledgers(project: Project, prefix: str, count: int) -> set[str]:
    paths = [f"{prefix}/ledger_{i}.py" for i in range(count)]
    chunks = [
        Chunk(
            path,
            f"{prefix}_total_{i}",
            f"def {prefix}_total_{i}(ledger):\n    return sum(ledger)\n",
        )
        for i, path in enumerate(paths)
    ]
    load(project, chunks)
    return set(paths)


def test_one_connection_alternating_between_projects_finds_each_projects_rows_only(
    workspace: Workspace, project: Project, other: Project
) -> None:
    # A prepared statement names "chunks" as the search_path then resolved it; the server
    # must resolve it again for the next project, or one project's search reads another's.
    mine = _ledgers(project, "a", 6)
    theirs = _ledgers(other, "b", 3)
    one = Database(workspace.settings, max_size=1)
    try:
        handles = {ProjectHandle(one, project.id): mine, ProjectHandle(one, other.id): theirs}
        for _ in range(3):
            for handle, paths in handles.items():
                for mode in ("lexical", "semantic", "hybrid"):
                    found = search(handle, "sum of a ledger", mode=mode, limit=10)
                    assert set(found["path"]) == paths, (handle.id, mode)
                with one.connection(handle.schema) as conn:
                    assert estimated_chunks(conn) == len(paths)
        with one.connection() as conn:
            # What makes this test mean something: the searches ran prepared statements.
            row = conn.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()
            assert row is not None and row[0] >= 5
            # A search's read-only snapshot ends with it: the next user of the connection writes.
            assert (conn.isolation_level, conn.read_only) == (None, None)
            conn.execute("CREATE TEMP TABLE written (x int)")
    finally:
        one.close()


def test_a_project_dropped_and_made_again_wider_is_searched_right_on_the_same_connection(
    workspace: Workspace, project: Project, fake_ollama: FakeOllama, tmp_path: Path
) -> None:
    # The statements prepared for the first project meet a new table of the same name, in
    # a schema of the same name, whose vectors are 768 wide instead of 384.
    _ledgers(project, "a", 4)
    one = Database(workspace.settings, max_size=1)
    try:
        handle = ProjectHandle(one, project.id)
        for mode in ("lexical", "semantic", "hybrid"):
            assert len(search(handle, "sum of a ledger", mode=mode)) == 4
        workspace.drop(project.id, force=True)
        with pytest.raises(ProjectNotFound):
            search(handle, "sum of a ledger", mode="lexical")
        again = workspace.create(project.id, embedder="ollama")
        repo = tmp_path / "repo"
        repo.mkdir()
        (repo / "tally.py").write_text("def tally_ledger(rows):\n    return sum(rows)\n")
        again.index(repo, progress=False)
        for mode in ("lexical", "semantic", "hybrid"):
            found = search(handle, "tally the ledger", mode=mode)
            assert found["path"].tolist() == ["tally.py"], mode
    finally:
        one.close()


_SETTINGS = "SELECT name, setting, source FROM pg_settings WHERE source <> 'default' ORDER BY name"


def test_a_search_hands_its_connection_back_with_no_setting_of_its_own(
    workspace: Workspace, project: Project
) -> None:
    # Search sets the schema's search_path with its first statements and RESET ALL with
    # its last (no round trip of their own): the next user must find every setting as a
    # fresh checkout has it, after a search that ended and after one that failed.
    paths = _ledgers(project, "a", 3)
    one = Database(workspace.settings, max_size=1)
    try:
        with one.connection() as conn:
            fresh = conn.execute(_SETTINGS).fetchall()
        handle = ProjectHandle(one, project.id)
        for mode in ("lexical", "semantic", "hybrid"):
            assert set(search(handle, "sum of a ledger", mode=mode)["path"]) == paths
            with one.connection() as conn:
                assert conn.execute(_SETTINGS).fetchall() == fresh, mode
                assert project.handle.schema not in str(conn.execute("SHOW search_path").fetchone())
        workspace.drop(project.id, force=True)
        with pytest.raises(ProjectNotFound):
            search(handle, "sum of a ledger")
        with one.connection() as conn:
            assert conn.execute(_SETTINGS).fetchall() == fresh
    finally:
        one.close()
