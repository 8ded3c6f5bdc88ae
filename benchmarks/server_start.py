"""Embedded server start times and project provisioning, in a private CODELENS_HOME.

    python benchmarks/server_start.py [--repeat 5] [--projects 20]

Cold start: a new data dir (initdb, then start). Warm start: an existing, stopped data dir.
Attach: a running server. Provisioning: create_project (registry row, schema, migrations).
Medians of the repeats; the machine is shared, so compare ratios rather than absolutes.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from codelens import Settings, Workspace
from codelens._db.embedded import ensure_server, stop_server


def _timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--projects", type=int, default=20)
    args = parser.parse_args()

    cold, warm, attach = [], [], []
    for _ in range(args.repeat):
        home = Path(tempfile.mkdtemp(prefix="codelens-bench-"))
        pgdata = home / "pgdata"
        try:
            cold.append(_timed(lambda: ensure_server(pgdata)))  # noqa: B023
            attach.append(_timed(lambda: ensure_server(pgdata)))  # noqa: B023
            stop_server(pgdata)
            warm.append(_timed(lambda: ensure_server(pgdata)))  # noqa: B023
        finally:
            stop_server(pgdata)
            shutil.rmtree(home, ignore_errors=True)

    home = Path(tempfile.mkdtemp(prefix="codelens-bench-"))
    ws = Workspace(Settings(home=home))
    try:
        ws.ids()  # start the server and migrate the registry first
        create = [_timed(lambda i=i: ws.create(f"p{i}")) for i in range(args.projects)]
        drop = [_timed(lambda i=i: ws.drop(f"p{i}", force=True)) for i in range(args.projects)]
    finally:
        ws.close()
        stop_server(home / "pgdata")
        shutil.rmtree(home, ignore_errors=True)

    def line(label: str, values: list[float]) -> str:
        ms = sorted(v * 1000 for v in values)
        return f"{label:<22} median {statistics.median(ms):8.1f} ms   min {ms[0]:8.1f}   max {ms[-1]:8.1f}"

    print(line("cold start (new dir)", cold))
    print(line("warm start (stopped)", warm))
    print(line("attach (running)", attach))
    print(line("provision a project", create) + "   (target < 100 ms)")
    print(line("drop a project", drop))


if __name__ == "__main__":
    main()
