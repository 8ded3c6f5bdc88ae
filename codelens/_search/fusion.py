"""Hybrid ranking: weighted reciprocal rank fusion of the semantic and lexical lists.

A chunk scores ``SEMANTIC_WEIGHT / (K + semantic rank) + coverage / (K + lexical rank)``,
ranks counted from 1 within each mode's candidate list; a mode that did not return the
chunk adds nothing. ``coverage`` is the lexical score: the share of the query's
information (idf mass) the chunk contains, 0..1.

Why weighted: with plain, equal-weight RRF (k=60), questions that share no word with the
code they look for lose to semantic search alone, because the lexical list is then ranked
on incidental words ("file", "return", "value") and its noise pushes good semantic hits
down. Measured on benchmarks/eval_queries.csv (MRR@10 on the 36 wordless questions):
semantic alone 0.45; plain RRF with lexical ranked by ts_rank_cd 0.17, with lexical
ranked by coverage 0.46; this fusion 0.55 (and 0.85 against 0.83 for lexical alone on the
32 questions that name their target). Weighting each lexical hit by its coverage keeps an
identifier match (coverage near 1) at full strength and makes a match on a few common
words count little. ``K`` and ``SEMANTIC_WEIGHT`` were tuned on that set; K from 5 to 30
with a semantic weight of 0.7 all do about as well.

Then hybrid results, grouped one per definition (see :mod:`codelens._search.grouping`),
are re-ranked by ``KIND_WEIGHTS``: module code (imports, constants, top-level statements)
counts 0.8 of its fused score, so that a definition that matches about as well comes
first. Measured with benchmarks/ranking_variants.py on 168 questions over five codebases
(the stdlib subset, jinja2, click, packaging, tqdm), on top of grouping: hybrid MRR@10
0.652 -> 0.656 and R@10 0.881 -> 0.887, equal or better on every codebase and kind
(0.9 and 0.6 do about as well). Tried and not kept: at most 2 or 3 results per file
(R@10 0.881 -> 0.786 / 0.839), and fusion weights by query (a question with a snake_case,
camelCase or dotted word leaning lexical at 0.3 or 0.5, a sentence leaning semantic at
0.9), which lowered MRR@10 on every codebase (0.652 -> 0.632..0.644).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["KIND_WEIGHTS", "SEMANTIC_WEIGHT", "Fused", "K", "fuse", "idf"]

K = 10.0
SEMANTIC_WEIGHT = 0.7
# Hybrid results: a unit's fused score times the weight of its kind (see grouping).
KIND_WEIGHTS: Mapping[str, float] = MappingProxyType({"module": 0.8})


@dataclass(frozen=True, slots=True)
class Fused:
    id: int
    score: float
    semantic_rank: int | None
    lexical_rank: int | None


def idf(frequencies: Mapping[str, float], terms: Sequence[str], floor: float) -> dict[str, float]:
    """Inverse document frequency per term from document fractions; terms the statistics do
    not list are rarer than ``floor`` (the least frequent listed fraction)."""
    return {t: math.log(1.0 / max(frequencies.get(t, floor), 1e-9)) for t in terms}


def fuse(
    semantic: Sequence[tuple[int, float]],
    lexical: Sequence[tuple[int, float]],
    *,
    k: float = K,
    semantic_weight: float = SEMANTIC_WEIGHT,
) -> list[Fused]:
    """Both ranked (id, score) lists fused, best first; ties go to the better semantic rank.
    Lexical scores are coverages in 0..1 and weigh their hit's contribution."""
    sem_rank = {cid: i for i, (cid, _) in enumerate(semantic, start=1)}
    lex_rank = {cid: i for i, (cid, _) in enumerate(lexical, start=1)}
    scores = {cid: semantic_weight / (k + r) for cid, r in sem_rank.items()}
    for cid, coverage in lexical:
        scores[cid] = scores.get(cid, 0.0) + min(max(coverage, 0.0), 1.0) / (k + lex_rank[cid])
    fused = [
        Fused(cid, score, sem_rank.get(cid), lex_rank.get(cid)) for cid, score in scores.items()
    ]
    fused.sort(key=lambda f: (-f.score, f.semantic_rank or math.inf, f.id))
    return fused
