"""Search latency at scale: p50/p95 per mode, with and without a 1% filter, 1 and 8 clients.

Loads N chunks (real standard-library texts repeated under varied paths, with synthetic
but clustered 384-d embeddings) by binary COPY, builds the HNSW index (timed), then runs
the queries through ``codelens._search.engine.search``. Query embedding is excluded: the query
vectors are put in the query cache beforehand. Also prints recall@10 of the HNSW scan
against an exact scan. It prints figures; it is not a test.

With ``--embedders static onnx`` each named model gets a project of its own (vectors of the
model's dimensions, still synthetic) and the query cache is emptied before every timed
pass: each search embeds its query with the model, so the figures include that time.

    .venv/bin/python benchmarks/search_latency.py --sizes 100000
    .venv/bin/python benchmarks/search_latency.py --sizes 100000 1000000   # takes a while
    .venv/bin/python benchmarks/search_latency.py --baseline d892c04 --rounds 3 --clients 4
    .venv/bin/python benchmarks/search_latency.py --embedders static onnx --clients 1

With ``--baseline REV`` it times that commit's codelens (a temporary git worktree) and this
checkout's in turns, ``--rounds`` times each on the same project and server (which goes
first alternates by round: use an even number), and prints the median p50 and p95 of each
and their ratio: the machine's noise falls on both alike. ``--baseline main`` compares a
branch with main.

Targets at 1M chunks: semantic p95 < 20 ms, hybrid p95 < 40 ms, recall@10 >= 0.95.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
from psycopg import sql

import codelens._search.engine
from codelens import Project, Settings, Workspace
from codelens._db.embedded import stop_server
from codelens._embed.registry import get_embedder
from codelens._index.vector_index import ensure_vector_index
from codelens._search.engine import _semantic, search
from codelens._search.filters import Filters
from codelens._search.query import query_cache

DIM = 384
LATENT = 16  # embeddings of real text vary along few directions: clusters live in a subspace
CLUSTERS = 2000
WINDOW = 30  # lines per synthetic chunk
PREFIXES = 100  # top-level folders; one of them holds ~1% of the chunks
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{3,}")
COLUMNS = (
    "file_id, repository_id, project_id, chunk_index, path, symbol, kind, language,"
    " start_line, end_line, content, content_hash, token_count, truncated, embedding"
)
TYPES = ["int8", "int8", "text", "int4", "text", "text", "text", "text"]
TYPES += ["int4", "int4", "text", "text", "int4", "bool", "vector"]


def stdlib_windows() -> list[tuple[str, int, str]]:
    """(path, start line, text) windows over every .py file of this Python's stdlib."""
    root = Path(sysconfig.get_paths()["stdlib"])
    out = []
    for path in sorted(root.rglob("*.py")):
        if "site-packages" in path.parts or "test" in path.parts:
            continue
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (UnicodeDecodeError, OSError):
            continue
        rel = path.relative_to(root).as_posix()
        for start in range(0, len(lines), WINDOW):
            text = "\n".join(lines[start : start + WINDOW]).replace("\x00", "")
            if text.strip():
                out.append((rel, start + 1, text))
    return out


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


