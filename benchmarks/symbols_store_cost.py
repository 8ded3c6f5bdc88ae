"""What symbols cost the store phase: files/s with and without them, in the same run.

    python benchmarks/symbols_store_cost.py                  # 2,000 files, 3 rounds
    python benchmarks/symbols_store_cost.py --files 5000 --rounds 5

The corpus is ``--files`` ``.py`` files of the installed packages (this interpreter's
site-packages), copied to a temporary folder, as ``benchmarks/searchable.py`` takes it.
Each round indexes it from nothing into a fresh project twice, with ``embed="later"``
(the store phase alone: scan, parse, chunk, write): once as codelens does, and once with
the symbols left out (their extraction replaced by an empty result, so nothing is
parsed for them and no symbol rows are written): the baseline. The two alternate, and
each round's order flips, so that the machine's load falls on both alike. The median
files/s of each is printed with the loss; the load average at the start and the end.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sysconfig
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from codelens import Settings, Workspace
from codelens._chunk.tags import FileSymbols
from codelens._db.embedded import stop_server
from codelens._index import batch, pieces


def _corpus(limit: int, into: Path) -> int:
    site = Path(sysconfig.get_paths()["purelib"])
    files = sorted(p for p in site.rglob("*.py") if p.is_file() and "__pycache__" not in p.parts)
    random.Random(0).shuffle(files)
    n = 0
    for src in files[:limit]:
        dst = into / src.relative_to(site)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        n += 1
    return n


def _without_symbols() -> None:
    def parts(f, max_tokens, *, symbols=True):  # type: ignore[no-untyped-def]
        return pieces.file_parts(f, max_tokens, symbols=False)[0], FileSymbols()

    batch.file_parts = parts  # type: ignore[assignment]


def _with_symbols() -> None:
    batch.file_parts = pieces.file_parts


def _round(ws: Workspace, corpus: Path, name: str, symbols: bool) -> tuple[float, int]:
    (_with_symbols if symbols else _without_symbols)()
    if ws.exists(name):
        ws.drop(name, force=True)
    project = ws.create(name, embedder="local")
    started = time.perf_counter()
    report = project.index(corpus, progress=False, embed="later")
    seconds = time.perf_counter() - started
    with project.connection() as conn:
        row = conn.execute("SELECT count(*) FROM symbol_refs").fetchone()
    ws.drop(name, force=True)
    return report.files_indexed / seconds, int(row[0]) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    home = Path(tempfile.mkdtemp(prefix="codelens-symcost-"))
    home.chmod(0o755)
    corpus = home / "corpus"
    print(f"corpus: {_corpus(args.files, corpus)} files")
    ws = Workspace(Settings(home=home / "home"))
    rates: dict[bool, list[float]] = {True: [], False: []}
    try:
        for i in range(args.rounds):
            for symbols in (True, False) if i % 2 == 0 else (False, True):
                rate, refs = _round(ws, corpus, "symcost", symbols)
                rates[symbols].append(rate)
                label = "with symbols" if symbols else "baseline    "
                print(f"round {i + 1} {label}: {rate:.0f} files/s ({refs:,} references)")
    finally:
        _with_symbols()
        ws.close()
        stop_server(home / "home" / "pgdata")
        shutil.rmtree(corpus, ignore_errors=True)
    with_s, without = statistics.median(rates[True]), statistics.median(rates[False])
    print(
        f"\nstore phase, median files/s: with symbols {with_s:.0f}, baseline {without:.0f},"
        f" loss {100 * (1 - with_s / without):.1f}%"
    )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
