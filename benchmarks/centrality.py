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

import math
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import evaluate as bench
import ranking_variants as rv

from codelens import Settings, Workspace
from codelens._search.grouping import Unit
from codelens._search.signals import RULES


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


def prior(calls: dict[str, float], weight: float):  # type: ignore[no-untyped-def]
    """Each unit's fused score times 1 + ``weight`` x its name's share of the most calls."""

    def rescore(units: list[Unit]) -> list[float]:
        counts = [calls.get(u.place.symbol.rpartition(".")[2], 0.0) for u in units]
        most = math.log1p(max(counts, default=0.0)) or 1.0
        return [
            u.best.score * (1 + weight * math.log1p(n) / most)
            for u, n in zip(units, counts, strict=True)
        ]

    return rescore if weight else None


def main() -> None:
    args = rv.arguments(__doc__.splitlines()[0]).parse_args()
    cases = rv.cases_of(args)
    calls = name_calls(Path(args.home).resolve(), {c.corpus for c in cases}, args.embedder)
    weights = {f"centrality {w}": w for w in (0.0, 0.1, 0.2, 0.4)}
    ranks = rv.ranks_of(
        cases, weights, lambda case, w: rv.top(case, RULES, prior(calls[case.corpus], w))
    )
    rv.show(rv.summarize(ranks))


if __name__ == "__main__":
    main()
