"""A team's server: PostgreSQL over TCP with scram-sha-256 and TLS (verify-full), an admin
that is no superuser, a reader and a writer, each front end connecting with its own role.

Access per project is PostgreSQL's own (schema and table grants, row security on the
registry): the checks below also go around codelens, with raw SQL over the role's connection.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from IPython.core.interactiveshell import InteractiveShell
from mcp import Client

from codelens import Settings, Workspace
from codelens._cli import ExitCode, main
from codelens._mcp.jobs import JobManager
from codelens._mcp.roots import AllowedRoots
from codelens._mcp.server import build_server
from codelens._notebook.magics import (
    CodelensMagics,
    load_ipython_extension,
    unload_ipython_extension,
)
from codelens.errors import (
    AccessDenied,
    DatabaseError,
    MissingExtension,
    ProjectExists,
    ProjectNotFound,
)
from tests.mcp_helpers import make_repo, payload, poll_job, run, text_of
from tests.team_server import PASSWORDS, PlainServer, TeamServer, debian_postgres, free_port

QUERY = "sum the line items of an invoice with tax"


@pytest.fixture(scope="session")
def team() -> Iterator[TeamServer]:
    server = TeamServer.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("team-home")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("team-repo") / "shop")


def _workspace(team: TeamServer, home: Path, role: str) -> Workspace:
    return Workspace(Settings(home=home, database_url=team.url(role)))


@pytest.fixture(scope="module")
def admin(team: TeamServer, home: Path) -> Iterator[Workspace]:
    ws = _workspace(team, home, "codelens_admin")
    yield ws
    ws.close()


@pytest.fixture
def reader(team: TeamServer, home: Path) -> Iterator[Workspace]:
    ws = _workspace(team, home, "reader")
    yield ws
    ws.close()


@pytest.fixture
def writer(team: TeamServer, home: Path) -> Iterator[Workspace]:
    ws = _workspace(team, home, "writer")
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def shared(admin: Workspace, repo: Path) -> Iterator[str]:
    """A project the admin created and indexed, which the reader may read."""
    name = f"team-{uuid.uuid4().hex[:8]}"
    admin.create(name, embedder="local").index(repo, progress=False)
    admin.grant(name, "reader")
    yield name
    admin.drop(name, force=True)


@pytest.fixture
def fresh(admin: Workspace) -> Iterator[str]:
    """An empty project of the admin's, granted to nobody yet."""
    name = f"team-{uuid.uuid4().hex[:8]}"
    admin.create(name, embedder="local")
    yield name
    if admin.exists(name):
        admin.drop(name, force=True)


def _one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(exc.value)
    assert "\n" not in text and all(pw not in text for pw in PASSWORDS.values())
    return text


# -- API --------------------------------------------------------------------------------


