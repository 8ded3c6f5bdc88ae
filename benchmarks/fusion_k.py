"""Reciprocal rank fusion's constant K, re-read with every ranking rule: offline.

``codelens._search.fusion.K`` (10) was tuned on the definition questions before the file
questions and the ranking rules existed. This ranks the candidates of
benchmarks/ranking_variants.py with the rules as search applies them, fusing the two lists
with other values of K.

    .venv/bin/python benchmarks/fusion_k.py --home /tmp/cl-eval

Measured (ONNX MiniLM, chunker version 7, 22 corpora of /tmp/cl-eval, 533 file and 168
definition questions), K 5 / 10 / 20 / 40 / 60: files NDCG@10 0.802 / 0.802 / 0.803 /
0.801 / 0.799; definitions MRR@10 0.659 / 0.674 / 0.665 / 0.662 / 0.653, R@10 0.839 /
0.845 / 0.833 / 0.827 / 0.833. K 10 stays.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import ranking_variants as rv

from codelens._search import fusion
from codelens._search.grouping import Place
from codelens._search.signals import RULES

VALUES = (5.0, 10.0, 20.0, 40.0, 60.0)


def top_with_k(case: rv.Case, k: float) -> list[Place]:
    """The first places of ``case`` as hybrid search ranks them with fusion's K set to ``k``."""
    rv.fuse = lambda semantic, lexical, semantic_weight: fusion.fuse(
        semantic, lexical, k=k, semantic_weight=semantic_weight
    )
    try:
        return rv.top(case, RULES)
    finally:
        rv.fuse = fusion.fuse


def main() -> None:
    args = rv.arguments(__doc__.splitlines()[0]).parse_args()
    cases = rv.cases_of(args)
    ranks = rv.ranks_of(cases, {f"K {k:g}": k for k in VALUES}, top_with_k)
    rv.show(rv.summarize(ranks))


if __name__ == "__main__":
    main()
