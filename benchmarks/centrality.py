"""How central a definition or a file is, as a ranking prior: measured offline.

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

The same for files, for questions about how a codebase works (whose answer is often the
file the rest depends on): a unit's fused score times ``1 + weight * place``, where
``place`` is its file's place (0 to 1) among the project's files by how many other files
use a name it defines (names defined in at most three files), for questions in words.
Measured on all 533 file questions and 168 definition questions (22 corpora of
/tmp/cl-eval, ONNX MiniLM, chunker version 7): files NDCG@10 0.802 / 0.804 / 0.805 /
0.801 for weights 0, 0.1, 0.2, 0.4 (architecture 0.680 / 0.685 / 0.688 / 0.682),
definitions MRR@10 0.674 / 0.672 / 0.676 / 0.676. At 0.2, 10 of the 17 codebases with
file questions rose and 6 fell (googletest +0.033, penlight +0.027; attrs and indexmap
-0.009, thor -0.008); on the earlier vectors (chunker version 6) the same count and a PageRank over
the graph gave 0.798 -> 0.792-0.798. Too small and too mixed for a stored count per
file: not kept.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import ranking_variants as rv

from codelens._search.grouping import Unit
from codelens._search.signals import RULES


def name_calls(home: Path, corpora: set[str], embedder: str) -> dict[str, dict[str, float]]:
    """Per corpus: calls of each name, divided by how many files define it past five."""
    out = {}
    for corpus, handle in rv.each_project(home, corpora, embedder):
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
    return out


def file_places(home: Path, corpora: set[str], embedder: str) -> dict[str, dict[int, float]]:
    """Per corpus: each file's place (0 to 1) among the project's files by how many other
    files use a name it defines (names defined in more than three files left out)."""
    out = {}
    for corpus, handle in rv.each_project(home, corpora, embedder):
        with handle.connection() as conn:
            uses = conn.execute("SELECT DISTINCT file_id, name FROM symbol_refs").fetchall()
            defined = conn.execute(
                "SELECT name, array_agg(DISTINCT file_id) FROM definitions GROUP BY name"
            ).fetchall()
        where = {name: files for name, files in defined if len(files) <= 3}
        users: dict[int, set[int]] = {}
        for user, name in uses:
            for file in where.get(name, ()):
                if file != user:
                    users.setdefault(file, set()).add(user)
        order = sorted(users, key=lambda f: len(users[f]))
        out[corpus] = {f: i / max(1, len(order) - 1) for i, f in enumerate(order)}
    return out


def file_prior(places: dict[int, float], weight: float, case: rv.Case):  # type: ignore[no-untyped-def]
    """Each unit's fused score times 1 + ``weight`` x its file's place, for questions in words."""

    def rescore(units: list[Unit]) -> list[float]:
        return [u.best.score * (1 + weight * places.get(u.place.file_id, 0.0)) for u in units]

    return rescore if weight and not case.shape.is_symbol else None


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
    places = file_places(Path(args.home).resolve(), {c.corpus for c in cases}, args.embedder)
    weights = {f"centrality {w}": w for w in (0.0, 0.1, 0.2, 0.4)}
    ranks = rv.ranks_of(
        cases, weights, lambda case, w: rv.top(case, RULES, prior(calls[case.corpus], w))
    )
    rv.show(rv.summarize(ranks))
    weights = {f"file users {w}": w for w in (0.0, 0.1, 0.2, 0.4)}
    ranks = rv.ranks_of(
        cases,
        weights,
        lambda case, w: rv.top(case, RULES, file_prior(places[case.corpus], w, case)),
    )
    rv.show(rv.summarize(ranks))


if __name__ == "__main__":
    main()