def test_each_role_does_what_it_was_granted_over_verified_tls(
    team: TeamServer,
    admin: Workspace,
    reader: Workspace,
    writer: Workspace,
    shared: str,
    fresh: str,
    repo: Path,
) -> None:
    admin.grant(fresh, "writer", write=True)
    # The writer indexes a project it does not own from scratch: its model and HNSW index
    # are set through the registry's functions, which only the owner could do directly.
    report = writer.get(fresh).index(repo, progress=False)
    assert report.files_failed == 0 and report.chunks_added > 0
    assert writer.get(fresh).search(QUERY, limit=1)["symbol"].iloc[0] == "compute_invoice_total"
    assert writer.get(fresh).info()["embedding_dimensions"] == 384

    # The reader sees and searches what it was granted, and nothing else.
    assert reader.ids() == [shared]
    assert list(reader.projects()["id"]) == [shared]
    found = reader.get(shared).search(QUERY, limit=1)
    assert found["symbol"].iloc[0] == "compute_invoice_total"
    for mode in ("lexical", "semantic"):
        assert not reader.get(shared).search("invoice", mode=mode, limit=3).empty
    chunks = reader.get(shared).analyze().sql("SELECT count(*) AS n FROM chunks")
    assert chunks["n"].iloc[0] == reader.get(shared).counts()["chunks"] > 0
    with pytest.raises(ProjectNotFound) as hidden:
        reader.get(fresh)
    with pytest.raises(ProjectNotFound) as missing:
        reader.get("team-no-such-project")
    assert _one_line(hidden).replace(fresh, "X") == _one_line(missing).replace(
        "team-no-such-project", "X"
    )

    # Writes are refused in one line that names the grant.
    with pytest.raises(AccessDenied) as refused:
        reader.get(shared).index(repo, progress=False, force=True)
    assert f"codelens grant {shared} --write reader" in _one_line(refused)
    shared_repository = str(reader.get(shared).repositories()["name"].iloc[0])
    with pytest.raises(AccessDenied) as refused:
        reader.get(shared).drop_repository(shared_repository)
    assert f"codelens grant {shared} --write reader" in _one_line(refused)
    assert list(reader.get(shared).repositories()["name"]) == [shared_repository]
    with pytest.raises(AccessDenied, match="only the owner"):
        reader.drop(shared, force=True)
    with pytest.raises(AccessDenied, match="only the owner") as not_owner:
        writer.grant(fresh, "reader")
    assert "codelens_admin" in _one_line(not_owner)
    with pytest.raises(AccessDenied, match="cannot create project"):
        reader.create("team-by-reader")

    assert reader.access()[["project", "role", "access"]].values.tolist() == [
        [shared, "codelens_admin", "owner"],
        [shared, "reader", "read"],
    ]
    access = admin.access(fresh)
    assert access[["role", "access"]].values.tolist() == [
        ["codelens_admin", "owner"],
        ["writer", "write"],
    ]
    assert "TLS)" in reader.server_status() and "no TLS" not in str(reader.server_status())


def test_raw_sql_as_the_reader_cannot_read_another_project(
    team: TeamServer, shared: str, fresh: str, admin: Workspace, repo: Path
) -> None:
    admin.get(fresh).index(repo, progress=False)
    other = f"project_{fresh.replace('-', '_')}"
    with psycopg.connect(team.url("reader"), autocommit=True) as conn:
        assert conn.pgconn.ssl_in_use
        rows = conn.execute("SELECT id FROM codelens.projects").fetchall()
        assert rows == [(shared,)]
        mine = conn.execute(
            psycopg.sql.SQL("SELECT count(*) FROM {}").format(
                psycopg.sql.Identifier(f"project_{shared.replace('-', '_')}", "chunks")
            )
        ).fetchone()
        assert mine is not None and mine[0] > 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                psycopg.sql.SQL("SELECT content FROM {}").format(
                    psycopg.sql.Identifier(other, "chunks")
                )
            )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                psycopg.sql.SQL("INSERT INTO {} (name, root_path) VALUES ('x', '/x')").format(
                    psycopg.sql.Identifier(f"project_{shared.replace('-', '_')}", "repositories")
                )
            )
        # Around codelens: the registry's functions check the caller's own grants.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT codelens.type_embeddings(%s, 3)", [other])


def test_a_revoked_grant_takes_effect_on_the_next_call(
    admin: Workspace, reader: Workspace, writer: Workspace, fresh: str, repo: Path
) -> None:
    admin.grant(fresh, "writer", write=True)
    admin.grant(fresh, "reader")
    project = writer.get(fresh)
    project.index(repo, progress=False)
    held = reader.get(fresh)
    assert not held.search("invoice", mode="lexical").empty

    admin.revoke(fresh, "writer", write=True)
    with pytest.raises(AccessDenied, match="--write writer"):
        project.index(repo, progress=False, force=True)
    assert not project.search("invoice", mode="lexical").empty  # it still reads

    admin.revoke(fresh, "reader")
    assert fresh not in reader.ids()
    with pytest.raises(ProjectNotFound):
        held.search("invoice", mode="lexical")
    assert list(admin.access(fresh)["role"]) == ["codelens_admin", "writer"]


