"""Search latency with a glob or extension filter, at scale: ms per search, per mode.

A folder filter is answered from the path index (``search_latency.py`` measures it); a
glob such as ``**/decoder.py`` or an extension such as ``--type md`` is a pattern no index
serves, tested row by row. This times one query under filters that match some, all and
no paths, on one of ``search_latency.py``'s projects (load it first with that script and
the same ``--home``); the best of ``--rounds`` runs, warm. It prints figures; it is not a
test.

    .venv/bin/python benchmarks/filtered_search.py --home /tmp/cl-bench \\
        --project bench-100000-v2-static

Measured at 100,000 chunks (6,925 files; static model; 2-core machine, load 0.6-0.8),
the checkout before (71dd76a) and after (b50651a) run one after the other; hybrid /
semantic / lexical, ms:

| filter | rows | before | after |
|---|---|---|---|
| --path '**/decoder.py' | 96 chunks | 362 / 302 / 12 | 60 / 35 / 12 |
| --path '**/json/*.py' | 360 chunks | 366 / 338 / 16 | 62 / 48 / 15 |
| --path '**/*.nothing' | none | 503 / 335 / 95 | 46 / 30 / 19 |
| --path '**/*.py' | all | 35 / 15 / 14 | 26 / 14 / 17 |
| --path '*.py' (the root's) | none | 209 / 198 / 40 | 147 / 124 / 49; 64 / 59 / 36 (4ee6bd3) |
| --type py | all | 28 / 17 / 15 | 31 / 15 / 16 |
| --type nothing | none | 284 / 228 / 76 | 128 / 149 / 69 |
| --path p07 (a folder) | 1% | 20 / 17 / 11 | 24 / 14 / 8 |

Single runs vary by a fifth on this machine. A glob at the root (``*.py``) then still let
every path through its LIKE to the regex; it now asks for a path without ``/`` instead,
which makes the LIKE exact. What is left in the slow rows: a filter that matches nothing
is tested once more, alone, to say so.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from codelens import Settings, Workspace

QUERY = "parse a json document"
FILTERS: tuple[tuple[str, dict[str, str]], ...] = (
    ("--path '**/decoder.py'", {"path": "**/decoder.py"}),
    ("--path '**/json/*.py'", {"path": "**/json/*.py"}),
    ("--path '**/*.nothing'", {"path": "**/*.nothing"}),
    ("--path '**/*.py'", {"path": "**/*.py"}),
    ("--path '*.py'", {"path": "*.py"}),
    ("--type py", {"file_type": "py"}),
    ("--type nothing", {"file_type": "nothing"}),
    ("--path p07 (a folder)", {"path": "p07"}),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default="/tmp/cl-bench")
    parser.add_argument("--project", default="bench-100000-v2-static")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    workspace = Workspace(Settings(home=Path(args.home).resolve()))
    try:
        project = workspace.get(args.project)
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"{args.project}, query {QUERY!r}, best of {args.rounds} (load {load}); ms")
        print(f"  {'filter':28s} {'rows':>5s} {'hybrid':>8s} {'semantic':>9s} {'lexical':>8s}")
        for label, filters in FILTERS:
            times = []
            rows = 0
            for mode in ("hybrid", "semantic", "lexical"):
                best = float("inf")
                for _ in range(args.rounds):
                    started = time.perf_counter()
                    found = project.search(QUERY, mode=mode, **filters)
                    best = min(best, (time.perf_counter() - started) * 1000)
                rows = max(rows, len(found))
                times.append(best)
            print(f"  {label:28s} {rows:5d} {times[0]:8.1f} {times[1]:9.1f} {times[2]:8.1f}")
    finally:
        workspace.close()


if __name__ == "__main__":
    main()
