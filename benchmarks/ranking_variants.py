"""Ranking rules compared on the evaluation corpora, each on the same index and candidates.

For every question of benchmarks/eval_queries.csv this fetches the semantic and lexical
candidate lists once (as search does: the query embedded by the project's model, the
lexical plan from its statistics), with each candidate's file, symbol, kind and unit (see
codelens._search.grouping), then re-ranks them offline under each variant and scores
MRR@10 and Recall@1/10 per mode, corpus and kind (shared / wordless). Nothing is
re-embedded, so a variant costs milliseconds; only the kept ones go into codelens, and
benchmarks/evaluate.py then checks them end to end.

    .venv/bin/python benchmarks/evaluate.py --home /tmp/cl-eval        # index first
    .venv/bin/python benchmarks/ranking_variants.py --home /tmp/cl-eval
"""

from __future__ import annotations

import argparse
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pandas as pd

from codelens import Settings, Workspace
from codelens._db.model_record import search_embedder
from codelens._search.engine import CANDIDATES, _semantic
from codelens._search.evaluate import _METRICS, _scores
from codelens._search.filters import Filters
from codelens._search.fusion import SEMANTIC_WEIGHT, K
from codelens._search.lexical import lexical_hits, plan_terms
from codelens._search.query import query_cache, query_terms

HERE = Path(__file__).parent
DEPTH = 200  # candidates kept per mode; a variant reads as deep as it needs
_META = """
WITH hits AS MATERIALIZED (SELECT id, file_id, symbol, kind FROM chunks WHERE id = ANY(%(ids)s)),
siblings AS (
    SELECT s.id, s.file_id, s.chunk_index,
           s.chunk_index - row_number() OVER (
               PARTITION BY s.file_id, s.symbol, s.kind ORDER BY s.chunk_index) AS island,
           s.symbol, s.kind
    FROM chunks s WHERE (s.file_id, s.symbol, s.kind) IN (SELECT file_id, symbol, kind FROM hits)
)
SELECT s.id, c.path, s.symbol, s.kind,
       min(s.id) OVER (PARTITION BY s.file_id, s.symbol, s.kind, s.island) AS unit
FROM siblings s JOIN chunks c ON c.id = s.id WHERE s.id = ANY(%(ids)s)
"""


@dataclass(frozen=True)
class Meta:
    path: str
    symbol: str
    kind: str
    unit: int


@dataclass
class Case:
    corpus: str
    kind: str
    question: str
    path: str
    symbol: str
    semantic: list[tuple[int, float]]
    lexical: list[tuple[int, float]]
    meta: dict[int, Meta]


# A ranked list of chunk ids with their scores, best first.
Ranked = list[tuple[int, float]]


def collect(home: Path, queries: pd.DataFrame) -> list[Case]:
    workspace = Workspace(Settings(home=home))
    cases = []
    try:
        for corpus, mine in queries.groupby("corpus", sort=False):
            handle = workspace.get(f"eval-{corpus}").handle
            embedder = search_embedder(handle)
            with handle.connection() as conn:
                for q in mine.to_dict("records"):
                    text = str(q["question"])
                    vector = query_cache.embed(embedder, text)
                    semantic = _semantic(conn, vector, Filters(), DEPTH)
                    terms = query_terms(conn, text)
                    lexical = (
                        lexical_hits(conn, text, plan_terms(conn, terms), Filters(), DEPTH)
                        if terms
                        else []
                    )
                    ids = list({i for i, _ in semantic} | {i for i, _ in lexical})
                    meta = {
                        int(r[0]): Meta(str(r[1]), str(r[2]), str(r[3]), int(r[4]))
                        for r in conn.execute(_META, {"ids": ids}).fetchall()
                    }
                    cases.append(
                        Case(
                            str(corpus),
                            str(q["kind"]),
                            text,
                            str(q["path"]),
                            str(q["symbol"]),
                            semantic,
                            lexical,
                            meta,
                        )
                    )
    finally:
        workspace.close()
    return cases


def fuse(
    semantic: Sequence[tuple[int, float]],
    lexical: Sequence[tuple[int, float]],
    semantic_weight: float = SEMANTIC_WEIGHT,
) -> Ranked:
    scores: dict[int, float] = {}
    for rank, (cid, _) in enumerate(semantic, 1):
        scores[cid] = semantic_weight / (K + rank)
    for rank, (cid, coverage) in enumerate(lexical, 1):
        scores[cid] = scores.get(cid, 0.0) + min(max(coverage, 0.0), 1.0) / (K + rank)
    return sorted(scores.items(), key=lambda kv: -kv[1])


_CODE_TOKEN = re.compile(
    r"[A-Za-z0-9]*(?:_[A-Za-z0-9]|[a-z][A-Z]|\.[A-Za-z])[\w.]*|[A-Z]\w*[A-Z]\w*"
)


def identifier_like(question: str) -> bool:
    """A question that names code: a snake_case, camelCase or dotted token in it."""
    return any(_CODE_TOKEN.fullmatch(t) for t in question.split())


@dataclass(frozen=True)
class Variant:
    name: str
    group: bool = False
    module_factor: float = 1.0  # module code's score times this
    per_file: int = 0  # at most this many results per file (0: no cap)
    weights: Callable[[str], float] | None = None  # semantic weight by question (hybrid)


def ranked(case: Case, mode: str, variant: Variant, depth: int) -> Ranked:
    if mode == "semantic":
        return case.semantic[:depth]
    if mode == "lexical":
        return case.lexical[:depth]
    weight = variant.weights(case.question) if variant.weights else SEMANTIC_WEIGHT
    return fuse(case.semantic[:depth], case.lexical[:depth], weight)


