"""Reads from a streaming replica (CODELENS_DATABASE_READ_URL), writes to the primary.

A real primary and a real streaming replica (pg_basebackup -R) started from the
embedded package's binaries; indexing goes through the fake Ollama server.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from codelens import Project, Settings, Workspace
from codelens._cli import main
from codelens._db.replica import REPLICA_LOGGER, lsn_text, lsn_value
from codelens._status import status_lines
from codelens.errors import DatabaseError
from tests.fake_ollama import FakeOllama
from tests.pg_cluster import PgServer, scratch, start_primary, start_replica

EMBEDDER = "ollama:nomic-embed-text"


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[PgServer, PgServer, Path]]:
    folder = scratch()
    primary = start_primary(folder)
    replica = start_replica(primary, folder)
    yield primary, replica, folder
    replica.stop()
    primary.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def servers(
    cluster: tuple[PgServer, PgServer, Path], fake_ollama: FakeOllama
) -> tuple[PgServer, PgServer]:
    primary, replica, _ = cluster
    replica.execute("SELECT pg_wal_replay_resume()")
    return primary, replica


def _workspace(home: Path, primary: PgServer, replica: PgServer) -> Workspace:
    ws = Workspace(Settings(home=home, database_url=primary.url, database_read_url=replica.url))
    assert ws.db.replica is not None
    ws.db.replica.retry_after = 0.3  # a test cannot wait the default 30 s
    return ws


@pytest.fixture
def ws(tmp_path: Path, servers: tuple[PgServer, PgServer]) -> Iterator[Workspace]:
    own = _workspace(tmp_path / "home", *servers)
    yield own
    own.close()


def _repo(root: Path, name: str, function: str) -> Path:
    root.mkdir(parents=True)
    (root / f"{name}.py").write_text(
        f'def {function}(amount: int) -> int:\n    """{name} {function}."""\n    return amount\n'
    )
    return root


def _paths(project: Project, query: str) -> list[str]:
    return list(project.search(query, mode="lexical").path)


def _replayed(replica: PgServer) -> int:
    value = replica.execute("SELECT pg_last_wal_replay_lsn()::text")[0][0]
    assert isinstance(value, str)
    return lsn_value(value)


def _caught_up(primary: PgServer, replica: PgServer) -> None:
    target = primary.execute("SELECT pg_current_wal_lsn()::text")[0][0]
    assert isinstance(target, str)
    deadline = time.monotonic() + 10
    while _replayed(replica) < lsn_value(target):
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.02)


def test_searches_read_the_replica_and_writes_go_to_the_primary(
    ws: Workspace, servers: tuple[PgServer, PgServer], tmp_path: Path
) -> None:
    primary, replica = servers
    project = ws.create("replica-reads", embedder=EMBEDDER)
    project.index(_repo(tmp_path / "a", "alpha", "apricot_ledger"), progress=False)
    assert _paths(project, "apricot_ledger") == ["alpha.py"]
    # Writes on the replica would fail: they reached the primary.
    assert primary.execute("SELECT count(*) FROM project_replica_reads.files")[0][0] == 1

    # Another indexer (another machine) writes while the replica replays nothing: this
    # workspace reads the replica, so it does not see that write yet.
    other = _workspace(tmp_path / "other", primary, replica)
    replica.execute("SELECT pg_wal_replay_pause()")
    try:
        other.get("replica-reads").index(
            _repo(tmp_path / "b", "beta", "walnut_invoice"), progress=False
        )
        assert _paths(project, "walnut_invoice") == []
        assert project.counts()["indexed_files"] == 1  # status counts read the replica
        snapshot = project.analyze().sql("SELECT count(*) AS n FROM files")  # and snapshots
        assert snapshot["n"].tolist() == [1]
        assert _paths(other.get("replica-reads"), "walnut_invoice") == ["beta.py"]  # its own write
    finally:
        replica.execute("SELECT pg_wal_replay_resume()")
        other.close()
    _caught_up(primary, replica)
    assert _paths(project, "walnut_invoice") == ["beta.py"]
    assert project.counts()["indexed_files"] == 2
    assert project.analyze().sql("SELECT count(*) AS n FROM files")["n"].tolist() == [2]
    ws.drop("replica-reads", force=True)


def test_a_search_right_after_an_index_run_waits_for_the_replica_to_replay_it(
    ws: Workspace,
    servers: tuple[PgServer, PgServer],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, replica = servers
    project = ws.create("replica-ryw", embedder=EMBEDDER)
    replica.execute("SELECT pg_wal_replay_pause()")
    resumer = threading.Timer(0.6, replica.execute, ["SELECT pg_wal_replay_resume()"])
    try:
        project.index(_repo(tmp_path / "a", "gamma", "quartz_payroll"), progress=False)
        assert ws.db.replica is not None
        written = ws.db.replica.written
        assert _replayed(replica) < written  # the replica has not replayed the run
        resumer.start()
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger=REPLICA_LOGGER):
            assert _paths(project, "quartz_payroll") == ["gamma.py"]
        assert time.monotonic() - started >= 0.4  # it waited for the replay
        assert _replayed(replica) >= written
        assert not caplog.records
    finally:
        resumer.join()
        replica.execute("SELECT pg_wal_replay_resume()")
    ws.drop("replica-ryw", force=True)


def test_a_replica_too_far_behind_gives_the_read_to_the_primary_with_a_note(
    ws: Workspace,
    servers: tuple[PgServer, PgServer],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, replica = servers
    assert ws.db.replica is not None
    assert repr(ws.db.replica) == f"<Replica {replica.url.replace(replica.password, '***')!r}>"
    ws.db.replica.replay_wait = 0.3
    project = ws.create("replica-behind", embedder=EMBEDDER)
    replica.execute("SELECT pg_wal_replay_pause()")
    try:
        project.index(_repo(tmp_path / "a", "delta", "cobalt_tariff"), progress=False)
        with caplog.at_level(logging.WARNING, logger=REPLICA_LOGGER):
            assert _paths(project, "cobalt_tariff") == ["delta.py"]
            line = status_lines(ws, project)[-1]
        assert "bytes behind the primary" in line, line
        assert "s3cret" not in line and "***" in line
    finally:
        replica.execute("SELECT pg_wal_replay_resume()")
    notes = [r.getMessage() for r in caplog.records]
    assert len(notes) == 1 and "has not replayed this process's last write after 0.3 s" in notes[0]
    assert "this read goes to the primary" in notes[0] and "s3cret" not in notes[0]
    ws.db.replica.replay_wait = 5.0
    assert _paths(project, "cobalt_tariff") == ["delta.py"]
    # The primary writes on its own too (autovacuum, a checkpoint): the replica is in step
    # once it has replayed that as well, a moment later.
    deadline = time.monotonic() + 10
    while "in step with the primary" not in (line := status_lines(ws, project)[-1]):
        assert time.monotonic() < deadline, line
        time.sleep(0.2)
    ws.drop("replica-behind", force=True)


def test_a_replica_stopped_mid_session_gives_reads_to_the_primary_with_one_warning(
    ws: Workspace,
    servers: tuple[PgServer, PgServer],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    primary, replica = servers
    project = ws.create("replica-down", embedder=EMBEDDER)
    project.index(_repo(tmp_path / "a", "eps", "maple_voucher"), progress=False)
    assert _paths(project, "maple_voucher") == ["eps.py"]  # a replica connection in the pool
    replica.stop()
    try:
        with caplog.at_level(logging.WARNING, logger=REPLICA_LOGGER):
            for _ in range(3):
                assert _paths(project, "maple_voucher") == ["eps.py"]
            assert project.counts()["indexed_files"] == 1
            lines = status_lines(ws, project)
        warnings = [r.getMessage() for r in caplog.records]
        assert len(warnings) == 1, warnings
        assert warnings[0].startswith(
            f"the read replica at {replica.url.replace('s3cret-never-shown', '***')}"
        )
        assert "cannot be reached" in warnings[0] and "reads go to the primary" in warnings[0]
        assert "\n" not in warnings[0] and "s3cret" not in warnings[0]
        assert "unreachable" in lines[-1] and "s3cret" not in "\n".join(lines)
    finally:
        replica.start()
    # Set aside for retry_after seconds, then read from again.
    time.sleep(0.4)
    _caught_up(primary, replica)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=REPLICA_LOGGER):
        assert _paths(project, "maple_voucher") == ["eps.py"]
    assert not caplog.records
    assert "in step with the primary" in status_lines(ws, project)[-1]
    ws.drop("replica-down", force=True)


def test_a_read_whose_replica_connection_is_lost_is_one_line_and_the_next_read_works(
    ws: Workspace, servers: tuple[PgServer, PgServer], tmp_path: Path
) -> None:
    primary, replica = servers
    project = ws.create("replica-lost", embedder=EMBEDDER)
    project.index(_repo(tmp_path / "a", "zeta", "onyx_rebate"), progress=False)
    try:
        with pytest.raises(DatabaseError) as caught, project.handle.read_connection() as conn:  # noqa: PT012
            assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
            replica.stop()
            conn.execute("SELECT count(*) FROM files")
        message = str(caught.value)
        assert message.startswith("the connection to the read replica was lost")
        assert "reads go to the primary meanwhile" in message and "s3cret" not in message
        assert _paths(project, "onyx_rebate") == ["zeta.py"]
    finally:
        replica.start()
    _caught_up(primary, replica)
    ws.drop("replica-lost", force=True)


def test_a_promoted_replica_keeps_serving_reads(
    cluster: tuple[PgServer, PgServer, Path], fake_ollama: FakeOllama, tmp_path: Path
) -> None:
    primary, _, folder = cluster
    promoted = start_replica(primary, folder, name=f"promoted-{tmp_path.name}")
    ws = _workspace(tmp_path / "home", primary, promoted)
    try:
        project = ws.create("replica-promoted", embedder=EMBEDDER)
        project.index(_repo(tmp_path / "a", "eta", "cedar_escrow"), progress=False)
        assert _paths(project, "cedar_escrow") == ["eta.py"]
        promoted.promote()
        assert promoted.execute("SELECT pg_is_in_recovery()") == [(False,)]
        # A write on the old primary: the promoted server never replays it, and reads
        # must not wait for it.
        project.index(_repo(tmp_path / "b", "theta", "basil_dividend"), progress=False)
        started = time.monotonic()
        assert _paths(project, "cedar_escrow") == ["eta.py"]
        assert time.monotonic() - started < 4  # not the 5 s of a wait for a replay
        assert "promoted" in status_lines(ws, project)[-1]
        ws.drop("replica-promoted", force=True)
    finally:
        ws.close()
        promoted.stop()


def test_lsn_text_and_value_round_trip() -> None:
    assert lsn_value("0/3000148") == 0x3000148
    assert lsn_value("1A/0") == 0x1A << 32
    assert lsn_text(lsn_value("1A/FF00")) == "1A/FF00"


def test_a_read_url_libpq_cannot_parse_is_a_one_line_error_naming_its_variable(
    tmp_path: Path,
) -> None:
    bad = "postgresql://postgres:s3cret@127.0.0.1:1/postgres?nonsense=1"
    ws = Workspace(Settings(home=tmp_path, database_url=bad, database_read_url=bad))
    with pytest.raises(DatabaseError, match="check CODELENS_DATABASE_READ_URL") as caught:
        _ = ws.db.replica
    assert "s3cret" not in str(caught.value)
    assert "s3cret" not in repr(ws.settings) and "database_read_url='postgresql://" in repr(
        ws.settings
    )


def test_the_command_line_shows_the_lag_and_warns_once_when_the_replica_is_down(
    ws: Workspace,
    servers: tuple[PgServer, PgServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    primary, replica = servers
    env = {
        "CODELENS_HOME": str(ws.settings.home),
        "CODELENS_DATABASE_URL": primary.url,
        "CODELENS_DATABASE_READ_URL": replica.url,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    project = ws.create("replica-cli", embedder=EMBEDDER)
    project.index(_repo(tmp_path / "a", "iota", "garnet_annuity"), progress=False)
    _caught_up(primary, replica)
    assert main(["status", "-p", "replica-cli"]) == 0
    out = capsys.readouterr().out
    assert "\nread replica: postgresql://postgres:***@127.0.0.1:" in out
    assert "in step with the primary" in out and "s3cret" not in out
    replica.stop()
    try:
        with caplog.at_level(logging.WARNING, logger=REPLICA_LOGGER):
            assert main(["search", "garnet_annuity", "-p", "replica-cli", "--mode", "lexical"]) == 0
        # Python prints a warning nobody handles as its one line on stderr.
        warnings = [r.getMessage() for r in caplog.records]
        assert main(["status", "-p", "replica-cli"]) == 0
    finally:
        replica.start()
    out = capsys.readouterr().out
    assert "iota.py" in out and "unreachable" in out and "s3cret" not in out
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("the read replica at postgresql://postgres:***@")
    assert "cannot be reached" in warnings[0] and "s3cret" not in warnings[0]
    _caught_up(primary, replica)
    ws.drop("replica-cli", force=True)
