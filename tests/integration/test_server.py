"""The embedded server: lazy start, one server for many processes, crash recovery, stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from codelens import Settings, Workspace
from codelens._db.embedded import (
    SETTINGS_FILE,
    ensure_server,
    server_settings,
    server_status,
    stop_server,
)
from codelens.errors import DatabaseError, MissingExtension

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("CODELENS_TEST_DATABASE_URL")), reason="needs the embedded server"
)


@pytest.fixture
def pgdata(fresh_home: Path) -> Path:
    return fresh_home / "pgdata"


def _start_in_child(pgdata: Path) -> subprocess.Popen[str]:
    code = "import sys; from codelens._db.embedded import ensure_server; print(ensure_server(__import__('pathlib').Path(sys.argv[1])))"
    return subprocess.Popen(
        [sys.executable, "-c", code, str(pgdata)], stdout=subprocess.PIPE, text=True
    )


def test_two_processes_starting_at_once_share_one_server(pgdata: Path) -> None:
    children = [_start_in_child(pgdata) for _ in range(3)]
    urls = {child.communicate(timeout=120)[0].strip() for child in children}
    assert all(child.returncode == 0 for child in children)
    assert len(urls) == 1
    status = server_status(pgdata)
    assert status.running and status.pid is not None
    postmasters = [
        p
        for p in Path("/proc").iterdir()
        if p.name.isdigit()
        and _cmdline(p).startswith(str(Path(sys.prefix).parent))
        and str(pgdata) in _cmdline(p)
    ]
    assert len(postmasters) <= 1
    with psycopg.connect(urls.pop()) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def _cmdline(p: Path) -> str:
    try:
        return (p / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_a_second_start_attaches_quickly_and_stop_stops(pgdata: Path) -> None:
    url = ensure_server(pgdata)
    started = time.perf_counter()
    assert ensure_server(pgdata) == url
    assert time.perf_counter() - started < 0.5
    assert "running" in str(server_status(pgdata))
    assert stop_server(pgdata) is True
    assert not server_status(pgdata).running
    assert "stopped" in str(server_status(pgdata))
    assert stop_server(pgdata) is False
    # and it starts again on the next use, in the same process
    assert ensure_server(pgdata) == url


def test_a_server_killed_hard_starts_again_cleanly(pgdata: Path) -> None:
    url = ensure_server(pgdata)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE survivor (x int)")
        conn.execute("INSERT INTO survivor VALUES (42)")
    pid = server_status(pgdata).pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.time() + 10
    while server_status(pgdata).running and time.time() < deadline:
        time.sleep(0.05)
    assert (pgdata / "postmaster.pid").exists()  # left behind by the crash
    url = ensure_server(pgdata)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT x FROM survivor").fetchone() == (42,)


def test_a_stale_pid_file_of_another_process_is_not_a_server(pgdata: Path) -> None:
    url = ensure_server(pgdata)
    stop_server(pgdata)
    # A pid file naming a live process that is not postgres (pid reuse after a crash).
    pgdata.joinpath("postmaster.pid").write_text(
        f"{os.getpid()}\n{pgdata}\n0\n5432\n{pgdata}\nlocalhost\n  0 0\nready\n"
    )
    assert not server_status(pgdata).running
    assert ensure_server(pgdata) == url


def _buffers(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT pg_size_bytes(current_setting('shared_buffers'))").fetchone()
    assert row is not None
    return int(row[0])


def test_the_server_starts_with_codelens_settings_and_a_users_own_win(pgdata: Path) -> None:
    buffers = server_settings()["shared_buffers"]
    # More than initdb's 128MB wherever the machine has the memory (this one has).
    assert int(buffers.removesuffix("MB")) > 128
    url = ensure_server(pgdata)  # a fresh data dir: its very first start has them
    assert _buffers(url) == int(buffers.removesuffix("MB")) * 2**20
    assert (pgdata / SETTINGS_FILE).read_text().count("shared_buffers") == 1
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET shared_buffers = '64MB'")
    stop_server(pgdata)
    url = ensure_server(pgdata)  # the settings written again, the include not repeated
    assert _buffers(url) == 64 * 2**20
    conf = (pgdata / "postgresql.conf").read_text()
    assert conf.count(SETTINGS_FILE) == 1


def test_a_server_that_cannot_start_says_where_to_look(pgdata: Path) -> None:
    pgdata.mkdir()
    (pgdata / "PG_VERSION").write_text("not a cluster\n")  # claims to exist, is garbage
    with pytest.raises(DatabaseError, match=r"did not start.*CODELENS_DATABASE_URL"):
        ensure_server(pgdata)


def test_an_external_database_gets_the_extension_created(workspace: Workspace) -> None:
    with psycopg.connect(workspace.db.url(), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS novector")
        conn.execute("CREATE DATABASE novector")
    url = workspace.db.url().replace("/postgres?", "/novector?")
    ws = Workspace(Settings(home=workspace.settings.home, database_url=url))
    try:
        assert ws.ids() == []
        with ws.db.connection() as conn:
            row = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone()
        assert row == (1,)
    finally:
        ws.close()


def test_a_server_without_pgvector_gets_the_fix(workspace: Workspace) -> None:
    from codelens._db.pool import Database

    with psycopg.connect(workspace.db.url(), autocommit=True) as conn:
        no_vector = _NoVector(conn)
        with pytest.raises(MissingExtension, match="install pgvector"):
            Database._ensure_vector(no_vector)  # type: ignore[arg-type]


class _NoVector:
    """A real connection whose catalogue lookups for pgvector come back empty."""

    def __init__(self, conn: psycopg.Connection[object]) -> None:
        self._conn = conn

    def execute(self, query: str, *args: object) -> object:
        if "vector" in query:
            return self._conn.execute("SELECT 1 WHERE false")
        return self._conn.execute(query, *args)  # pragma: no cover


def test_an_unreachable_server_is_a_one_line_database_error(tmp_path: Path) -> None:
    url = f"postgresql://postgres@/postgres?host={tmp_path}&connect_timeout=2"
    ws = Workspace(Settings(home=tmp_path, database_url=url))
    with pytest.raises(DatabaseError, match="cannot connect to PostgreSQL") as info:
        ws.ids()
    assert "\n" not in str(info.value)
    assert info.value._render_traceback_() == [f"DatabaseError: {info.value}"]
