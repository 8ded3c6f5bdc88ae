"""Time the analysis snapshot's refresh on a project of about 100,000 chunks.

    .venv/bin/python benchmarks/snapshot_refresh.py                  # 100,000 chunks
    .venv/bin/python benchmarks/snapshot_refresh.py --chunks 20000

The project is this Python's standard library (tests included, site-packages not),
written straight into PostgreSQL: every file the scanner finds gets its files row, and
the indexable ones 20-line chunks (overlapping as needed to reach --chunks) with random
unit vectors. Embedding 100,000 chunks for real would take an hour and tell nothing
about the snapshot. The disk scan then finds exactly what the index holds.

Printed: the first refresh (a full copy), a refresh with nothing changed, after one
file was re-indexed, and after 1% of the files were; each split into PostgreSQL and
disk time (they overlap: the scan runs in a thread), with the chunks copied. Warm
figures are the median of --repeat runs. It uses a private CODELENS_HOME.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import sysconfig
import tempfile
import time
from pathlib import Path

import numpy as np
from psycopg import sql

from codelens import Settings, Workspace
from codelens._analysis.analysis import Analysis
from codelens._analysis.snapshot import RefreshStats
from codelens._db.embedded import stop_server
from codelens._index.store import CHUNK_COLUMNS, COPY_CHUNKS
from codelens._project import Project
from codelens._scan.walk import ScanOptions, scan

OPTIONS = ScanOptions(extra_excludes=("site-packages/",))
WINDOW = 20
DIMENSIONS = 384
# What the indexer does to a changed file: its chunks deleted and written again (new ids),
# and its row's indexed_at set to now().
_REWRITE_CHUNKS = (
    "WITH gone AS (DELETE FROM chunks WHERE path = ANY(%s) RETURNING *)"
    " INSERT INTO chunks (file_id, repository_id, project_id, chunk_index, path, symbol, kind,"
    " language, start_line, end_line, content, content_hash, token_count, truncated, embedding)"
    " SELECT file_id, repository_id, project_id, chunk_index, path, symbol, kind, language,"
    " start_line, end_line, content, content_hash, token_count, truncated, embedding FROM gone"
)


def build(project: Project, root: Path, target: int) -> tuple[int, int]:
    """Write files and about ``target`` chunks for ``root``; returns (files, chunks)."""
    files = list(scan(root, OPTIONS))
    lines = sum(f.line_count for f in files if f.indexable)
    step = max(1, lines // target)
    rng = np.random.default_rng(0)
    written = 0
    with project.connection() as conn:
        conn.execute(
            sql.SQL("ALTER TABLE chunks ALTER COLUMN embedding TYPE vector({})").format(DIMENSIONS)
        )
        repository = conn.execute(
            "INSERT INTO repositories (root_path, name, last_indexed_at) VALUES (%s, 'stdlib',"
            " now()) RETURNING id",
            [str(root)],
        ).fetchone()
        assert repository is not None
        repo_id = repository[0]
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY files (repository_id, path, language, size, sha256, line_count, status,"
                " skip_reason) FROM STDIN"
            ) as copy,
        ):
            for f in files:
                status = "indexed" if f.indexable else "skipped"
                copy.write_row(
                    [
                        repo_id,
                        f.path,
                        f.language,
                        f.size,
                        f.sha256,
                        f.line_count,
                        status,
                        f.skip_reason,
                    ]
                )
        ids = dict(conn.execute("SELECT path, id FROM files").fetchall())
        with conn.cursor() as cur, cur.copy(COPY_CHUNKS) as copy:
            copy.set_types([kind for _, kind in CHUNK_COLUMNS])
            for f in files:
                if not f.indexable or f.text is None:
                    continue
                text = f.text.splitlines(keepends=True)
                vectors = rng.standard_normal((len(range(0, len(text), step)), DIMENSIONS))
                vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
                for i, start in enumerate(range(0, len(text), step)):
                    body = "".join(text[start : start + WINDOW])
                    end = min(start + WINDOW, len(text))
                    tokens = len(body) // 4
                    copy.write_row(
                        [
                            ids[f.path],
                            repo_id,
                            project.id,
                            i,
                            f.path,
                            f"chunk{i}",
                            "lines",
                            f.language,
                            start + 1,
                            end,
                            body,
                            hashlib.sha256(body.encode()).hexdigest(),
                            tokens,
                            tokens > 256,
                            vectors[i].astype(np.float32),
                            # No repeated signature, notebook cell or first-pass vector:
                            # a plain file's window has none of them.
                            "",
                            *[None] * (len(CHUNK_COLUMNS) - 16),
                        ]
                    )
                    written += 1
        conn.commit()
    return len(files), written


def reindex(project: Project, paths: list[str]) -> None:
    with project.connection() as conn, conn.transaction():
        conn.execute(_REWRITE_CHUNKS, [paths])
        conn.execute("UPDATE files SET indexed_at = now() WHERE path = ANY(%s)", [paths])


def show(label: str, runs: list[RefreshStats]) -> None:
    def median(values: list[float]) -> float:
        return statistics.median(values)

    print(
        f"{label:<28} {median([r.seconds for r in runs]):7.3f} s"
        f"   postgres {median([r.postgres_seconds for r in runs]):6.3f} s"
        f"   disk {median([r.disk_seconds for r in runs]):6.3f} s"
        f"   chunks copied {runs[0].chunks_copied:>7,}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    root = Path(sysconfig.get_paths()["stdlib"])
    home = Path(tempfile.mkdtemp(prefix="codelens-bench-"))
    workspace = Workspace(Settings(home=home))
    try:
        project = workspace.create("bench")
        started = time.perf_counter()
        files, chunks = build(project, root, args.chunks)
        print(
            f"{root}: {files:,} files, {chunks:,} chunks written in"
            f" {time.perf_counter() - started:.1f} s\n"
        )
        started = time.perf_counter()
        analysis = Analysis(project.handle, scan_options=OPTIONS)
        assert analysis.last_refresh is not None
        show("first refresh (full copy)", [analysis.last_refresh])
        print(f"{'':28} analyze() end to end {time.perf_counter() - started:.3f} s")
        show("nothing changed", [analysis.refresh() for _ in range(args.repeat)])
        paths = analysis.sql("select path from files where status = 'indexed' order by size desc")[
            "path"
        ].tolist()
        one = []
        for i in range(args.repeat):
            reindex(project, [paths[i]])
            one.append(analysis.refresh())
        show("one file re-indexed", one)
        share = max(1, len(paths) // 100)
        some = []
        for i in range(args.repeat):
            reindex(project, paths[i * share : (i + 1) * share])
            some.append(analysis.refresh())
        show(f"1% of files ({share}) re-indexed", some)
        total = analysis.sql("select count(*) as n from chunks")["n"].iloc[0]
        print(f"\nsnapshot: {total:,} chunks, {analysis.path.stat().st_size / 1e6:.0f} MB")
        for name in ("coverage", "chunk_stats", "stats", "stale"):
            started = time.perf_counter()
            getattr(analysis, name)()
            print(f"a.{name}(): {time.perf_counter() - started:.3f} s")
    finally:
        workspace.close()
        stop_server(home / "pgdata")
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