def top(case: Case, mode: str, variant: Variant, limit: int = 10) -> list[Meta]:
    depth = CANDIDATES if mode == "hybrid" else math.ceil(limit * 1.5) + 5
    while True:
        hits = ranked(case, mode, variant, depth)
        if variant.module_factor != 1.0:
            hits = sorted(
                (
                    (cid, s * variant.module_factor if case.meta[cid].kind == "module" else s)
                    for cid, s in hits
                ),
                key=lambda kv: -kv[1],
            )
        out: list[Meta] = []
        seen: set[int] = set()
        per_file: dict[str, int] = {}
        spill: list[Meta] = []
        for cid, _ in hits:
            m = case.meta[cid]
            key = m.unit if variant.group else cid
            if key in seen:
                continue
            seen.add(key)
            if variant.per_file and per_file.get(m.path, 0) >= variant.per_file:
                spill.append(m)
                continue
            per_file[m.path] = per_file.get(m.path, 0) + 1
            out.append(m)
        out.extend(spill)
        full = max(len(case.semantic[:depth]), len(case.lexical[:depth])) >= depth
        if len(out) >= limit or not full or depth >= DEPTH or not variant.group:
            return out[:limit]
        depth = min(depth * 2, DEPTH)


def hit(m: Meta, case: Case) -> bool:
    got, want = m.symbol, case.symbol
    same = got == want or got.endswith("." + want) or want.endswith("." + got)
    return m.path == case.path and same


def score(cases: list[Case], variants: list[Variant], modes: Sequence[str]) -> pd.DataFrame:
    rows = []
    for variant in variants:
        for mode in modes:
            for case in cases:
                found = top(case, mode, variant)
                rank = next((i for i, m in enumerate(found, 1) if hit(m, case)), None)
                rows.append(
                    {
                        "variant": variant.name,
                        "mode": mode,
                        "corpus": case.corpus,
                        "kind": case.kind,
                        "rank": rank,
                    }
                )
    ranks = pd.DataFrame(rows).astype({"rank": "Int64"})
    every = pd.concat([ranks, ranks.assign(corpus="all"), ranks.assign(kind="all")])
    every = pd.concat([every, ranks.assign(corpus="all", kind="all")])
    keys = ["variant", "mode", "corpus", "kind"]
    table = every.groupby(keys, sort=False)["rank"].apply(_scores).unstack()[_METRICS]
    return table.astype({"queries": "int64"})


def lean(identifier: float, sentence: float) -> Callable[[str], float]:
    def weight(question: str) -> float:
        return identifier if identifier_like(question) else sentence

    return weight


VARIANTS = [
    Variant("chunks (before)"),
    Variant("grouped", group=True),
    Variant("grouped, module x0.9", group=True, module_factor=0.9),
    Variant("grouped, module x0.8", group=True, module_factor=0.8),
    Variant("grouped, module x0.6", group=True, module_factor=0.6),
    Variant("grouped, 2 per file", group=True, per_file=2),
    Variant("grouped, 3 per file", group=True, per_file=3),
    Variant("grouped, weights 0.3/0.7", group=True, weights=lean(0.3, 0.7)),
    Variant("grouped, weights 0.5/0.7", group=True, weights=lean(0.5, 0.7)),
    Variant("grouped, weights 0.7/0.9", group=True, weights=lean(0.7, 0.9)),
    Variant("grouped, weights 0.5/0.9", group=True, weights=lean(0.5, 0.9)),
    Variant(
        "grouped, module x0.8, w 0.5/0.7", group=True, module_factor=0.8, weights=lean(0.5, 0.7)
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default="/tmp/cl-eval", help="CODELENS_HOME of the indexes")
    parser.add_argument("--queries", type=Path, default=HERE / "eval_queries.csv")
    parser.add_argument("--corpus", action="append", help="only this corpus")
    parser.add_argument("--csv", type=Path, help="also write the table to this CSV file")
    args = parser.parse_args()
    queries = pd.read_csv(args.queries)
    if args.corpus:
        queries = queries.loc[queries["corpus"].isin(args.corpus)]
    queries["kind"] = queries["shares_words"].map({True: "shared", False: "wordless"})
    cases = collect(Path(args.home).resolve(), queries)
    table = score(cases, VARIANTS, ("hybrid", "semantic", "lexical"))
    if args.csv:
        table.to_csv(args.csv)
    print(f"{len(cases)} questions; MRR@10 and R@10 for all questions, R@10 for wordless ones")
    print(compact(table))


def compact(table: pd.DataFrame) -> str:
    """One line per mode and variant: per corpus, MRR@10 / R@10 (all) / R@10 (wordless)."""
    flat = table.reset_index()
    lines = []
    corpora = list(dict.fromkeys(flat["corpus"]))
    for mode in dict.fromkeys(flat["mode"]):
        lines.append(f"\n{mode:<30}" + "".join(f"{c:>20}" for c in corpora))
        for variant in dict.fromkeys(flat["variant"]):
            cells = []
            for corpus in corpora:
                mine = flat[(flat["mode"] == mode) & (flat["variant"] == variant)]
                mine = mine[mine["corpus"] == corpus].set_index("kind")
                cells.append(
                    f"{mine.loc['all', 'mrr@10']:.3f}/{mine.loc['all', 'recall@10']:.3f}"
                    f"/{mine.loc['wordless', 'recall@10']:.3f}"
                    if "wordless" in mine.index
                    else "-"
                )
            lines.append(f"  {variant:<28}" + "".join(f"{c:>20}" for c in cells))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
