"""Time the renewal of a retired first pass: every chunk given the current static model's
vector, in the index run that finds the old one, before it stores anything.

Stores a tree (a copy of this Python's standard library without test/ by default) in a fresh
project whose model is MiniLM (ONNX) with ``embed="later"`` (so the first pass's vectors
are all it has), marks its first pass as the retired ``static-code-v1``, and runs the
index again with nothing changed: that run's time is the renewal's. It prints chunks,
seconds and chunks a second, and the run's stages. It uses a private CODELENS_HOME.

    python benchmarks/first_pass_renewal.py
    python benchmarks/first_pass_renewal.py --packages json,email,http,logging
    python benchmarks/first_pass_renewal.py --path ~/src/payments
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from index_stdlib import _source

from codelens import Settings, Workspace
from codelens._db.embedded import stop_server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, help="this tree instead of the stdlib")
    parser.add_argument("--packages", default="", help="only these stdlib packages (a,b,c)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="codelens-renewal-") as work:
        home = Path(work) / "home"
        tree = args.path or _source([p for p in args.packages.split(",") if p], Path(work) / "src")
        ws = Workspace(Settings(home=home))
        try:
            project = ws.create("renewal", embedder="onnx")
            start = time.perf_counter()
            stored = project.index(tree, progress=False, embed="later")
            print(f"stored {stored.files_indexed:,} files in {time.perf_counter() - start:.1f} s")
            with project.connection() as conn:
                conn.execute(
                    "UPDATE embedding_metadata SET first_pass_model = 'static:static-code-v1'"
                )
                row = conn.execute("SELECT count(*) FROM chunks").fetchone()
            chunks = int(row[0]) if row else 0
            start = time.perf_counter()
            report = project.index(tree, progress=True, embed="later")
            took = time.perf_counter() - start
            renewal = report.seconds.get("first-pass renewal", 0.0)
            print(
                f"renewal: {chunks:,} chunks in {renewal:.1f} s ({chunks / max(renewal, 1e-9):,.0f}"
                f" chunks/s); the whole run {took:.1f} s; load {os.getloadavg()[0]:.2f}"
            )
            stages = ", ".join(f"{k} {v:.2f}s" for k, v in sorted(report.seconds.items()))
            print(f"stages: {stages}")
        finally:
            ws.close()
            stop_server(home / "pgdata")


if __name__ == "__main__":
    main()
