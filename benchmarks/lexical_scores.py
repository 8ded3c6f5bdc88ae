"""BM25 for the lexical list, against codelens's coverage score: measured offline, not kept.

Lexical search scores a chunk by coverage, the share of the query's idf mass it contains
(codelens/_search/lexical.py): no term frequency, no length norm. The best peer ranks its
lexical list by BM25 (k1 1.5, b 0.75). This scores every chunk that holds a query term
by BM25 over the same tokens (each chunk's stored tsvector: the symbol's, the path's
and the body's words, split and stemmed as search splits them; the symbol's and path's
positions counted ``--field`` times in the BM25F rows), takes the first ``CANDIDATES`` as
the lexical list, and ranks every question of benchmarks/evaluate.py under codelens's
fusion, grouping and ranking rules with it (the lexical list's fusion weight: its
coverage, BM25 over the list's best, or 1). The semantic list is the project's own.

    .venv/bin/python benchmarks/lexical_scores.py --home /tmp/cl-eval

Measured (ONNX MiniLM, 2026-12-06, with every rule of that day; the 201 file questions
over six codebases and the 168 definition questions; hybrid, lexical alone in brackets):

| lexical list | files NDCG@10 | definitions MRR@10 | R@10 | wordless R@10 |
|---|---|---|---|---|
| coverage (codelens) | 0.808 (0.620) | 0.674 (0.569) | 0.845 | 0.747 |
| BM25, weight coverage | 0.808 (0.611) | 0.654 (0.551) | 0.851 | 0.747 |
| BM25, weight BM25 / best | 0.808 | 0.625 | 0.821 | 0.695 |
| BM25, weight 1 | 0.807 | 0.620 | 0.810 | 0.674 |
| BM25 b 0.3, weight coverage | 0.812 (0.608) | 0.657 (0.560) | 0.839 | 0.737 |
| BM25 b 0.3, weight BM25 / best | 0.812 | 0.632 | 0.821 | 0.705 |
| BM25F (path x2, symbol x3), weight BM25 / best | 0.808 (0.625) | 0.626 (0.564) | 0.804 | 0.663 |
| coverage, ties by BM25 | 0.810 (0.577) | 0.668 (0.558) | 0.857 | 0.758 |

BM25 moves file questions by -0.001 to +0.004 and costs definition questions 0.017 to
0.054 MRR@10; alone it is no better than coverage on either set, and far worse on symbol
questions (0.79-0.85 against 0.993 NDCG@10: a name's chunk is no longer first among the
chunks that repeat it). Coverage stays.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import evaluate as bench
import pandas as pd
import ranking_variants as rv

from codelens import Settings, Workspace
from codelens._search.answering import answering
from codelens._search.engine import CANDIDATES, _semantic
from codelens._search.file_cosines import file_cosines_later
from codelens._search.filters import Filters
from codelens._search.grouping import units_of
from codelens._search.lexical import lexical_hits, plan_query
from codelens._search.query import query_cache
from codelens._search.signals import RULES, shape_of

_ENTRY = re.compile(r"'((?:[^']|'')*)'(?::([0-9A-D,]+))?")
K1 = 1.2


def term_counts(tsvector: str) -> dict[str, tuple[int, int, int]]:
    """Lexeme -> its positions in the body, the path and the symbol, from a tsvector's
    text form (weight A: the symbol's words, B: the path's)."""
    counts = {}
    for match in _ENTRY.finditer(tsvector):
        positions = (match[2] or "1").split(",")
        symbol = sum(p[-1] == "A" for p in positions)
        path = sum(p[-1] == "B" for p in positions)
        counts[match[1].replace("''", "'")] = (len(positions) - symbol - path, path, symbol)
    return counts


def lists(
    docs: dict[int, dict[str, tuple[int, int, int]]], terms: list[str], idf: dict[str, float]
) -> dict[str, list[tuple[int, float]]]:
    """The variants' lexical lists for one question (see the module docstring)."""
    n = len(docs)
    df = Counter(t for d in docs.values() for t in terms if t in d)
    bm_idf = {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in terms}
    length = {i: sum(map(sum, d.values())) for i, d in docs.items()}
    mean = sum(length.values()) / max(n, 1)
    weights = [max(idf.get(t, 0.0), 0.0) for t in terms]
    if not any(weights):
        weights = [1.0] * len(terms)
    rows = []
    for i, d in docs.items():
        if not any(t in d for t in terms):
            continue
        coverage = sum(w for t, w in zip(terms, weights, strict=True) if t in d) / sum(weights)
        scores = {}
        # (name, b, how many times a path's and a symbol's position count)
        for name, b, fields in (
            ("bm25", 0.75, (1, 1)),
            ("bm25 b0.3", 0.3, (1, 1)),
            ("bm25f", 0.75, (2, 3)),
        ):
            total = 0.0
            for t in terms:
                if t in d:
                    body, path, symbol = d[t]
                    tf = body + fields[0] * path + fields[1] * symbol
                    norm = K1 * (1 - b + b * length[i] / mean)
                    total += bm_idf[t] * tf * (K1 + 1) / (tf + norm)
            scores[name] = total
        rows.append((i, coverage, scores))
    out: dict[str, list[tuple[int, float]]] = {}
    for name in ("bm25", "bm25 b0.3", "bm25f"):
        ranked = sorted(rows, key=lambda r: (-r[2][name], r[0]))[:CANDIDATES]
        best = ranked[0][2][name] if ranked else 1.0
        out[f"{name}, weight coverage"] = [(i, c) for i, c, _ in ranked]
        out[f"{name}, weight BM25 / best"] = [(i, s[name] / best) for i, _, s in ranked]
        out[f"{name}, weight 1"] = [(i, 1.0) for i, _, _ in ranked]
    ties = sorted(rows, key=lambda r: (-round(r[1], 9), -r[2]["bm25"], r[0]))[:CANDIDATES]
    out["coverage, ties by BM25"] = [(i, c) for i, c, _ in ties]
    return out


