"""A server that dies or restarts under a live workspace: one-line errors, and the next call works.

Each test runs its own embedded server (``fresh_home``) and kills it for real with SIGKILL,
so the session's shared server is never touched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import start_new_kernel
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from codelens import Project, Settings, Workspace
from codelens._cli import main
from codelens._db.embedded import ensure_server, server_status, stop_server
from codelens._db.pool import POOL_LOGGER, Database
from codelens._embed.windowed import WindowedEmbedder
from codelens.errors import SERVER_STOPPED_DURING_INDEXING, DatabaseError
from tests.integration.test_indexer import make_repo
from tests.integration.test_progressive import _CHILD, SLOW_PHASE, _many_files
from tests.mcp_helpers import child_env, codelens_command, payload, run, text_of

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("CODELENS_TEST_DATABASE_URL")), reason="needs the embedded server"
)


def kill_server(pgdata: Path) -> None:
    """SIGKILL the postmaster named in the data dir's pid file, and wait until it is gone.

    A killed postmaster can linger as a zombie here; server_status does not count it.
    """
    pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while server_status(pgdata).running:
        assert time.monotonic() < deadline, "the killed server still looks alive"
        time.sleep(0.05)


def restart_in_another_process(pgdata: Path) -> None:
    code = (
        "import sys, pathlib; from codelens._db.embedded import stop_server, ensure_server;"
        " p = pathlib.Path(sys.argv[1]); assert stop_server(p); ensure_server(p)"
    )
    subprocess.run([sys.executable, "-c", code, str(pgdata)], check=True, timeout=120)


@pytest.fixture
def home_ws(fresh_home: Path) -> Iterator[Workspace]:
    ws = Workspace(Settings(home=fresh_home))
    yield ws
    ws.close()


class KillOnEmbed:
    """Kills the server while the real model embeds the ``nth`` slice of a run: every file
    is stored by then (a run stores first and embeds behind), so this is the embed phase."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, pgdata: Path, nth: int = 1) -> None:
        self.calls = 0
        self.killed = False
        original = WindowedEmbedder.embed_counted

        def embed(embedder: WindowedEmbedder, texts: Any) -> Any:
            self.calls += 1
            if self.calls == nth:
                kill_server(pgdata)
                self.killed = True
            return original(embedder, texts)

        monkeypatch.setattr(WindowedEmbedder, "embed_counted", embed)
        self._monkeypatch = monkeypatch
        self._original = original

    def disarm(self) -> None:
        self._monkeypatch.setattr(WindowedEmbedder, "embed_counted", self._original)


def _index_state(project: Project) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with project.connection() as conn:
        files = list(
            conn.execute(
                "SELECT path, language, sha256, status, skip_reason, error FROM files ORDER BY path"
            )
        )
        chunks = list(
            conn.execute(
                "SELECT path, chunk_index, symbol, kind, start_line, end_line, content_hash,"
                " token_count, embedding::text FROM chunks ORDER BY path, chunk_index"
            )
        )
    return files, chunks


def _settles_idle(ws: Workspace) -> bool:
    # A connection the pool is replacing counts in its size before it is available.
    deadline = time.monotonic() + 5
    while not ws.db.idle():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _run_statuses(project: Project) -> list[str]:
    with project.connection() as conn:
        return [r[0] for r in conn.execute("SELECT status FROM index_runs ORDER BY id")]


def test_a_workspace_that_lives_on_works_after_its_server_is_killed(
    home_ws: Workspace, fresh_home: Path
) -> None:
    project = home_ws.create("alive", embedder="local")
    assert project.counts()["chunks"] == 0
    before = server_status(fresh_home / "pgdata").pid
    kill_server(fresh_home / "pgdata")
    assert project.counts()["chunks"] == 0  # the embedded server is started again
    after = server_status(fresh_home / "pgdata")
    assert after.running and after.pid != before
    assert home_ws.ids() == ["alive"]
    assert _settles_idle(home_ws)


def test_the_first_call_after_another_process_restarts_the_server_works(
    home_ws: Workspace, fresh_home: Path
) -> None:
    project = home_ws.create("alive", embedder="local")
    # Several idle connections in the pool, all to be broken by the restart.
    with project.connection(), project.connection(), project.connection():
        pass
    restart_in_another_process(fresh_home / "pgdata")
    started = time.perf_counter()
    assert project.counts()["chunks"] == 0
    assert home_ws.ids() == ["alive"]
    assert time.perf_counter() - started < 2  # stale connections dropped, not waited out


def _external(fresh_home: Path, timeout: float | None = None) -> Database:
    # CODELENS_DATABASE_URL: codelens neither starts nor stops that server.
    settings = Settings(
        home=fresh_home / "unused", database_url=ensure_server(fresh_home / "pgdata")
    )
    return Database(settings) if timeout is None else Database(settings, timeout=timeout)