def test_a_project_awaiting_a_migration_tells_a_reader_who_upgrades_it(
    team: TeamServer, admin: Workspace, reader: Workspace, fresh: str
) -> None:
    admin.grant(fresh, "reader")
    schema = f"project_{fresh.replace('-', '_')}"
    # As after an upgrade of codelens whose newest project migration has not run here yet.
    with team.superuser("codelens") as conn:
        conn.execute(
            psycopg.sql.SQL("DELETE FROM {} WHERE version = (SELECT max(version) FROM {})").format(
                psycopg.sql.Identifier(schema, "schema_migrations"),
                psycopg.sql.Identifier(schema, "schema_migrations"),
            )
        )
    with pytest.raises(AccessDenied) as refused:
        reader.get(fresh)
    assert "the project's owner upgrades it by running `codelens status -p" in _one_line(refused)


# -- CLI, magics, MCP -------------------------------------------------------------------


def _cli(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    team: TeamServer,
    home: Path,
    role: str,
    *argv: str,
) -> tuple[int, str, str]:
    monkeypatch.setenv("CODELENS_HOME", str(home))
    monkeypatch.setenv("CODELENS_DATABASE_URL", team.url(role))
    monkeypatch.setenv("CODELENS_EMBEDDER", "local")
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert all(pw not in out + err for pw in PASSWORDS.values())
    return code, out, err


def test_cli_grants_indexes_and_searches_with_each_role(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    team: TeamServer,
    home: Path,
    fresh: str,
    repo: Path,
) -> None:
    def cli(role: str, *argv: str) -> tuple[int, str, str]:
        return _cli(monkeypatch, capsys, team, home, role, *argv)

    assert cli("codelens_admin", "grant", fresh, "--write", "writer")[0] == ExitCode.OK
    assert cli("codelens_admin", "grant", fresh, "--read", "reader")[0] == ExitCode.OK
    code, out, _ = cli("writer", "index", str(repo), "-p", fresh, "-q")
    assert code == ExitCode.OK, out
    code, out, _ = cli("reader", "search", QUERY, "-p", fresh, "-k", "1")
    assert code == ExitCode.OK and "compute_invoice_total" in out
    code, out, _ = cli("reader", "status", "-p", fresh)
    assert "access: reader, read (owner codelens_admin)" in out
    assert f"postgresql://reader@127.0.0.1:{team.proxy.port}/codelens (TLS)" in out
    assert "access: codelens_admin, owner" in cli("codelens_admin", "status", "-p", fresh)[1]
    code, out, _ = cli("reader", "db", "status")
    assert (
        f"external PostgreSQL at postgresql://reader@127.0.0.1:{team.proxy.port}/codelens " in out
    )
    code, out, _ = cli("reader", "access", fresh)
    assert code == ExitCode.OK and out.split()[3:] == [
        fresh, "codelens_admin", "owner", fresh, "reader", "read", fresh, "writer", "write"
    ]  # fmt: skip

    code, _, err = cli("reader", "index", str(repo), "-p", fresh, "-q", "--force")
    assert code == ExitCode.ERROR and err.count("\n") == 1
    assert f"`codelens grant {fresh} --write reader`" in err
    code, _, err = cli("reader", "grant", fresh, "--read", "outsider")
    assert code == ExitCode.ERROR and "only the owner" in err
    code, _, err = cli("codelens_admin", "grant", fresh, "--read", "nobody-here")
    assert code == ExitCode.ERROR and "no role 'nobody-here'" in err

    assert cli("codelens_admin", "revoke", fresh, "reader")[0] == ExitCode.OK
    code, out, _ = cli("reader", "projects")
    assert fresh not in out
    code, _, err = cli("reader", "search", QUERY, "-p", fresh)
    assert code == ExitCode.ERROR and f"no project {fresh!r}" in err


