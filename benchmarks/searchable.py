"""How soon a big repository is searchable: by words once stored, by meaning as vectors land.

    python benchmarks/searchable.py                          # ~10,000 files, 120 s of embedding
    python benchmarks/searchable.py --files 2000 --embed-seconds 60 --embedders onnx
    python benchmarks/searchable.py --files 2000 --all-files     # any file, not only .py
    python benchmarks/searchable.py --files 2000 --embedders onnx --first-pass both

The corpus is the ``.py`` files of the installed packages (this interpreter's
site-packages), copied to a temporary folder, up to ``--files``. It is indexed from
nothing into a private CODELENS_HOME, with ``embed="background"``, once per embedder
(``--embedders``: the ONNX default and torch, side by side in one run):

- time until every file is stored and searchable by words (and a check: the symbols
  of randomly chosen stored chunks are found by lexical search);
- time to the first semantic hit;
- embedding alone for half of ``--embed-seconds``: chunks/s, and that window's wall
  time over the model's own time on the same texts (a random sample of them, embedded
  again afterwards in the pipeline's slices, scaled by the count);
- then the other half with 8 concurrent hybrid searchers beside the embedding:
  latency p50/p95 and errors;
- then a cancel, and how long the worker took to stop.

``vectors_per_s`` is the figure to compare across embedders and versions: chunks with their
vector over the seconds from the start until the last one landed. An inline embedder
(static) stores every vector with its chunk, so it has them all once stored, and its
worker has nothing to embed (only the first load's HNSW index to build).

``--first-pass both`` runs each embedder twice, with the first pass (the static model's
vectors stored with the chunks, answering meaning search until the model's are in) and
without: the store's time with and without it, and when meaning search first answers.

Embedding a corpus this size takes hours on a small CPU, so it stops after
``--embed-seconds``. The load average is printed at the start and the end.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sysconfig
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from codelens import Settings, Workspace
from codelens._chunk.types import embedding_text_of
from codelens._db.embedded import stop_server
from codelens._embed.registry import get_embedder

_SLICE = 32  # texts per call, as the embed phase sends them
_QUERIES = [
    "parse a configuration file",
    "retry an http request after a timeout",
    "read_json",
    "validate the arguments of a function",
    "convert a timestamp to a date",
    "split a string into tokens",
    "register a plugin entry point",
    "compute a hash of a file",
]


def _corpus(limit: int, into: Path, pattern: str = "*.py") -> int:
    site = Path(sysconfig.get_paths()["purelib"])
    files = sorted(p for p in site.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts)
    random.Random(0).shuffle(files)
    n = 0
    for src in files:
        if n >= limit:
            break
        dst = into / src.relative_to(site)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        n += 1
    return n


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _measure(
    ws: Workspace, corpus: Path, embedder: str, args: argparse.Namespace, first_pass: bool = True
) -> dict[str, float]:
    """One embedder's whole sequence on the corpus, in a project of its own."""
    out: dict[str, float] = {}
    print(f"\n== {embedder}{'' if first_pass else ', no first pass'}")
    project = ws.create(f"searchable-{embedder}", embedder=embedder, first_pass=first_pass)
    model = get_embedder(embedder, settings=ws.settings)
    warm = time.perf_counter()
    model.embed_counted(["warm"])  # loads (the first time in a home: exports) the model
    print(f"model ready in {time.perf_counter() - warm:.1f} s")
    started = time.perf_counter()
    report = project.index(corpus, progress=False, embed="background")
    stored = out["stored_s"] = time.perf_counter() - started
    job = report.embedding
    assert job is not None
    with project.connection() as conn:
        (total,) = conn.execute("SELECT count(*) FROM chunks").fetchone() or (0,)
        (awaiting,) = conn.execute(
            "SELECT count(*) FROM chunks WHERE embedding IS NULL"
        ).fetchone() or (0,)
        picks = conn.execute(
            "SELECT symbol, path FROM chunks WHERE kind IN ('function', 'method', 'class')"
            " ORDER BY random() LIMIT 30"
        ).fetchall()
    print(
        f"stored: {report.files_indexed} files, {total} chunks in {stored:.1f} s"
        f" ({report.files_indexed / stored:.0f} files/s); searchable by words from then on"
    )
    # Right after the store: does meaning search answer yet, and by which model?
    asked = time.perf_counter()
    hits = project.search(_QUERIES[0], mode="semantic", limit=5)
    out["semantic_after_store_ms"] = (time.perf_counter() - asked) * 1000
    out["semantic_after_store_hits"] = len(hits)
    print(
        f"semantic search right after the store: {len(hits)} hits in"
        f" {out['semantic_after_store_ms']:.0f} ms, by {hits.attrs.get('semantic_model')}"
        f" ({hits.meaning_note or 'every vector in'})"
    )
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items())
    print(f"store stages (they overlap): {stages}")
    for stage in ("first pass", "first-pass index"):
        if stage in report.seconds:
            out[f"{stage.replace(' ', '_').replace('-', '_')}_s"] = report.seconds[stage]
    if not awaiting:
        out["all_vectors_s"] = stored
        out["vectors_per_s"] = total / stored
        print(
            f"every chunk stored with its vector (inline): {report.chunks_embedded} embedded,"
            f" {report.chunks_reused} reused; {out['vectors_per_s']:.0f} chunks/s"
        )
    found = 0
    for symbol, path in picks:
        hits = project.search(symbol, mode="lexical", limit=10, path=path)
        found += symbol in hits["symbol"].tolist()
    print(f"lexical check: {found} of {len(picks)} random symbols found in their file")
    print(f"skipped: {dict(report.files_skipped) or 'none'}")

    first_hit = None
    while first_hit is None and time.perf_counter() - started < stored + 600:
        if len(project.search(_QUERIES[0], mode="semantic", limit=1)):
            first_hit = time.perf_counter() - started
        else:
            time.sleep(0.2)
    out["first_semantic_s"] = first_hit or float("nan")
    print(f"first semantic hit: {first_hit:.1f} s after the start" if first_hit else "none")

    half = args.embed_seconds / 2
    w0 = time.perf_counter()
    c0 = job.progress.state.chunks_done
    time.sleep(half)
    w1 = time.perf_counter()
    c1 = job.progress.state.chunks_done
    rate = out["embed_per_s"] = (c1 - c0) / (w1 - w0)
    print(f"embedding alone: {c1 - c0} chunks in {w1 - w0:.1f} s = {rate:.1f} chunks/s")

    latencies: list[float] = []
    errors: list[str] = []
    stop = threading.Event()

    def searcher(seed: int) -> None:
        rng = random.Random(seed)
        while not stop.is_set():
            q = rng.choice(_QUERIES)
            t = time.perf_counter()
            try:
                project.search(q, mode="hybrid", limit=10)
            except Exception as exc:  # counted: the figure is "errors: 0"
                errors.append(f"{type(exc).__name__}: {exc}")
            latencies.append(time.perf_counter() - t)

    threads = [threading.Thread(target=searcher, args=(i,)) for i in range(args.searchers)]
    for th in threads:
        th.start()
    w2 = time.perf_counter()
    c2 = job.progress.state.chunks_done
    time.sleep(half)
    stop.set()
    for th in threads:
        th.join()
    c3 = job.progress.state.chunks_done
    w3 = time.perf_counter()
    ms = sorted(x * 1000 for x in latencies)
    out["p50_ms"] = statistics.median(ms) if ms else float("nan")
    out["p95_ms"] = ms[int(0.95 * (len(ms) - 1))] if ms else float("nan")
    out["searches"] = len(ms)
    out["errors"] = len(errors)
    out["embed_beside_per_s"] = (c3 - c2) / (w3 - w2)
    print(
        f"with {args.searchers} hybrid searchers: {len(ms)} searches, p50"
        f" {out['p50_ms']:.0f} ms, p95 {out['p95_ms']:.0f} ms, errors {len(errors)};"
        f" embedding meanwhile {out['embed_beside_per_s']:.1f} chunks/s"
    )
    for e in errors[:3]:
        print("  error:", e)

    if args.complete_within and not awaiting:
        job.join(max(0.0, args.complete_within - (time.perf_counter() - started)))
        built = not job.running
        out["hnsw_built_s"] = time.perf_counter() - started if built else float("nan")
        print(
            f"HNSW index built: {out['hnsw_built_s']:.1f} s after the start"
            if built
            else f"HNSW index still building {args.complete_within:.0f} s after the start"
        )
    elif args.complete_within:
        # How long until every chunk has its vector: for a model fast enough to finish.
        left = args.complete_within - (time.perf_counter() - started)
        pace = max(out["embed_per_s"], out["embed_beside_per_s"], 1e-9)
        still = total - job.progress.state.chunks_done
        out["all_vectors_projected_s"] = time.perf_counter() - started + still / pace
        if still / pace > left:  # it cannot finish in time: say when it would, not wait
            left = 0.0
        job.join(max(0.0, left))
        finished = not job.running
        out["all_vectors_s"] = time.perf_counter() - started if finished else float("nan")
        c4 = job.progress.state.chunks_done
        out["embed_overall_per_s"] = c4 / (time.perf_counter() - started - stored)
        out["vectors_per_s"] = total / out["all_vectors_s"] if finished else float("nan")
        print(
            f"every chunk has its vector: {out['all_vectors_s']:.1f} s after the start"
            if finished
            else f"not every chunk has its vector after {args.complete_within:.0f} s"
        )

    t = time.perf_counter()
    job.cancel()
    done = job.wait(120)
    out["cancel_s"] = time.perf_counter() - t
    print(
        f"cancelled: stopped in {out['cancel_s']:.1f} s; {done.chunks_embedded}"
        f" chunks embedded, {done.chunks_awaiting} await vectors"
    )

    # The model's own time on texts the first window embedded (in id order, the worker
    # embeds chunks from the lowest id up): a random sample, in the pipeline's slices.
    with project.connection() as conn:
        rows = conn.execute(
            "SELECT path, symbol, embed_header, content FROM chunks"
            " WHERE embedding IS NOT NULL ORDER BY id OFFSET %s LIMIT %s",
            [c0, c1 - c0],
        ).fetchall()
    texts = [embedding_text_of(*r) for r in rows]
    sample = random.Random(1).sample(texts, min(args.sample, len(texts)))
    t = time.perf_counter()
    for i in range(0, len(sample), _SLICE):
        model.embed_counted(sample[i : i + _SLICE])
    own = (time.perf_counter() - t) * len(texts) / max(len(sample), 1)
    # nothing embedded in the window (a loaded machine, a short --embed-seconds): no ratio
    out["window_over_model"] = (w1 - w0) / own if own else float("nan")
    print(
        f"window over the model's own time on its {len(texts)} texts"
        f" (sample {len(sample)}): {out['window_over_model']:.2f}"
    )
    ws.drop(project.id, force=True)  # the next embedder's run starts from the same empty server
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--embed-seconds", type=float, default=120.0)
    parser.add_argument("--searchers", type=int, default=8)
    parser.add_argument("--sample", type=int, default=256, help="texts timed for the model")
    parser.add_argument(
        "--all-files",
        action="store_true",
        help="every file of site-packages, not only .py: data, config, stubs, binaries",
    )
    parser.add_argument(
        "--embedders",
        default="onnx,local",
        help="comma-separated: onnx (ONNX MiniLM), local (torch), static (the static code model)",
    )
    parser.add_argument(
        "--complete-within",
        type=float,
        default=0.0,
        help="after the search window, wait up to this many seconds from the start for every"
        " chunk's vector and report when (0: do not wait)",
    )
    parser.add_argument(
        "--first-pass",
        choices=("on", "off", "both"),
        default="on",
        help="projects with the first pass (the default), without, or each embedder both ways",
    )
    args = parser.parse_args()
    print(f"load average at start: {_load()}")
    tmp = Path(tempfile.mkdtemp(prefix="codelens-searchable-"))
    home = tmp / "home"
    try:
        kind = "" if args.all_files else ".py "
        n = _corpus(args.files, tmp / "corpus", "*" if args.all_files else "*.py")
        print(f"corpus: {n} {kind}files from site-packages")
        ws = Workspace(Settings(home=home))
        ways = {"on": (True,), "off": (False,), "both": (True, False)}[args.first_pass]
        figures = {
            e if way else f"{e} (no first pass)": _measure(ws, tmp / "corpus", e, args, way)
            for e in args.embedders.split(",")
            for way in ways
        }
        ws.close()
        names = list(figures)
        print("\n" + " | ".join(["figure", *names]))
        keys = dict.fromkeys(k for e in names for k in figures[e])
        for key in keys:
            row = (f"{figures[e].get(key, float('nan')):.2f}" for e in names)
            print(" | ".join([key, *row]))
    finally:
        stop_server(home / "pgdata")
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"load average at end: {_load()}")


if __name__ == "__main__":
    main()
