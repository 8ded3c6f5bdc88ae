"""How central a definition is (how often its name is called), as a ranking prior: measured offline.

A question in words is more often about a definition the project uses than about a
helper called once. This re-ranks the candidates of benchmarks/ranking_variants.py with
each unit's fused score multiplied by ``1 + weight * log1p(calls) / log1p(most calls
among the candidates)``, where ``calls`` counts the calls of the unit's name in the
project (by name, as aider's repository map does; a name defined in many files counts
less), then applies the ranking rules as search does. Nothing in the index changes;
the corpora need their symbols (an index run after issue 22 stores them).

    .venv/bin/python benchmarks/centrality.py --home /tmp/cl-eval

Measured (ONNX MiniLM, both sets, the 11 corpora of /tmp/cl-eval; weight 0 = today's
rules): definition questions MRR@10 0.668 / 0.671 / 0.661 / 0.663 for weights 0, 0.1,
0.2, 0.4 (wordless 0.520 / 0.520 / 0.503 / 0.502), file questions NDCG@10 0.792 / 0.790
/ 0.792 / 0.790. Within the noise at best, and below at 0.2: not kept.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import evaluate as bench
import ranking_variants as rv

from codelens import Settings, Workspace
from codelens._search.engine import hybrid_head
from codelens._search.fusion import KIND_WEIGHTS, Fused, fuse
from codelens._search.grouping import Unit, rank_units
from codelens._search.signals import RULES, rerank, semantic_weight


def name_calls(home: Path, corpora: set[str], embedder: str) -> dict[str, dict[str, float]]:
    """Per corpus: calls of each name, divided by how many files define it past five."""
    workspace = Workspace(Settings(home=home))
    out = {}
    try:
        for corpus in corpora:
            handle = workspace.get(bench.project_id(corpus, embedder)).handle
            with handle.connection() as conn:
                calls = dict(
                    conn.execute(
                        "SELECT name, count(*) FROM symbol_refs WHERE kind = 'call' GROUP BY name"
                    ).fetchall()
                )
                files = dict(
                    conn.execute(
                        "SELECT name, count(DISTINCT file_id) FROM definitions GROUP BY name"
                    ).fetchall()
                )
            out[corpus] = {n: c / max(1, files.get(n, 1) / 5) for n, c in calls.items()}
            print(f"{corpus}: {len(calls)} names called, {sum(calls.values())} calls")
    finally:
        workspace.close()
    return out


def top(case: rv.Case, calls: dict[str, float], weight: float) -> list:
    fused = fuse(case.semantic, case.lexical, semantic_weight=semantic_weight(case.shape, RULES))
    units = rank_units(fused[: hybrid_head(rv.LIMIT)], case.units, None, KIND_WEIGHTS)
    if weight:
        counts = [calls.get(u.place.symbol.rpartition(".")[2], 0.0) for u in units]
        most = math.log1p(max(counts, default=0.0)) or 1.0
        units = [
            Unit(
                Fused(
                    u.best.id,
                    u.best.score * (1 + weight * math.log1p(n) / most),
                    u.best.semantic_rank,
                    u.best.lexical_rank,
                ),
                u.part_ids,
                u.place,
            )
            for u, n in zip(units, counts, strict=True)
        ]
        units.sort(key=lambda u: -u.best.score)
    return [u.place for u in rerank(units, case.shape, RULES)[: rv.LIMIT]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default="/tmp/cl-eval")
    parser.add_argument("--set", choices=bench.SETS, action="append")
    parser.add_argument("--corpus", action="append")
    parser.add_argument("--embedder", default="onnx", choices=["local", "onnx"])
    args = parser.parse_args()
    home = Path(args.home).resolve()
    sets = bench.load_sets(args.corpus, args.set or list(bench.SETS))
    cases = rv.collect(home, sets, args.embedder)
    calls = name_calls(home, {c.corpus for c in cases}, args.embedder)
    weights = {f"centrality {w}": w for w in (0.0, 0.1, 0.2, 0.4)}
    ranks = rv.ranks_of(cases, weights, lambda case, w: top(case, calls[case.corpus], w))
    rv.show(rv.summarize(ranks))


if __name__ == "__main__":
    main()
