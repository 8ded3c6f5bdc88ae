"""How long ``Project.callers`` takes at a million references.

    python benchmarks/symbols_latency.py                     # 1,000,000 references
    python benchmarks/symbols_latency.py --refs 200000 --questions 500

A synthetic project is written straight into the symbol tables (indexing real files to a
million references would take most of an hour here): ``--refs`` / 50 Python files in
folders of 100, five functions each, every file importing ten functions of other files
and calling them 50 times, through its imports, by name and as ``self.``/``obj.``
methods, plus calls of ten common names (``get``, ``run``, ...) defined as methods in
many classes. Call targets follow a Zipf law, so a few functions have thousands of
callers, as in real code. Then ``--questions`` callers of random functions and methods
(questions share the resolver of the loaded table, as in a session), after one warm-up
that loads the project's definitions and imports into memory (its time is printed too):
p50, p95, max. The load average is printed at the start and the end.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from codelens import Settings, Workspace
from codelens._db.embedded import stop_server

_COMMON = ["get", "run", "close", "update", "read", "write", "send", "start", "stop", "reset"]


def _fill(conn, refs: int, rng: random.Random) -> int:  # type: ignore[no-untyped-def]
    files = max(refs // 50, 10)
    (repo,) = conn.execute(
        "INSERT INTO repositories (root_path, name) VALUES ('/synthetic', 'synthetic') RETURNING id"
    ).fetchone()
    paths = [f"pkg{i // 100}/mod{i}.py" for i in range(files)]
    conn.execute(
        "INSERT INTO files (repository_id, path, language, size, sha256, line_count, status,"
        " symbols_version) SELECT %s, p, 'python', 1000, md5(p), 100, 'indexed', 1"
        " FROM unnest(%s::text[]) AS p",
        [repo, paths],
    )
    ids = dict(conn.execute("SELECT path, id FROM files").fetchall())
    weights = [1 / (k + 1) for k in range(files * 5)]
    with conn.cursor() as cur:
        with cur.copy(
            "COPY definitions (file_id, repository_id, path, language, name, qualname, kind,"
            " line, col, end_line, scope) FROM STDIN"
        ) as copy:
            for i, path in enumerate(paths):
                for j in range(5):
                    name = f"func_{i}_{j}"
                    copy.write_row(
                        (
                            ids[path],
                            repo,
                            path,
                            "python",
                            name,
                            name,
                            "function",
                            10 * j + 1,
                            5,
                            10 * j + 9,
                            "",
                        )
                    )
                copy.write_row(
                    (ids[path], repo, path, "python", f"C{i}", f"C{i}", "class", 60, 7, 90, "")
                )
                common = _COMMON[i % len(_COMMON)]
                copy.write_row(
                    (
                        ids[path],
                        repo,
                        path,
                        "python",
                        common,
                        f"C{i}.{common}",
                        "method",
                        61,
                        9,
                        70,
                        f"C{i}",
                    )
                )
        with cur.copy(
            "COPY symbol_imports (file_id, repository_id, path, alias, module, name, line, col)"
            " FROM STDIN"
        ) as copy:
            imported: dict[str, list[int]] = {}
            for path in paths:
                targets = rng.choices(range(files * 5), weights=weights, k=10)
                imported[path] = targets
                for line, t in enumerate(targets, 1):
                    module = f"pkg{(t // 5) // 100}.mod{t // 5}"
                    copy.write_row(
                        (
                            ids[path],
                            repo,
                            path,
                            f"func_{t // 5}_{t % 5}",
                            module,
                            f"func_{t // 5}_{t % 5}",
                            line,
                            1,
                        )
                    )
        written = 0
        with cur.copy(
            "COPY symbol_refs (file_id, repository_id, path, language, name, qualifier, kind,"
            " line, col, scope) FROM STDIN"
        ) as copy:
            for i, path in enumerate(paths):
                for k in range(50):
                    roll = rng.random()
                    if roll < 0.6:
                        t = rng.choice(imported[path])
                        name, qualifier = f"func_{t // 5}_{t % 5}", ""
                    elif roll < 0.7:
                        name, qualifier = f"func_{i}_{k % 5}", ""
                    elif roll < 0.85:
                        name, qualifier = _COMMON[rng.randrange(len(_COMMON))], "obj"
                    else:
                        name, qualifier = _COMMON[i % len(_COMMON)], "self"
                    scope = (
                        f"C{i}.{_COMMON[i % len(_COMMON)]}"
                        if qualifier == "self"
                        else f"func_{i}_0"
                    )
                    copy.write_row(
                        (
                            ids[path],
                            repo,
                            path,
                            "python",
                            name,
                            qualifier,
                            "call",
                            100 + k,
                            5,
                            scope,
                        )
                    )
                    written += 1
    conn.execute("ANALYZE definitions")
    conn.execute("ANALYZE symbol_refs")
    conn.execute("ANALYZE symbol_imports")
    conn.execute("SELECT nextval('symbols_generation')")
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--refs", type=int, default=1_000_000)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    rng = random.Random(args.seed)
    home = Path(tempfile.mkdtemp(prefix="codelens-symlat-"))
    home.chmod(0o755)
    ws = Workspace(Settings(home=home))
    try:
        project = ws.create("symlat", embedder="local")
        started = time.perf_counter()
        with project.connection() as conn, conn.transaction():
            refs = _fill(conn, args.refs, rng)
        print(f"wrote {refs:,} references in {time.perf_counter() - started:.0f} s")
        files = max(args.refs // 50, 10)
        started = time.perf_counter()
        project.callers("func_0_0")
        print(
            f"first question (loads definitions and imports): {time.perf_counter() - started:.2f} s"
        )
        times, rows = [], []
        for _ in range(args.questions):
            i = rng.randrange(files)
            symbol = rng.choice(
                [
                    f"pkg{i // 100}.mod{i}.func_{i}_{rng.randrange(5)}",
                    f"C{i}.{_COMMON[i % len(_COMMON)]}",
                ]
            )
            t0 = time.perf_counter()
            found = project.callers(symbol)
            times.append(time.perf_counter() - t0)
            rows.append(len(found))
        times.sort()
        p = lambda q: 1000 * times[min(len(times) - 1, int(q * len(times)))]  # noqa: E731
        print(
            f"callers over {args.questions} random functions and methods: p50 {p(0.5):.1f} ms,"
            f" p95 {p(0.95):.1f} ms, max {1000 * times[-1]:.1f} ms;"
            f" rows per answer: median {statistics.median(rows):.0f}, max {max(rows)}"
        )
    finally:
        ws.close()
        stop_server(home / "pgdata")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