class Space:
    """Clustered synthetic embeddings of low intrinsic dimension, like real ones: Gaussian
    clusters in a LATENT-dimensional space, projected to DIM dimensions plus a little
    noise. (Isotropic noise in all 384 dimensions would make every point of a cluster
    equidistant from a query, which no text model does, and recall meaningless.)"""

    def __init__(self, dim: int = DIM) -> None:
        rng = np.random.default_rng(0)
        self.dim = dim
        self.centers = rng.normal(size=(CLUSTERS, LATENT))
        self.projection = rng.normal(size=(LATENT, dim)) / np.sqrt(LATENT)

    def sample(self, clusters: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        latent = self.centers[clusters] + rng.normal(0, 0.35, (len(clusters), LATENT))
        noise = rng.normal(0, 0.02, (len(clusters), self.dim))
        return unit(latent @ self.projection + noise)


def load(
    workspace: Workspace, n: int, windows: list[tuple[str, int, str]], embedder: str = "local"
) -> Project:
    """The project of ``n`` chunks whose vectors claim to be ``embedder``'s (loaded once)."""
    model = get_embedder(embedder)
    dim = model.dimensions
    suffix = "" if embedder == "local" else "-" + re.sub(r"\W", "-", embedder)
    project_id = f"bench-{n}-v2{suffix}"
    if workspace.exists(project_id):
        project = workspace.get(project_id)
        if project.counts()["chunks"] == n:
            print(f"reusing {project_id}")
            with project.connection() as conn:
                _fill_file_vectors(conn)
            return project
        workspace.drop(project_id, force=True)
    project = workspace.create(project_id)
    rng = np.random.default_rng(2)
    space = Space(dim)
    name = model.name
    started = time.perf_counter()
    with project.connection() as conn:
        conn.execute(
            "INSERT INTO embedding_metadata (model_name, embedding_dimensions, max_tokens,"
            " chunker_version) VALUES (%s, %s, 256, 'bench')",
            [name, dim],
        )
        conn.execute(f"ALTER TABLE chunks ALTER COLUMN embedding TYPE vector({dim})")
        repo = conn.execute(
            "INSERT INTO repositories (root_path, name) VALUES ('/bench', 'bench') RETURNING id"
        ).fetchone()
        assert repo is not None
        files: dict[str, int] = {}
        paths = []
        for i in range(n):
            rel, _, _ = windows[i % len(windows)]
            copy = i // len(windows)
            # Each copy of a file lands in one of PREFIXES folders, so each folder is ~1%.
            digest = hashlib.blake2b(f"{copy}/{rel}".encode(), digest_size=4).digest()
            paths.append(f"p{int.from_bytes(digest) % PREFIXES:02d}/c{copy}/{rel}")
        with conn.cursor() as cur:
            with cur.copy(
                "COPY files (repository_id, path, language, size, status) FROM STDIN"
            ) as cp:
                for path in dict.fromkeys(paths):
                    cp.write_row([repo[0], path, "python", 0, "indexed"])
            for fid, path in cur.execute("SELECT id, path FROM files"):
                files[path] = fid
            batch = 20_000
            for lo in range(0, n, batch):
                ids = np.arange(lo, min(lo + batch, n))
                cluster = (ids % len(windows)) % CLUSTERS
                vectors = space.sample(cluster, rng)
                copy_sql = sql.SQL("COPY chunks ({}) FROM STDIN WITH (FORMAT BINARY)").format(
                    sql.SQL(COLUMNS)
                )
                with cur.copy(copy_sql) as cp:
                    cp.set_types(TYPES)
                    for i, vector in zip(ids.tolist(), vectors, strict=True):
                        rel, start, text = windows[i % len(windows)]
                        path = paths[i]
                        words = _WORD.findall(text)[:1]
                        symbol = words[0] if words else ""
                        end = start + text.count("\n")
                        where = [path, symbol, "window", "python", start, end]
                        cp.write_row(
                            [
                                files[path],
                                repo[0],
                                project_id,
                                i,
                                *where,
                                text,
                                str(i),
                                0,
                                False,
                                vector,
                            ]
                        )
                conn.commit()
                print(f"  loaded {min(lo + batch, n):,} chunks", end="\r", flush=True)
        print(f"loaded {n:,} chunks in {time.perf_counter() - started:.0f} s (binary COPY)")
        _fill_file_vectors(conn)
        started = time.perf_counter()
        ensure_vector_index(conn, dim, memory="4GB")
        conn.commit()
        print(f"HNSW index built in {time.perf_counter() - started:.0f} s")
        conn.execute("ANALYZE chunks")
        conn.commit()
    return project


def _fill_file_vectors(conn: Any) -> None:
    """Each file's mean vector, which the indexer keeps and the COPY above bypasses (the
    file-vector ranking signal reads them), where this checkout has the table and it is
    empty; a baseline from before the table has none to read."""
    if conn.execute("SELECT to_regclass('file_vectors') IS NOT NULL").fetchone() != (True,):
        return
    if conn.execute("SELECT EXISTS (SELECT FROM file_vectors)").fetchone() == (True,):
        return
    conn.execute(
        "INSERT INTO file_vectors (file_id, embedding)"
        " SELECT file_id, l2_normalize(avg(embedding)) FROM chunks GROUP BY file_id"
    )
    conn.commit()


def make_queries(
    windows: list[tuple[str, int, str]], count: int, dim: int = DIM
) -> list[tuple[str, np.ndarray]]:
    """Texts drawn from the corpus (identifiers and prose words), vectors near its clusters."""
    rng = np.random.default_rng(1)
    pick = random.Random(1)
    space = Space(dim)
    queries: dict[str, np.ndarray] = {}
    while len(queries) < count:
        i = pick.randrange(len(windows))
        words = _WORD.findall(windows[i][2])
        if not words:
            continue
        text = " ".join(pick.sample(words, min(len(words), pick.choice([1, 2, 3, 5]))))
        text += f" q{len(queries)}"  # distinct texts, so every query misses nothing but cache
        queries[text] = space.sample(np.array([i % CLUSTERS]), rng)[0]
    return list(queries.items())


def timed(project: Project, text: str, mode: str, path: str | None) -> float:
    started = time.perf_counter()
    search(project.handle, text, mode=mode, path=path)
    return (time.perf_counter() - started) * 1000


def latency(
    project: Project, queries: list[tuple[str, np.ndarray]], clients: int, embed: bool = False
) -> None:
    for mode in ("semantic", "lexical", "hybrid"):
        for path in (None, "p07"):
            for text, _ in queries[:100]:  # warm the pool and the caches
                timed(project, text, mode, path)
            if embed:
                query_cache.clear()  # every timed search embeds its query
            started = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                texts = [text for text, _ in queries]
                times = list(
                    pool.map(
                        timed,
                        [project] * len(texts),
                        texts,
                        [mode] * len(texts),
                        [path] * len(texts),
                    )
                )
            wall = time.perf_counter() - started
            p50 = statistics.median(times)
            p95 = statistics.quantiles(times, n=20)[-1]
            label = "1% filter" if path else "no filter"
            print(
                f"  {mode:8s} {label:9s} {clients} client{'s' if clients > 1 else ' '}:"
                f" p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  ({len(times) / wall:5.0f} queries/s)"
            )


def _semantic_hits(conn, project, vector, filters):  # type: ignore[no-untyped-def]
    """The HNSW scan's top 10, on this checkout's code or a baseline's (``--baseline``
    runs this file with an older codelens, from before a search asked which model answers)."""
    try:
        from codelens._search.answering import answering
    except ImportError:
        return _semantic(conn, vector, filters, 10)
    return _semantic(conn, answering(conn, project.handle), vector, filters, 10)


def recall(project: Project, queries: list[tuple[str, np.ndarray]], path: str | None) -> float:
    """Share of the exact top 10 chunks that the HNSW scan returns, over 100 queries. The
    scan itself, as search's results group a definition's parts and so are not chunks."""
    hits = total = 0
    where = sql.SQL("WHERE path LIKE %s" if path else "")
    exact_sql = sql.SQL("SELECT id FROM chunks {} ORDER BY (embedding <=> %s) + 0 LIMIT 10").format(
        where
    )
    filters = Filters.of(path=path)
    for _, vector in queries[:100]:
        with project.connection() as conn:
            approx = {cid for cid, _ in _semantic_hits(conn, project, vector, filters)}
            params = [path + "/%", vector] if path else [vector]
            exact = {int(r[0]) for r in conn.execute(exact_sql, params).fetchall()}
        hits += len(approx & exact)
        total += len(exact)
    return hits / total


def configure(settings: Settings, shared_buffers: str) -> None:
    """ALTER SYSTEM on the benchmark's own server, then restart it (the next use starts it)."""
    workspace = Workspace(settings)
    with workspace.db.connection() as conn:
        conn.autocommit = True  # ALTER SYSTEM cannot run in a transaction
        conn.execute(
            sql.SQL("ALTER SYSTEM SET shared_buffers = {}").format(sql.Literal(shared_buffers))
        )
        conn.autocommit = False
    workspace.close()
    if workspace.db.embedded:
        stop_server(settings.pgdata)


_LINE = re.compile(
    r"^\s+(\w+)\s+(no filter|1% filter)\s+(\d+) clients?\s*: p50\s+([\d.]+) ms\s+p95\s+([\d.]+) ms"
)


def compare(args: argparse.Namespace, forwarded: list[str]) -> None:
    """This checkout against ``args.baseline``, in turns, each run a process of its own."""
    repo = Path(__file__).resolve().parent.parent
    runs: dict[str, dict[str, list[tuple[float, float]]]] = {"baseline": {}, "this": {}}
    with tempfile.TemporaryDirectory(prefix="codelens-baseline-") as tmp:
        tree = Path(tmp) / "tree"
        git = ["git", "-C", str(repo)]
        subprocess.run([*git, "worktree", "add", "--detach", str(tree), args.baseline], check=True)
        try:
            turns = (("this", repo), ("baseline", tree))
            for round_ in range(1, args.rounds + 1):
                # This checkout first in the first round: its migrations bring the project to
                # its schema once. Then the order alternates, as the second run of a round
                # finds the server's buffers and the OS cache as the first left them (with
                # the same code on both sides, the side that always ran first was 1.3-1.8
                # times slower at the p50).
                for label, tree_path in turns if round_ % 2 else turns[::-1]:
                    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
                    print(f"round {round_}: {label} (load {load})", flush=True)
                    env = dict(os.environ, PYTHONPATH=str(tree_path))
                    out = subprocess.run(
                        [sys.executable, __file__, *forwarded],
                        env=env,
                        check=True,
                        capture_output=True,
                        text=True,
                    ).stdout
                    for line in out.splitlines():
                        if found := _LINE.match(line):
                            mode, label_f, clients, p50, p95 = found.groups()
                            key = f"{mode} {label_f}, {clients} client(s)"
                            runs[label].setdefault(key, []).append((float(p50), float(p95)))
        finally:
            subprocess.run([*git, "worktree", "remove", "--force", str(tree)], check=False)
    print(f"\nmedian of {args.rounds} rounds, ms: baseline {args.baseline} | this checkout | ratio")
    for key, base in runs["baseline"].items():
        this = runs["this"].get(key, [])
        if not this:
            continue
        b50, b95 = (statistics.median(x[i] for x in base) for i in (0, 1))
        t50, t95 = (statistics.median(x[i] for x in this) for i in (0, 1))
        print(
            f"  {key:34s} p50 {b50:6.1f} | {t50:6.1f} | {t50 / b50:4.2f}"
            f"   p95 {b95:6.1f} | {t95:6.1f} | {t95 / b95:4.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--home", default="/tmp/cl-bench")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--shared-buffers",
        help="set the benchmark server's shared_buffers (e.g. 2GB) and restart it first",
    )
    parser.add_argument("--ef-search", type=int, help="override hnsw.ef_search (default: search's)")
    parser.add_argument("--baseline", help="a git revision to time in turns with this checkout")
    parser.add_argument("--rounds", type=int, default=3, help="turns each, with --baseline")
    parser.add_argument(
        "--embedders",
        nargs="+",
        help="time these models' query embedding too (e.g. static onnx), a project each",
    )
    args = parser.parse_args()
    if args.baseline:
        compare(args, _without(_without(sys.argv[1:], "--baseline"), "--rounds"))
        return
    settings = Settings(home=Path(args.home).resolve())
    if args.shared_buffers:
        configure(settings, args.shared_buffers)
    if args.ef_search:
        codelens._search.engine.EF_SEARCH = args.ef_search
    workspace = Workspace(settings)
    with workspace.db.connection() as conn:
        row = conn.execute("SHOW shared_buffers").fetchone()
    print(
        f"shared_buffers {row[0] if row else '?'}, hnsw.ef_search {codelens._search.engine.EF_SEARCH}"
    )
    windows = stdlib_windows()
    print(f"{len(windows):,} distinct stdlib windows of {WINDOW} lines")
    queries = make_queries(windows, args.queries)
    name = get_embedder("local").name
    try:
        for n in args.sizes:
            for embedder in args.embedders or []:
                print(f"\n== {n:,} chunks, {embedder}: queries embedded in every search")
                project = load(workspace, n, windows, embedder)
                model = get_embedder(embedder)
                model.embed_query("warm")  # loads the model
                started = time.perf_counter()
                for text, _ in queries:
                    model.embed_query(text)
                each = (time.perf_counter() - started) * 1000 / len(queries)
                print(f"  query embedding alone: {each:.3f} ms each ({model.name})")
                own = make_queries(windows, args.queries, model.dimensions)
                for clients in dict.fromkeys((1, args.clients)):  # --clients 1: one pass
                    latency(project, own, clients, embed=True)
            if args.embedders:
                continue
            print(f"\n== {n:,} chunks")
            project = load(workspace, n, windows)
            # Query embedding is not measured: every query vector is cached already.
            query_cache.maxsize = max(query_cache.maxsize, len(queries) * 2)
            for text, vector in queries:
                query_cache.put(name, text, vector)
            for clients in dict.fromkeys((1, args.clients)):
                latency(project, queries, clients)
            print(
                f"  recall@10 HNSW vs exact: {recall(project, queries, None):.3f} (no filter),"
                f" {recall(project, queries, 'p07'):.3f} (1% filter)"
            )
    finally:
        workspace.close()


def _without(argv: list[str], option: str) -> list[str]:
    """``argv`` without ``option`` and its value (``--rounds 3`` or ``--rounds=3``)."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == option:
            skip = True
        elif not arg.startswith(option + "="):
            out.append(arg)
    return out


if __name__ == "__main__":
    main()
