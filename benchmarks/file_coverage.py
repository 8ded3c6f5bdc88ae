"""How much of a question's words a candidate's whole file holds, as a ranking prior: offline.

Architecture questions ("how are plugins discovered") are answered by a file whose words
are spread over many chunks, none holding them all. This re-ranks the candidates of
benchmarks/ranking_variants.py with each unit's fused score, for questions in words,
multiplied by ``1 + weight * coverage``, where ``coverage`` is the share of the query's
idf mass (its lexical plan's terms and weights) found anywhere in the unit's file (the
union of its chunks' full-text lexemes), then applies the ranking rules as search does.

    .venv/bin/python benchmarks/file_coverage.py --home /tmp/cl-eval

Measured (ONNX MiniLM, chunker version 7, 22 corpora of /tmp/cl-eval, 533 file and 168
definition questions; weight 0 = today's rules): files NDCG@10 0.802 / 0.804 / 0.803 /
0.805 / 0.807 for weights 0, 0.1, 0.2, 0.4, 0.8 (architecture 0.680 -> 0.691 at 0.8),
definitions MRR@10 0.674 -> 0.678 (tqdm 0.676 -> 0.697), R@10 0.845 unchanged. At 0.8,
9 of the 17 codebases with file questions rose and 5 fell (googletest +0.031, capacitor-ios
+0.026, gocmp +0.025; attrs -0.012, thor -0.011, brotli -0.008). As small as the file
users prior (benchmarks/centrality.py), and it would read the lexemes of every chunk of
the head's files in each search: not kept.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import ranking_variants as rv

from codelens._search.grouping import Unit
from codelens._search.lexical import TermPlan, plan_query
from codelens._search.signals import RULES


def file_lexemes(
    home: Path, corpora: Iterable[str], embedder: str
) -> dict[str, dict[int, set[str]]]:
    """Per corpus: each file's full-text lexemes, over all its chunks."""
    out = {}
    for corpus, handle in rv.each_project(home, corpora, embedder):
        with handle.connection() as conn:
            rows = conn.execute(
                "SELECT c.file_id, array_agg(DISTINCT t.lexeme) FROM chunks c,"
                " unnest(c.search_tsv) t GROUP BY c.file_id"
            ).fetchall()
        out[corpus] = {int(f): set(words) for f, words in rows}
    return out


def plans(
    home: Path, cases: list[rv.Case], embedder: str
) -> dict[tuple[str, str], TermPlan | None]:
    """Each question's lexical plan (its terms and their idf), as search makes it."""
    by_corpus: dict[str, list[rv.Case]] = {}
    for case in cases:
        by_corpus.setdefault(case.corpus, []).append(case)
    out = {}
    for corpus, handle in rv.each_project(home, by_corpus, embedder):
        with handle.connection() as conn:
            for case in by_corpus[corpus]:
                out[(corpus, case.question)] = plan_query(conn, case.question)
    return out


def coverage_prior(
    lexemes: dict[int, set[str]], plan: TermPlan | None, weight: float, case: rv.Case
) -> Callable[[list[Unit]], list[float]] | None:
    """Each unit's fused score times 1 + ``weight`` x its file's share of the query's idf."""
    if not weight or plan is None or case.shape.is_symbol:
        return None
    total = sum(plan.idf.get(t, 0.0) for t in plan.terms) or 1.0

    def share(file_id: int) -> float:
        held = lexemes.get(file_id, set())
        return sum(plan.idf.get(t, 0.0) for t in plan.terms if t in held) / total

    def rescore(units: list[Unit]) -> list[float]:
        return [u.best.score * (1 + weight * share(u.place.file_id)) for u in units]

    return rescore


def main() -> None:
    args = rv.arguments(__doc__.splitlines()[0]).parse_args()
    cases = rv.cases_of(args)
    home = Path(args.home).resolve()
    lexemes = file_lexemes(home, {c.corpus for c in cases}, args.embedder)
    planned = plans(home, cases, args.embedder)
    weights = {f"file coverage {w}": w for w in (0.0, 0.1, 0.2, 0.4, 0.8)}
    ranks = rv.ranks_of(
        cases,
        weights,
        lambda case, w: rv.top(
            case,
            RULES,
            coverage_prior(lexemes[case.corpus], planned[(case.corpus, case.question)], w, case),
        ),
    )
    rv.show(rv.summarize(ranks))


if __name__ == "__main__":
    main()
