"""Index this Python's standard library (without test/) and print where the time goes.

    python benchmarks/index_stdlib.py                     # the whole stdlib
    python benchmarks/index_stdlib.py --packages json,email,http,logging
    python benchmarks/index_stdlib.py --baseline 1.0      # time the model on every text, twice
    python benchmarks/index_stdlib.py --stand-in-ms 2     # a 2 ms/text stand-in for the model

Figures: files/s and chunks/s; seconds per stage; the whole run against the model's own
time to embed the same texts; everything but embedding in files/s; an unchanged re-run;
a re-run after one file changed; peak memory. It uses a private CODELENS_HOME.

The model's own time is sentence-transformers' ``encode`` on exactly the texts the run
embeds, in the run's slices of 64. A shared machine's speed drifts, so it is timed on a
random sample before the run and on another after, and scaled up by the count of texts
(``--baseline`` is the fraction of the texts in each sample; 1.0 times them all, twice).

The run overlaps its stages: the next batch is chunked and the last one written while
the model embeds. Stage times therefore add up to more than the run; "all but
embedding" is the run's wall time outside the model's calls, i.e. what the rest of
the pipeline adds to the model's own time.

``--stand-in-ms`` swaps the model for a sleep of that many milliseconds per text that
returns clustered unit vectors (real embeddings cluster; HNSW behaves differently on
uniform noise). It shows where the rest of the pipeline would cap a faster embedder.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sysconfig
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np

from codelens import IndexReport, Settings, Workspace
from codelens._chunk.chunker import chunk_text, embedding_text
from codelens._db.embedded import stop_server
from codelens._embed.local import LocalEmbedder
from codelens._scan.walk import ScanOptions, scan

_SLICE = 64  # texts per call, as the indexer sends them


def _source(packages: list[str], into: Path) -> Path:
    """A copy of the stdlib (or of some packages), so that one file can be edited safely."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])

    def ignore(folder: str, names: list[str]) -> set[str]:
        skip = {"__pycache__", "site-packages"}
        if Path(folder) == stdlib:
            skip.add("test")  # the stdlib's own test suite; packages keep their tests
        return skip.intersection(names)

    if not packages:
        shutil.copytree(stdlib, into, ignore=ignore, symlinks=True)
        return into
    into.mkdir()
    for name in packages:
        src = stdlib / name
        if src.is_dir():
            shutil.copytree(src, into / name, ignore=ignore, symlinks=True)
        else:
            shutil.copy2(stdlib / f"{name}.py", into / f"{name}.py")
    return into


def _texts(root: Path, max_tokens: int) -> list[str]:
    """The distinct texts an index run of ``root`` embeds, in the order it embeds them."""
    texts: list[str] = []
    for f in scan(root, ScanOptions()):
        if f.text is not None:
            pieces = chunk_text(f.path, f.language, f.text, max_tokens=max_tokens)
            texts.extend(embedding_text(f.path, c) for c in pieces)
    return list(dict.fromkeys(texts))


def _model_alone(model: Any, texts: list[str]) -> float:
    start = time.perf_counter()
    for i in range(0, len(texts), _SLICE):
        model.encode(
            texts[i : i + _SLICE], batch_size=32, normalize_embeddings=True, show_progress_bar=False
        )
    return time.perf_counter() - start


def _print_run(report: IndexReport) -> tuple[float, float]:
    chunks = report.chunks_added + report.chunks_reused
    total = report.seconds["total"]
    embed = report.seconds.get("embed", 0.0)
    print(f"files seen {report.files_seen}, indexed {report.files_indexed}, chunks {chunks}")
    print(
        f"whole run      {total:8.1f} s   {report.files_seen / total:7.1f} files/s"
        f"   {chunks / total:6.1f} chunks/s"
    )
    print("  stage times (they overlap):")
    for stage, seconds in report.seconds.items():
        print(f"  {stage:<14} {seconds:8.2f} s")
    rest = total - embed
    print(
        f"all but embedding {rest:6.2f} s   {report.files_seen / rest:7.1f} files/s"
        f"   {report.files_indexed / rest:7.1f} indexed files/s   (target >= 500)"
    )
    return total, embed


def _stand_in(seconds_per_text: float) -> None:
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((400, 384)).astype(np.float32)

    def embed_counted(self: LocalEmbedder, texts: Sequence[str]) -> tuple[Any, list[int]]:
        time.sleep(seconds_per_text * len(texts))
        noise = rng.standard_normal((len(texts), 384)).astype(np.float32)
        vectors = centers[rng.integers(0, len(centers), len(texts))] + 0.6 * noise
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors, [min(len(t) // 3 + 2, 600) for t in texts]

    LocalEmbedder.embed_counted = embed_counted  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--packages", default="", help="comma-separated stdlib packages")
    parser.add_argument("--baseline", type=float, default=0.25, help="fraction timed alone")
    parser.add_argument("--stand-in-ms", type=float, default=None, help="replace the model")
    args = parser.parse_args()
    packages = [p for p in args.packages.split(",") if p]

    work = Path(tempfile.mkdtemp(prefix="codelens-bench-"))
    root = _source(packages, work / "stdlib")
    ws = Workspace(Settings(home=work / "home"))
    try:
        project = ws.create("bench", embedder="local")
        embedder = LocalEmbedder()
        model, _ = embedder._model()
        model.encode(["warm up the model"])
        if args.stand_in_ms is not None:
            _stand_in(args.stand_in_ms / 1000)
            report = project.index(root, progress=False)
            _print_run(report)
            return

        unique = _texts(root, embedder.max_tokens)
        shuffled = random.Random(0).sample(unique, len(unique))
        n = max(_SLICE, round(args.baseline * len(unique)))
        first, second = shuffled[:n], shuffled[-n:]
        before = _model_alone(model, first) * len(unique) / len(first)
        report = project.index(root, progress=False)
        after = _model_alone(model, second) * len(unique) / len(second)
        alone = (before + after) / 2
        total, embed = _print_run(report)

        print(
            f"model alone    {alone:8.1f} s   on {len(unique)} texts ({len(unique) / alone:.1f}/s;"
            f" {before:.1f} s from a {n}-text sample before the run, {after:.1f} s after)"
        )
        print(f"ratio run/model alone {total / alone:7.3f}   (target <= 1.10)")
        print(f"ratio run/its own embedding calls {total / embed if embed else 0.0:7.3f}")

        again = project.index(root, progress=False)
        print(f"unchanged re-run {again.seconds['total']:6.2f} s   (target < 2 s)")

        victim = next(p for p in sorted(root.rglob("*.py")) if p.stat().st_size > 2000)
        victim.write_text(victim.read_text() + "\n\ndef added_for_benchmark():\n    return 42\n")
        one = project.index(root, progress=False)
        embed_one = one.seconds.get("embed", 0.0)
        print(
            f"one-file re-run {one.seconds['total']:6.2f} s   of which embedding {embed_one:.2f} s,"
            f" {one.chunks_added} chunks embedded   (target < 1 s + embedding)"
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory    {peak:8.0f} MB")
    finally:
        ws.close()
        stop_server(ws.settings.pgdata)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
