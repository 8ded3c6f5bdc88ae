"""A second meaning list: does fusing the first pass's (static) ranking with the project's
model's (MiniLM) ranking, as a third list beside the lexical one, rank better?

A project indexed with MiniLM and a first pass holds both models' vectors for every
chunk. Each model ranks the chunks by its own cosine (two models' cosines never meet in
one list); reciprocal rank fusion then adds a third term, ``extra / (K + static rank)``.
Offline on the evaluation's candidates (benchmarks/ranking_variants.py), every rule on;
two shapes: the static list *added* at ``extra`` beside MiniLM's 0.7, and the semantic
weight *split* between the two (MiniLM ``w (1 - a)``, static ``w a``).

    .venv/bin/python benchmarks/evaluate.py --home /tmp/cl-eval        # index first
    .venv/bin/python benchmarks/two_models.py --home /tmp/cl-eval
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import evaluate as bench
import pandas as pd
from ranking_variants import Case, arguments, cases_of, ranked_units, ranks_of, show, summarize

from codelens import Settings, Workspace
from codelens._db.first_pass import load_first_pass
from codelens._search.answering import Answering, answering
from codelens._search.engine import CANDIDATES, _semantic
from codelens._search.evaluate import file_scores
from codelens._search.filters import Filters
from codelens._search.fusion import Fused, K
from codelens._search.grouping import Place, units_of
from codelens._search.query import query_cache
from codelens._search.signals import RULES, semantic_weight


def static_lists(home: Path, cases: list[Case], embedder: str) -> list[list[tuple[int, float]]]:
    """For each case, the first pass's own ranking of the project's chunks (and the units
    of the chunks it adds to the case's candidates, stored in the case)."""
    out: list[list[tuple[int, float]]] = []
    workspace = Workspace(Settings(home=home))
    try:
        by_corpus: dict[str, list[int]] = {}
        for i, case in enumerate(cases):
            by_corpus.setdefault(case.corpus, []).append(i)
        found: dict[int, list[tuple[int, float]]] = {}
        for corpus, indexes in by_corpus.items():
            handle = workspace.get(bench.project_id(corpus, embedder)).handle
            with handle.connection() as conn:
                main = answering(conn, handle)
                first = load_first_pass("static")
                assert first is not None
                answer = Answering(first, "first_vector", main.model, True)
                for i in indexes:
                    case = cases[i]
                    vector = query_cache.embed(first, case.question)
                    ranked = _semantic(conn, answer, vector, Filters(), CANDIDATES)
                    new = [cid for cid, _ in ranked if cid not in case.units]
                    case.units.update(units_of(conn, new))
                    found[i] = ranked
                conn.rollback()
        out = [found[i] for i in range(len(cases))]
    finally:
        workspace.close()
    return out


def fuse3(
    lists: Sequence[tuple[Sequence[tuple[int, float]], float]],
    lexical: Sequence[tuple[int, float]],
    main: Sequence[tuple[int, float]],
) -> list[Fused]:
    """Weighted RRF of several meaning lists (each with its weight) and the lexical list
    (weighted by coverage, as codelens fuses); semantic_rank is MiniLM's."""
    scores: dict[int, float] = {}
    for ranked, weight in lists:
        for r, (cid, _) in enumerate(ranked, 1):
            scores[cid] = scores.get(cid, 0.0) + weight / (K + r)
    lex_rank = {cid: r for r, (cid, _) in enumerate(lexical, 1)}
    for cid, coverage in lexical:
        scores[cid] = scores.get(cid, 0.0) + min(max(coverage, 0.0), 1.0) / (K + lex_rank[cid])
    sem_rank = {cid: r for r, (cid, _) in enumerate(main, 1)}
    fused = [Fused(c, s, sem_rank.get(c), lex_rank.get(c)) for c, s in scores.items()]
    fused.sort(key=lambda f: (-f.score, f.semantic_rank or math.inf, f.id))
    return fused


def main() -> None:
    args = arguments(__doc__.splitlines()[0]).parse_args()
    cases = cases_of(args)
    statics = static_lists(Path(args.home).resolve(), cases, args.embedder)
    extra = {id(c): s for c, s in zip(cases, statics, strict=True)}

    def top_of(case: Case, variant: tuple[str, float]) -> list[Place]:
        shape, value = variant
        w = semantic_weight(case.shape, RULES)
        static = extra[id(case)]
        if shape == "static only":
            lists = [(static, w)]
        elif shape == "added":
            lists = [(case.semantic, w), (static, value)]
        else:  # split
            lists = [(case.semantic, w * (1 - value)), (static, w * value)]
        fused = fuse3(lists, case.lexical, case.semantic)
        return [u.place for u in ranked_units(case, fused, RULES)]

    variants: dict[str, object] = {"today (MiniLM + lexical)": ("added", 0.0)}
    variants["static + lexical"] = ("static only", 0.0)
    for value in (0.2, 0.35, 0.5, 0.7):
        variants[f"static added at {value}"] = ("added", value)
    for value in (0.25, 0.4, 0.5):
        variants[f"split, static {value}"] = ("split", value)
    ranks = ranks_of(cases, variants, top_of)
    show(summarize(ranks))
    files = ranks.loc[ranks["set"] == "files"]
    per = (
        files.groupby(["variant", "corpus"], sort=False)
        .apply(lambda g: float(file_scores(g)["ndcg@10"]), include_groups=False)
        .unstack("variant")
    )
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 250):
        print("\nfiles NDCG@10 per corpus")
        print(per.to_string())


if __name__ == "__main__":
    main()
