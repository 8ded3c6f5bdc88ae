"""Projects: create, list, switch, drop; one schema each, exactly as the registry says."""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg
import pytest

import codelens
from codelens import Project, Workspace
from codelens._db.migrations import latest, migrate_project, migrations
from codelens._db.pool import Database
from codelens.errors import (
    CodelensError,
    ConfigError,
    InvalidProjectId,
    ProjectExists,
    ProjectNotFound,
)
from tests.fake_ollama import FakeOllama


def _schemas(ws: Workspace) -> set[str]:
    with ws.db.connection() as conn:
        rows = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'project\\_%'")
        return {r[0] for r in rows}


def _registry(ws: Workspace) -> set[str]:
    with ws.db.connection() as conn:
        return {r[0] for r in conn.execute("SELECT schema_name FROM codelens.projects")}


def test_create_list_use_and_drop(workspace: Workspace, project_id: str) -> None:
    created = workspace.create(project_id, description="the payments service")
    try:
        assert isinstance(created, Project) and created.schema == "project_" + project_id.replace(
            "-", "_"
        )
        listed = workspace.projects()
        assert isinstance(listed, pd.DataFrame)
        row = listed.set_index("id").loc[project_id]
        assert row["description"] == "the payments service"
        assert (row["repositories"], row["files"], row["chunks"]) == (0, 0, 0)
        assert _schemas(workspace) == _registry(workspace)
        assert workspace.use(project_id) == created
        assert workspace.current == created and workspace.current_id == project_id
        assert workspace.resolve(None) == created
        with pytest.raises(ProjectExists, match="exists already"):
            workspace.create(project_id)
        assert workspace.create(project_id, exist_ok=True) == created
    finally:
        workspace.drop(project_id, force=True)
    assert project_id not in workspace.ids()
    assert _schemas(workspace) == _registry(workspace)
    with pytest.raises(CodelensError, match="no current project"):
        _ = workspace.current


def test_project_opens_or_creates_and_get_is_strict(workspace: Workspace, project_id: str) -> None:
    with pytest.raises(ProjectNotFound, match="create_project"):
        workspace.get(project_id)
    with pytest.raises(ProjectNotFound):
        workspace.use(project_id)
    opened = workspace.project(project_id)  # auto-provisioned on first use
    try:
        assert workspace.exists(project_id)
        assert workspace.project(project_id) == opened
        assert opened.schema in _schemas(workspace)
        assert opened.info()["id"] == project_id
    finally:
        workspace.drop(project_id, force=True)
    with pytest.raises(ProjectNotFound, match="dropped"):
        opened.info()
    with pytest.raises(ProjectNotFound, match="no project"):
        workspace.drop(project_id, force=True)


