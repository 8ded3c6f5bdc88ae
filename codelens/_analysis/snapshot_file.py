"""The snapshot file of a project: where it lives, its lock, and opening it to write.

A refresh holds an exclusive ``flock`` on ``<project>.lock`` beside the file, a reader a
shared one while its read-only DuckDB connection is open. DuckDB's own lock cannot do
this: a read-only open does not keep another process from writing, and two DuckDB
instances of one process may not open the same file in different modes.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from codelens._analysis.snapshot_schema import DDL, SCHEMA_VERSION
from codelens.errors import AnalysisError

if TYPE_CHECKING:
    from codelens._db.handle import ProjectHandle

__all__ = ["LOCK_TIMEOUT", "locked", "snapshot_path", "writable"]

LOCK_TIMEOUT = 120.0


def snapshot_path(project: ProjectHandle) -> Path:
    return project.settings.snapshots / f"{project.id}.duckdb"


@contextmanager
def locked(path: Path, *, shared: bool) -> Iterator[None]:
    """Hold the snapshot's lock: shared to read it, exclusive to refresh it."""
    timeout = LOCK_TIMEOUT
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        mode = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, mode)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise AnalysisError(
                        f"the analysis snapshot {path.name} stayed busy for {timeout:g} s: close"
                        " the connection you hold from Analysis.connection(), or wait for the"
                        " other refresh to finish, and try again"
                    ) from None
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


@contextmanager
def writable(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The snapshot opened for writing, created (or rebuilt when from another version) first."""
    con = _open(path)
    try:
        version = _schema_version(con)
        if version is not None and version != SCHEMA_VERSION:
            con.close()
            _remove(path)
            con = _open(path)
            version = None
        if version is None:
            con.execute(DDL)
        yield con
    finally:
        con.close()


def _open(path: Path) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path))
    except (duckdb.SerializationException, duckdb.IOException) as exc:
        first = str(exc).strip().splitlines()[0]
        if "not a valid DuckDB database" not in first and "Serializ" not in first:
            raise AnalysisError(f"cannot open the analysis snapshot {path} ({first})") from None
    # Not a snapshot this DuckDB can read: it is only a cache, so start it again.
    _remove(path)
    return duckdb.connect(str(path))


def _schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    try:
        row = con.execute("SELECT schema_version FROM _meta").fetchone()
    except duckdb.CatalogException:
        return None
    return int(row[0]) if row else 0


def _remove(path: Path) -> None:
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