def _query(db: Database) -> Any:
    with db.connection() as conn:
        return conn.execute("SELECT 1").fetchone()


def _stop_while_in_use(db: Database, pgdata: Path) -> None:
    with db.connection() as conn:
        stop_server(pgdata)
        conn.execute("SELECT 1")


def test_an_external_server_restarted_elsewhere_works_on_the_first_call(fresh_home: Path) -> None:
    db = _external(fresh_home)
    try:
        with db.connection() as conn, db.connection():
            assert conn.execute("SELECT 1").fetchone() == (1,)
        restart_in_another_process(fresh_home / "pgdata")
        with db.connection() as conn:  # the stale connections fail their check and are replaced
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        db.close()


def test_an_external_server_that_stops_is_a_one_line_error_until_it_is_back(
    fresh_home: Path,
) -> None:
    pgdata = fresh_home / "pgdata"
    db = _external(
        fresh_home, timeout=10
    )  # room for the pool's reconnect backoff on a busy machine
    try:
        lost = r"^the connection to PostgreSQL was lost .*CODELENS_DATABASE_URL is back$"
        with pytest.raises(DatabaseError, match=lost):
            _stop_while_in_use(db, pgdata)
        with pytest.raises(DatabaseError, match=r"^cannot connect to PostgreSQL \(.*\): check"):
            _query(db)
        assert not server_status(pgdata).running  # not ours to start
        ensure_server(pgdata)
        with db.connection() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        db.close()


def test_an_index_run_whose_server_is_killed_fails_in_one_line_and_a_rerun_completes_it(
    home_ws: Workspace, fresh_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "payments")
    clean = home_ws.create("clean", embedder="local")
    clean.index(repo, progress=False)
    killed = home_ws.create("killed", embedder="local")
    killer = KillOnEmbed(monkeypatch, fresh_home / "pgdata")
    with pytest.raises(DatabaseError) as raised:
        killed.index(repo, progress=False)
    assert killer.killed
    assert str(raised.value) == SERVER_STOPPED_DURING_INDEXING
    assert raised.value._render_traceback_() == [f"DatabaseError: {SERVER_STOPPED_DURING_INDEXING}"]
    killer.disarm()
    report = killed.index(repo, progress=False)  # the same workspace, a new server
    assert not report.interrupted
    assert _index_state(killed) == _index_state(clean)
    # The first run's record covers what it stored, which all landed; its vectors were
    # left awaiting, and the second run filled them.
    assert _run_statuses(killed) == ["completed", "completed"]
    assert _settles_idle(home_ws)