def test_drop_asks_first_in_interactive_use(
    workspace: Workspace, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not interactive (no tty, no IPython): refuse without force.
    with pytest.raises(CodelensError, match="force=True"):
        workspace.drop(project.id)
    assert workspace.exists(project.id)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    answers = iter(["n", "yes"])
    monkeypatch.setattr(builtins, "input", lambda prompt: next(answers))
    with pytest.raises(CodelensError, match="not dropped"):
        workspace.drop(project.id)
    assert workspace.exists(project.id)
    workspace.drop(project.id)
    assert not workspace.exists(project.id)


def test_drop_without_a_way_to_answer_is_refused(
    workspace: Workspace, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_stdin(prompt: str) -> str:
        raise EOFError

    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr(builtins, "input", no_stdin)
    with pytest.raises(CodelensError, match="pass force=True"):
        workspace.drop(project.id)
    assert workspace.exists(project.id)


def test_rows_of_one_project_are_invisible_from_another(workspace: Workspace) -> None:
    a = workspace.create("iso-a", exist_ok=True)
    b = workspace.create("iso-b", exist_ok=True)
    try:
        with a.connection() as conn:
            conn.execute("INSERT INTO repositories (root_path, name) VALUES ('/a', 'only-in-a')")
        assert a.repositories()["name"].tolist() == ["only-in-a"]
        assert b.repositories().empty
        assert b.counts()["repositories"] == 0
        with b.connection() as conn:
            assert conn.execute("SELECT count(*) FROM repositories").fetchone() == (0,)
        # defence in depth: a chunk row naming another project is refused by the schema
        with a.connection() as conn:
            conn.execute(
                "INSERT INTO files (repository_id, path, size, status) VALUES (1, 'x', 0, 'indexed')"
            )
            with pytest.raises(psycopg.errors.CheckViolation):
                conn.execute(
                    "INSERT INTO chunks (file_id, repository_id, project_id, chunk_index, path,"
                    " kind, start_line, end_line, content, content_hash, token_count, truncated,"
                    " embedding)"
                    " VALUES (1, 1, 'iso-b', 0, 'x', 'module', 1, 1, '', '', 0, false, '[1,2,3]')"
                )
    finally:
        workspace.drop("iso-a", force=True)
        workspace.drop("iso-b", force=True)


def test_a_connection_handed_back_in_a_failed_transaction_is_reset_all_the_same(
    workspace: Workspace, project: Project
) -> None:
    # A caller that swallowed an error left the transaction failed: the reset must still
    # run, or the next user of the connection reads this project's tables unqualified.
    one = Database(workspace.settings, max_size=1)
    try:
        with (
            one.connection(project.handle.schema) as conn,
            contextlib.suppress(psycopg.errors.UndefinedTable),
        ):
            conn.execute("SELECT FROM no_such_table")
        with one.connection() as conn:
            row = conn.execute("SHOW search_path").fetchone()
        assert row is not None and project.handle.schema not in row[0]
    finally:
        one.close()


def test_migrations_upgrade_an_old_project_and_keep_its_data(
    workspace: Workspace, project_id: str
) -> None:
    with workspace.db.connection() as conn, conn.transaction():
        conn.execute(
            "INSERT INTO codelens.projects (id, schema_name) VALUES (%s, %s)",
            [project_id, "project_" + project_id.replace("-", "_")],
        )
        assert migrate_project(conn, project_id, upto=1) == [1]
        conn.execute(
            psycopg.sql.SQL("INSERT INTO {} (root_path, name) VALUES ('/old', 'old')").format(
                psycopg.sql.Identifier("project_" + project_id.replace("-", "_"), "repositories")
            )
        )
    try:
        project = workspace.get(project_id)  # migrated on first use
        with project.connection() as conn:
            versions = [
                r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")
            ]
            assert versions == list(range(1, latest("project") + 1))
            assert conn.execute("SELECT count(*) FROM index_runs").fetchone() == (0,)
        assert project.repositories()["name"].tolist() == ["old"]
        with workspace.db.connection() as conn:
            assert migrate_project(conn, project_id) == []  # idempotent
    finally:
        workspace.drop(project_id, force=True)


def test_migration_files_are_numbered_without_gaps() -> None:
    for kind in ("registry", "project"):
        found = migrations(kind)
        assert [m.version for m in found] == list(range(1, len(found) + 1))


def test_concurrent_creation_of_one_project_gives_one_schema(
    workspace: Workspace, project_id: str
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def attempt(_: int) -> str:
        try:
            workspace.create(project_id)
            return "created"
        except ProjectExists:
            return "exists"

    with ThreadPoolExecutor(4) as pool:
        outcomes = sorted(pool.map(attempt, range(4)))
    try:
        assert outcomes == ["created", "exists", "exists", "exists"]
        assert _schemas(workspace) == _registry(workspace)
    finally:
        workspace.drop(project_id, force=True)


PUBLIC_CALLS: list[tuple[str, Callable[[Workspace, str], Any]]] = [
    ("create", lambda ws, pid: ws.create(pid)),
    ("create again", lambda ws, pid: ws.create(pid)),
    ("get", lambda ws, pid: ws.get(pid)),
    ("get missing", lambda ws, pid: ws.get(pid + "-missing")),
    ("get invalid", lambda ws, pid: ws.get("Bad Id")),
    ("project", lambda ws, pid: ws.project(pid)),
    ("projects", lambda ws, pid: ws.projects()),
    ("ids", lambda ws, pid: ws.ids()),
    ("exists", lambda ws, pid: ws.exists(pid)),
    ("use", lambda ws, pid: ws.use(pid)),
    ("info", lambda ws, pid: ws.get(pid).info()),
    ("repositories", lambda ws, pid: ws.get(pid).repositories()),
    ("counts", lambda ws, pid: ws.get(pid).counts()),
    ("index missing folder", lambda ws, pid: ws.get(pid).index("/nonexistent/x", progress=False)),
    ("embedder before index", lambda ws, pid: ws.get(pid).embedder()),
    ("drop without force", lambda ws, pid: ws.drop(pid)),
    ("drop", lambda ws, pid: ws.drop(pid, force=True)),
    ("drop again", lambda ws, pid: ws.drop(pid, force=True)),
]


def test_no_public_call_leaks_a_connection(workspace: Workspace, project_id: str) -> None:
    for label, call in PUBLIC_CALLS:
        with contextlib.suppress(CodelensError):
            call(workspace, project_id)
        assert workspace.db.idle(), f"{label} left a connection checked out"


def test_module_level_api_uses_the_default_workspace(workspace: Workspace, project_id: str) -> None:
    previous = codelens.workspace()
    codelens.workspace(workspace)
    try:
        created = codelens.create_project(project_id, description="via module")
        assert project_id in codelens.projects()["id"].tolist()
        assert codelens.project(project_id) == created
        assert codelens.use(project_id) == created
        assert codelens.current_project() == created
        assert codelens.project() == created
        codelens.drop_project(project_id, force=True)
        assert not workspace.exists(project_id)
        with pytest.raises(InvalidProjectId):
            codelens.project("NOT VALID")
    finally:
        codelens.workspace(previous)


def test_workspace_repr_says_which_server(workspace: Workspace) -> None:
    text = repr(workspace)
    assert "embedded" in text or "external" in text
    assert str(workspace.settings.home) in text


def test_create_exist_ok_migrates_a_row_an_older_codelens_registered(
    workspace: Workspace, project_id: str
) -> None:
    # Another process, with an older codelens, registered the project first (the race
    # create(exist_ok=True) loses): its schema is at version 1.
    with workspace.db.connection() as conn, conn.transaction():
        conn.execute(
            "INSERT INTO codelens.projects (id, schema_name) VALUES (%s, %s)",
            [project_id, "project_" + project_id.replace("-", "_")],
        )
        assert migrate_project(conn, project_id, upto=1) == [1]
    try:
        project = workspace.create(project_id, exist_ok=True)
        with project.connection() as conn:
            versions = [
                r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")
            ]
        assert versions == list(range(1, latest("project") + 1))
        assert project.counts()["chunks"] == 0
    finally:
        workspace.drop(project_id, force=True)


def test_the_workspaces_embedder_setting_picks_the_model_of_new_projects(
    settings: codelens.Settings, project_id: str, fake_ollama: FakeOllama, tmp_path: Path
) -> None:
    # Ollama answers with its default model, so the default rule would pick it: the setting
    # must win over the rule.
    (tmp_path / "retry.py").write_text("def retry(charge):\n    return charge()\n")
    chosen = dataclasses.replace(settings, embedder="local")
    ws = Workspace(chosen)
    try:
        report = ws.create(project_id).index(tmp_path, progress=False)
        assert report.files_indexed == 1
        assert ws.get(project_id).info()["embedding_model"] == "local:all-MiniLM-L6-v2"
        assert fake_ollama.embed_bodies() == []
    finally:
        ws.drop(project_id, force=True)
        ws.close()


_UNKNOWN_TFIDF = (
    "unknown embedder 'tfidf': use 'local', 'local:all-MiniLM-L6-v2', 'onnx', 'static',"
    " 'ollama' or 'ollama:<model>'"
)


def test_an_unknown_embedder_is_refused_at_create_and_registers_nothing(
    settings: codelens.Settings, workspace: Workspace, project_id: str
) -> None:
    before = (workspace.ids(), _schemas(workspace))
    with pytest.raises(ConfigError) as raised:
        workspace.create(project_id, embedder="tfidf")
    assert str(raised.value) == _UNKNOWN_TFIDF
    previous = codelens.workspace()
    codelens.workspace(workspace)
    try:
        with pytest.raises(ConfigError) as raised:
            codelens.create_project(project_id, embedder="tfidf")
        assert str(raised.value) == _UNKNOWN_TFIDF
    finally:
        codelens.workspace(previous)
    # CODELENS_EMBEDDER, read into Settings.embedder: refused the same way at create, also
    # where a project is created on first use.
    env_ws = Workspace(dataclasses.replace(settings, embedder="tfidf"))
    try:
        with pytest.raises(ConfigError) as raised:
            env_ws.create(project_id)
        with pytest.raises(ConfigError, match=r"^unknown embedder 'tfidf' in CODELENS_EMBEDDER"):
            env_ws.project(project_id)
        assert str(raised.value) == (
            "unknown embedder 'tfidf' in CODELENS_EMBEDDER: use 'local',"
            " 'local:all-MiniLM-L6-v2', 'onnx', 'static', 'ollama' or 'ollama:<model>'"
        )
    finally:
        env_ws.close()
    assert (workspace.ids(), _schemas(workspace)) == before
