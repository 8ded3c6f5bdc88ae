"""Fusion's settings re-read with every ranking rule: its constant K, and how deep the lists go.

``codelens._search.fusion.K`` (10) and the depth of each list (``CANDIDATES``, 50, of
which hybrid search re-ranks a head of 50) were chosen on the definition questions before
the file questions and the ranking rules existed. This ranks the candidates of
benchmarks/ranking_variants.py (fetched 100 deep) with the rules as search applies them,
under other values of each.

    .venv/bin/python benchmarks/fusion_settings.py --home /tmp/cl-eval

Measured (ONNX MiniLM, chunker version 7, 22 corpora of /tmp/cl-eval, 533 file and 168
definition questions):

- K 5 / 10 / 20 / 40 / 60: files NDCG@10 0.802 / 0.802 / 0.803 / 0.801 / 0.799;
  definitions MRR@10 0.659 / 0.674 / 0.665 / 0.662 / 0.653, R@10 0.839 / 0.845 / 0.833 /
  0.827 / 0.833. K 10 stays.
- lists / head 50/50 (today), 100/50, 75/75, 100/100: files 0.802 / 0.802 / 0.805 / 0.806;
  definitions MRR@10 0.674 / 0.674 / 0.673 / 0.668, R@10 0.845 / 0.845 / 0.839 / 0.839.
  Deeper lists trade definitions for files within 0.004, at twice the rows grouped per
  search: 50/50 stays.
"""

from __future__ import annotations

import os
from dataclasses import replace

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import ranking_variants as rv

from codelens._search import engine, fusion
from codelens._search.grouping import Place
from codelens._search.signals import RULES

K_VALUES = (5.0, 10.0, 20.0, 40.0, 60.0)
DEPTHS = ((50, 50), (100, 50), (75, 75), (100, 100))  # each list's depth, the head re-ranked
DEEPEST = 100


def top_with_k(case: rv.Case, k: float) -> list[Place]:
    """The first places of ``case`` as hybrid search ranks them with fusion's K set to ``k``."""
    rv.fuse = lambda semantic, lexical, semantic_weight: fusion.fuse(
        semantic, lexical, k=k, semantic_weight=semantic_weight
    )
    try:
        return rv.top(replace(case, semantic=case.semantic[:50], lexical=case.lexical[:50]), RULES)
    finally:
        rv.fuse = fusion.fuse


def top_with_depth(case: rv.Case, depth: tuple[int, int]) -> list[Place]:
    """The first places of ``case`` with each list cut to ``depth[0]`` and a head of
    ``depth[1]`` fused candidates re-ranked."""
    lists, head = depth
    rv.hybrid_head = lambda limit: head
    try:
        cut = replace(case, semantic=case.semantic[:lists], lexical=case.lexical[:lists])
        return rv.top(cut, RULES)
    finally:
        rv.hybrid_head = engine.hybrid_head


def main() -> None:
    args = rv.arguments(__doc__.splitlines()[0]).parse_args()
    rv.CANDIDATES = DEEPEST  # fetched once this deep; each variant cuts its own depth
    cases = rv.cases_of(args)
    rv.show(rv.summarize(rv.ranks_of(cases, {f"K {k:g}": k for k in K_VALUES}, top_with_k)))
    depths = {f"lists/head {a}/{b}": (a, b) for a, b in DEPTHS}
    rv.show(rv.summarize(rv.ranks_of(cases, depths, top_with_depth)))


if __name__ == "__main__":
    main()
