"""Index this Python's standard library (without test/) and print where the time goes.

    python benchmarks/index_stdlib.py                     # the whole stdlib, about 1,800 files
    python benchmarks/index_stdlib.py --packages json,email,http,logging

Figures: files/s and chunks/s; seconds per stage; the whole run against the model's own
time to embed the same texts; everything but embedding in files/s; an unchanged re-run;
a re-run after one file changed; peak memory. It uses a private CODELENS_HOME.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sysconfig
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from codelens import Settings, Workspace
from codelens._chunk import chunk_text, embedding_text
from codelens._embed import get_embedder
from codelens._scan import ScanOptions, scan
from codelens._server import stop_server


def _source(packages: list[str], into: Path) -> Path:
    """A copy of the stdlib (or of some packages), so that one file can be edited safely."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    ignore = shutil.ignore_patterns("test", "tests", "__pycache__", "site-packages", "idle_test")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--packages", default="", help="comma-separated stdlib packages")
    parser.add_argument("--embedder", default="local")
    args = parser.parse_args()
    packages = [p for p in args.packages.split(",") if p]

    work = Path(tempfile.mkdtemp(prefix="codelens-bench-"))
    root = _source(packages, work / "stdlib")
    ws = Workspace(Settings(home=work / "home"))
    try:
        project = ws.create("bench", embedder=args.embedder)
        embedder = get_embedder(args.embedder)
        embedder.embed_documents(["warm up the model"])

        # The model alone, on exactly the texts the run embeds, in the same slices; timed
        # before and after the run, since a shared machine's speed drifts.
        texts: list[str] = []
        for f in scan(root, ScanOptions()):
            if f.text is not None:
                pieces = chunk_text(f.path, f.language, f.text, max_tokens=embedder.max_tokens)
                texts.extend(embedding_text(f.path, c) for c in pieces)
        unique = list(dict.fromkeys(texts))

        def model_alone() -> float:
            start = time.perf_counter()
            for i in range(0, len(unique), 64):
                embedder.embed_documents(unique[i : i + 64])
            return time.perf_counter() - start

        before = model_alone()
        report = project.index(root, progress=False)
        after = model_alone()
        model = (before + after) / 2

        chunks = report.chunks_added + report.chunks_reused
        total = report.seconds["total"]
        work = report.seconds.get("embed", 0.0) + report.seconds.get("tokenize", 0.0)
        print(f"files seen {report.files_seen}, indexed {report.files_indexed}, chunks {chunks}")
        print(
            f"whole run      {total:8.1f} s   {report.files_seen / total:7.1f} files/s"
            f"   {chunks / total:6.1f} chunks/s"
        )
        for stage, seconds in report.seconds.items():
            print(f"  {stage:<14} {seconds:8.2f} s")
        rest = total - work
        print(
            f"all but the model (tokenize + embed) {rest:6.2f} s  "
            f" {report.files_seen / rest:7.1f} files/s (target >= 500)"
        )
        print(
            f"model alone    {model:8.1f} s   on {len(unique)} texts ({len(unique) / model:.1f}/s;"
            f" {before:.1f} s before the run, {after:.1f} s after)"
        )
        print(f"ratio run/model {total / model:7.3f}   (target <= 1.10)")
        print(
            f"ratio run/its own embedding stage {total / report.seconds.get('embed', total):7.3f}"
        )

        again = project.index(root, progress=False)
        print(f"unchanged re-run {again.seconds['total']:6.2f} s   (target < 2 s)")

        victim = next(p for p in sorted(root.rglob("*.py")) if p.stat().st_size > 2000)
        victim.write_text(victim.read_text() + "\n\ndef added_for_benchmark():\n    return 42\n")
        one = project.index(root, progress=False)
        embed_one = one.seconds.get("embed", 0.0) + one.seconds.get("tokenize", 0.0)
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