def collect(home: Path, sets: dict[str, pd.DataFrame]) -> dict[str, list[rv.Case]]:
    """Each variant's cases: the same questions and semantic lists, its own lexical list."""
    workspace = Workspace(Settings(home=home))
    cases: dict[str, list[rv.Case]] = {}
    try:
        for set_name, queries in sets.items():
            for corpus, mine in queries.groupby("corpus", sort=False):
                handle = workspace.get(bench.project_id(str(corpus), "onnx")).handle
                with handle.connection() as conn:
                    rows = conn.execute("SELECT id, search_tsv::text FROM chunks")
                    docs = {int(i): term_counts(t) for i, t in rows}
                    answer = answering(conn, handle)
                    for q in mine.to_dict("records"):
                        text = str(q["question"])
                        vector = query_cache.embed(answer.embedder, text)
                        semantic = _semantic(conn, answer, vector, Filters(), CANDIDATES)
                        plan = plan_query(conn, text)
                        own = lexical_hits(conn, text, plan, Filters(), CANDIDATES) if plan else []
                        variants = {"coverage (codelens)": own}
                        if plan:
                            variants |= lists(docs, list(plan.terms), dict(plan.idf))
                        ids = list({i for hits in [semantic, *variants.values()] for i, _ in hits})
                        units = units_of(conn, ids)
                        cosines = file_cosines_later(conn, answer, vector, ids)()
                        expected = {str(k): v for k, v in q.items()}
                        for name, lexical in variants.items():
                            cases.setdefault(name, []).append(
                                rv.Case(
                                    set_name,
                                    str(corpus),
                                    str(q["kind"]),
                                    text,
                                    expected,
                                    shape_of(text),
                                    semantic,
                                    lexical,
                                    units,
                                    cosines,
                                )
                            )
                    conn.rollback()
    finally:
        workspace.close()
    return cases


def lexical_alone(case: rv.Case) -> list[rv.Place]:
    """The places lexical search shows: the list's own order, grouped."""
    fused = [rv.Fused(i, -r, None, r) for r, (i, _) in enumerate(case.lexical, 1)]
    return [u.place for u in rv.rank_units(fused, case.units, rv.LIMIT)]


def main() -> None:
    parser = rv.arguments(__doc__.splitlines()[0])
    args = parser.parse_args()
    sets = bench.load_sets(args.corpus, args.set or list(bench.SETS))
    rows = []
    for name, cases in collect(Path(args.home).resolve(), sets).items():
        for case in cases:
            for mode, places in (("hybrid", rv.top(case, RULES)), ("lexical", lexical_alone(case))):
                rows.append(
                    {"variant": f"{mode}: {name}", "set": case.set, "corpus": case.corpus}
                    | {"kind": case.kind}
                    | rv._measure(case, places)
                )
    rv.show(rv.summarize(pd.DataFrame(rows).astype({"rank": "Int64"})))


if __name__ == "__main__":
    main()
