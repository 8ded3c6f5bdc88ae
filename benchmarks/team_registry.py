"""What access per project costs on a team server as its projects grow.

Starts the tests' team server (a real PostgreSQL over TCP with scram-sha-256, behind the
tests' TLS proxy), creates N projects as the admin, grants the reader one of them, and
prints: the time to create a project, the time a fresh workspace takes to open (connect,
check the registry) and list its projects, and the registry listing as the admin (who
sees all N) and as the reader (row security filters N rows down to one).

    python benchmarks/team_registry.py --projects 200
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codelens import Settings, Workspace
from tests.team_server import TeamServer


def _ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:.1f} ms, max {max(samples) * 1000:.1f} ms"


def _timed(call: object, rounds: int) -> list[float]:
    assert callable(call)
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="codelens-bench-team-"))
    server = TeamServer.start()
    try:
        admin = Workspace(Settings(home=home, database_url=server.url("codelens_admin")))
        created = []
        for i in range(args.projects):
            started = time.perf_counter()
            admin.create(f"bench-{i:04d}", embedder="local")
            created.append(time.perf_counter() - started)
        admin.grant("bench-0000", "reader")
        print(f"{args.projects} projects; create one: {_ms(created)}")

        def open_and_list() -> None:
            fresh = Workspace(Settings(home=home, database_url=server.url("reader")))
            assert fresh.ids() == ["bench-0000"]
            fresh.close()

        print(f"reader opens a workspace and lists: {_ms(_timed(open_and_list, 5))}")
        reader = Workspace(Settings(home=home, database_url=server.url("reader")))
        reader.ids()
        print(
            f"registry ids(), admin ({args.projects} rows): {_ms(_timed(admin.ids, args.rounds))}"
        )
        print(
            f"registry ids(), reader (1 of {args.projects}): {_ms(_timed(reader.ids, args.rounds))}"
        )
        print(f"projects() with counts, reader: {_ms(_timed(reader.projects, args.rounds))}")
        reader.close()
        admin.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