def test_magics_show_the_role_and_its_access(
    team: TeamServer,
    reader: Workspace,
    shared: str,
    repo: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shell = InteractiveShell.instance()
    load_ipython_extension(shell)
    magics = shell.magics_manager.registry["CodelensMagics"]
    assert isinstance(magics, CodelensMagics)
    magics.workspace = reader
    try:
        assert shell.run_cell(f"%codelens use {shared}").success
        assert shell.run_cell("%codelens status").success
        out = capsys.readouterr().out
        assert "access: reader, read (owner codelens_admin)" in out
        assert f"postgresql://reader@127.0.0.1:{team.proxy.port}/codelens (TLS)" in out
        result = shell.run_cell(f"%codesearch {QUERY}")
        assert result.success and "compute_invoice_total" in str(result.result)
        result = shell.run_cell("%codelens projects")
        assert list(result.result["id"]) == [shared]
        result = shell.run_cell(f"%codelens index {repo} --force")
        assert isinstance(result.error_in_exec, AccessDenied)
        assert all(pw not in capsys.readouterr().out for pw in PASSWORDS.values())
    finally:
        unload_ipython_extension(shell)


def test_mcp_tools_use_the_servers_role(
    admin: Workspace, reader: Workspace, writer: Workspace, shared: str, fresh: str, tmp_path: Path
) -> None:
    admin.grant(fresh, "writer", write=True)
    jobs = JobManager(reader)
    server = build_server(reader, AllowedRoots([tmp_path]), jobs)
    writer_jobs = JobManager(writer)
    writer_server = build_server(writer, AllowedRoots([tmp_path]), writer_jobs)
    repo = make_repo(tmp_path / "shop")

    async def session() -> None:
        async with Client(writer_server) as client:
            started = payload(
                await client.call_tool(
                    "index_repository", {"repo_path": str(repo), "project_id": fresh}
                )
            )
            status, _ = await poll_job(client, started["job_id"], timeout=120)
            assert status["state"] == "completed", status
            listed = payload(await client.call_tool("list_projects", {}))
            assert [p["id"] for p in listed["projects"]] == [fresh]
        async with Client(server) as client:
            listed = payload(await client.call_tool("list_projects", {}))
            assert [p["id"] for p in listed["projects"]] == [shared]
            found = payload(
                await client.call_tool(
                    "search_code", {"query": QUERY, "project_id": shared, "limit": 1}
                )
            )
            assert "compute_invoice_total" in str(found)
            hidden = await client.call_tool(
                "search_code", {"query": QUERY, "project_id": fresh, "limit": 1}
            )
            assert hidden.is_error and f"no project {fresh!r}" in text_of(hidden)
            started = payload(
                await client.call_tool(
                    "index_repository", {"repo_path": str(repo), "project_id": shared}
                )
            )
            status, _ = await poll_job(client, started["job_id"], timeout=60)
            assert status["state"] == "failed"
            assert f"codelens grant {shared} --write reader" in str(status)

    try:
        run(session)
    finally:
        jobs.shutdown()
        writer_jobs.shutdown()


# -- connecting: libpq's conventions, and what goes wrong -------------------------------


def test_a_service_file_and_pgpass_connect_without_a_password_in_the_url(
    team: TeamServer, home: Path, shared: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = tmp_path / "pg_service.conf"
    services.write_text(
        f"[codelens-team]\nhost=127.0.0.1\nport={team.proxy.port}\ndbname=codelens\nuser=reader\n"
    )
    # TLS from libpq's own variables: the proxy accepts no connection without it.
    monkeypatch.setenv("PGSSLMODE", "verify-full")
    monkeypatch.setenv("PGSSLROOTCERT", str(team.certificates.ca))
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:{team.proxy.port}:codelens:reader:{PASSWORDS['reader']}\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    ws = Workspace(Settings(home=home, database_url="service=codelens-team"))
    try:
        assert ws.ids() == [shared]
        assert "service=codelens-team" in repr(ws)
        assert f"postgresql://reader@127.0.0.1:{team.proxy.port}/codelens (TLS)" in str(
            ws.server_status()
        )
    finally:
        ws.close()
    # The variables are what libpq reads: without the CA file, verify-full cannot verify.
    monkeypatch.setenv("PGSSLROOTCERT", str(tmp_path / "no-such-ca.crt"))
    no_ca = _refusal("service=codelens-team", home)
    assert "root certificate file" in no_ca and "set sslrootcert (or PGSSLROOTCERT)" in no_ca


def _refusal(url: str, home: Path, error: type[Exception] = DatabaseError) -> str:
    ws = Workspace(Settings(home=home, database_url=url))
    try:
        with pytest.raises(error) as failed:
            ws.ids()
        assert PASSWORDS["reader"] not in repr(ws) and "wrong-pw" not in repr(ws)
        return _one_line(failed)
    finally:
        ws.close()


def test_each_bad_connection_is_one_line_that_names_its_fix(team: TeamServer, home: Path) -> None:
    wrong = _refusal(team.url("reader", password="wrong-pw"), home)
    assert "password authentication failed" in wrong and "~/.pgpass" in wrong
    assert "wrong-pw" not in wrong

    port = free_port()
    unreachable = _refusal(team.url("reader").replace(str(team.proxy.port), str(port)), home)
    assert "Connection refused" in unreachable and "check that PostgreSQL runs" in unreachable

    expired = _refusal(team.url("reader", port=team.expired_proxy.port), home)
    assert "certificate verify failed" in expired and "renew the server's certificate" in expired

    # verify-full checks the name too: the certificate names 127.0.0.1, not localhost.
    by_name = team.url("reader").replace("@127.0.0.1:", "@localhost:")
    assert "names another host" in _refusal(by_name, home)

    # A database whose owner never created the extension, which only a superuser may.
    bare = _refusal(team.url("codelens_admin", dbname="bare"), home, MissingExtension)
    assert "CREATE EXTENSION vector" in bare


@pytest.mark.skipif(debian_postgres() is None, reason="no PostgreSQL without pgvector here")
def test_a_server_without_pgvector_is_one_line_that_says_how_to_install_it(home: Path) -> None:
    bin_dir = debian_postgres()
    assert bin_dir is not None
    plain = PlainServer.start(bin_dir)
    try:
        refused = _refusal(plain.url(), home, MissingExtension)
        assert "has no pgvector extension" in refused and "install pgvector" in refused
        assert "plain-pw-5" not in refused
    finally:
        plain.stop()


def test_a_role_without_create_on_the_database_is_told_what_an_admin_runs(
    team: TeamServer, home: Path, admin: Workspace
) -> None:
    database = f"empty_{uuid.uuid4().hex[:6]}"
    with team.superuser() as conn:
        conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(database)))
    with team.superuser(database) as conn:
        conn.execute("CREATE EXTENSION vector")
    no_registry = _refusal(team.url("outsider", dbname=database), home, AccessDenied)
    assert "cannot create or upgrade the codelens registry" in no_registry
    assert "`codelens projects`" in no_registry

    admin.ids()  # the admin set the registry up
    ws = _workspace(team, home, "outsider")
    try:
        assert ws.ids() == []
        with pytest.raises(AccessDenied) as refused:
            ws.create("team-outsider")
        assert "GRANT CREATE ON DATABASE" in _one_line(refused)
    finally:
        ws.close()


def test_a_taken_name_the_role_may_not_read_is_refused_without_its_contents(
    team: TeamServer, home: Path, fresh: str
) -> None:
    with team.superuser("codelens") as conn:
        conn.execute("GRANT CREATE ON DATABASE codelens TO outsider")
    ws = _workspace(team, home, "outsider")
    try:
        with pytest.raises(ProjectExists) as taken:
            ws.project(fresh)
        assert "may not read it" in _one_line(taken)
        mine = ws.create("team-outsiders-own", embedder="local")
        assert ws.ids() == [mine.id] and ws.access()["access"].tolist() == ["owner"]
        ws.drop(mine.id, force=True)
    finally:
        ws.close()
        with team.superuser("codelens") as conn:
            conn.execute("REVOKE CREATE ON DATABASE codelens FROM outsider")