def test_the_cli_prints_one_line_and_fails_when_the_server_dies_during_indexing(
    fresh_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = make_repo(tmp_path / "payments")
    monkeypatch.setenv("CODELENS_HOME", str(fresh_home))
    monkeypatch.delenv("CODELENS_DATABASE_URL", raising=False)
    killer = KillOnEmbed(monkeypatch, fresh_home / "pgdata")
    status = main(["index", str(repo), "-p", "cli", "-q"])
    assert killer.killed
    captured = capsys.readouterr()
    assert status == 1
    assert captured.err.splitlines() == [f"codelens: error: {SERVER_STOPPED_DURING_INDEXING}"]
    killer.disarm()
    assert main(["index", str(repo), "-p", "cli", "-q"]) == 0


@pytest.mark.parametrize("verbose", [False, True])
def test_a_codelens_index_child_whose_server_is_killed_prints_only_its_one_line(
    fresh_home: Path, tmp_path: Path, verbose: bool
) -> None:
    """Without logging configured, Python's last-resort handler would print the pool's
    warnings (a discarded connection, each failed reconnect) before codelens's own line;
    ``--verbose`` asks for them."""
    repo = _many_files(tmp_path / "many", files=24, functions=6)
    env = {
        **os.environ,
        "CODELENS_HOME": str(fresh_home),
        "CODELENS_EMBEDDER": "local",
        "PYTHONPATH": os.getcwd(),
    }
    env.pop("CODELENS_DATABASE_URL", None)
    with subprocess.Popen(
        [
            *(sys.executable, "-c", _CHILD, "embed"),
            *(["--verbose"] if verbose else []),
            *("index", str(repo), "-p", "killed", "-q"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None
        for marker in child.stdout:
            if "embed" in marker:  # a batch of vectors is being written: kill the server
                kill_server(fresh_home / "pgdata")
                break
        _, err = child.communicate(timeout=300)
    assert child.returncode == 1
    line = f"codelens: error: {SERVER_STOPPED_DURING_INDEXING}"
    if verbose:
        # The pool logs from its own thread, unsynchronised with codelens's own print: its
        # lines come before, after, or even run into that line.
        assert line in err
        assert err.startswith("psycopg.pool: ")
    else:
        assert err.splitlines() == [line]


@pytest.mark.parametrize("verbose", [False, True])
def test_an_mcp_server_whose_database_is_killed_answers_in_one_line_and_shows_no_password(
    fresh_home: Path, tmp_path: Path, verbose: bool
) -> None:
    """The pool's warnings (each reconnect that failed) stay out of the server's stderr
    unless ``--verbose`` asks for them, and neither they nor any reply carries the password."""
    secret = "s3cretpw"
    pgdata = fresh_home / "pgdata"
    # The embedded server trusts its socket: the password is sent and ignored. Given as
    # CODELENS_DATABASE_URL, the server is not the child's to start again, so a call after
    # the kill fails.
    url = ensure_server(pgdata).replace(
        "postgresql://postgres@", f"postgresql://postgres:{secret}@"
    )
    assert secret in url
    external = Settings(home=fresh_home / "unused", database_url=url)
    command, args = codelens_command()
    params = StdioServerParameters(
        command=command,
        args=[*args, *(["--verbose"] if verbose else []), "mcp", "--root", str(tmp_path)],
        env=child_env(external, Workspace(external)),
    )
    replies: list[str] = []
    log_path = tmp_path / "server.log"

    async def session() -> None:
        with open(log_path, "w") as log:
            async with Client(stdio_client(params, errlog=log), read_timeout_seconds=180) as client:
                listed = await client.call_tool("list_projects", {})
                assert payload(listed)["projects"] == []
                unknown = await client.call_tool(
                    "search_code", {"query": "x", "project_id": "no-such-project"}
                )
                kill_server(pgdata)
                lost = await client.call_tool(
                    "search_code", {"query": "x", "project_id": "no-such-project"}
                )
                assert unknown.is_error and lost.is_error
                replies.extend(text_of(r) for r in (listed, unknown, lost))

    run(session)
    log = log_path.read_text()
    print(log)  # shown by pytest when the test fails
    *_, failed = replies
    assert "\n" not in failed
    assert "cannot connect to PostgreSQL" in failed or "connection to PostgreSQL was lost" in failed
    assert secret not in "".join(replies) + log
    pool_lines = [line for line in log.splitlines() if line.startswith(f"{POOL_LOGGER}: ")]
    if verbose:
        assert pool_lines
    else:
        assert pool_lines == []
        assert all(line.startswith("codelens MCP server") for line in log.splitlines()), log


def test_a_codelens_index_cell_whose_server_is_killed_shows_only_its_one_line(
    fresh_home: Path, tmp_path: Path
) -> None:
    """In a real kernel the pool's warnings would land in the cell's stderr (Python's
    last-resort handler writes to the kernel's sys.stderr) above codelens's one line."""
    repo = _many_files(tmp_path / "many", files=24, functions=6)
    env = {
        **os.environ,
        "CODELENS_HOME": str(fresh_home),
        "CODELENS_EMBEDDER": "local",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    env.pop("CODELENS_DATABASE_URL", None)
    manager, client = start_new_kernel(kernel_name="python3", startup_timeout=120, env=env)
    try:
        setup = (
            f"phase = 'embed'\n{SLOW_PHASE}\n"
            "get_ipython().run_line_magic('load_ext', 'codelens')\n"
            "get_ipython().run_line_magic('config', 'CodelensMagics.quiet = True')\n"
            "get_ipython().run_line_magic('codelens', 'create killed')\n"
        )
        reply = client.execute_interactive(setup, timeout=300)
        assert reply["content"]["status"] == "ok", reply["content"]
        # --embed wait: the cell itself runs through the embedding, where the kill lands.
        cell = client.execute(f"%codelens index {repo} --embed wait")
        killed, stderr, errors = False, [], []
        deadline = time.monotonic() + 300
        while True:
            assert time.monotonic() < deadline, "the cell did not finish"
            message = client.get_iopub_msg(timeout=300)
            kind, content = message["msg_type"], message["content"]
            # Any cell's stderr counts: a pool thread's output may be routed to the cell
            # that started it.
            if kind == "stream" and content["name"] == "stderr":
                stderr.append(content["text"])
            mine = message["parent_header"].get("msg_id") == cell
            if mine and kind == "stream" and "embed" in content["text"] and not killed:
                kill_server(fresh_home / "pgdata")  # a batch of vectors is being written
                killed = True
            elif mine and kind == "error":
                errors.append(content["traceback"])
            elif mine and kind == "status" and content["execution_state"] == "idle":
                break
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert killed
    assert errors == [[f"DatabaseError: {SERVER_STOPPED_DURING_INDEXING}"]]
    assert "".join(stderr) == ""
