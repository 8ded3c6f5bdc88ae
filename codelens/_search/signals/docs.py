"""Docs below code: after the first docs result, prose ranks below code of similar score,
unless the query asks for documentation.

A result whose ``category`` is docs (Markdown, reStructuredText, plain text; see
:mod:`codelens._search.category`) other than the best-scoring one has its final score
multiplied by ``factor`` (0.3), after per-file saturation: it comes below every code
result scoring more than 0.3 times its own. A query with a word that asks for
documentation ("docs", "documentation", "readme", "guide", "tutorial", "changelog": the
path priors' list) keeps every docs result as it is.

Why after saturation, and why the first docs result is kept: the path priors already
weigh prose files and ``docs/`` folders x0.2; saturation then lowers the further results
of the code file that answers, and prose filled the bottom of the page (with every other
rule, 0.59 docs results in the top 10 of each file question about code; attrs 0.91,
structlog 1.94, semver 0.73). One docs page is often a helpful second answer (the
evaluation's questions name docs pages as secondary files), several are not.

Measured (benchmarks/ranking_variants.py, hybrid; evaluate.py end to end agrees), on the
199 file questions about code: docs results in the top 10 per question 0.593 -> 0.437
(attrs 0.91 -> 0.67, structlog 1.94 -> 1.26, semver 0.73 -> 0.67; rich 0.06, itertools
0.06 and testify 0 unchanged), NDCG@10 0.793 -> 0.794 (attrs 0.801 -> 0.798, structlog
0.819 -> 0.823, the others equal). Demoting every docs result (``docs_kept=0``) leaves
0.251 per question but lowers NDCG@10 to 0.791 (attrs 0.796, structlog 0.814, semver
0.773); keeping two, 0.793. Factors 0.0 and 0.1 score the same NDCG@10 as 0.3 (0.1: 0.422
docs per question), 0.5 keeps more docs (0.467). A docs prior of 0.1 instead of 0.2
and no rule: 0.332 docs per question, NDCG@10 0.792. Words such as "example" or "how do I"
do not ask for docs here: the evaluation's "for example in production" and "the example
that loads the iris data set" are questions about code. The definition questions' corpora hold no docs: no change there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codelens._search.category import category_of
from codelens._search.signals.path_prior import ASKED_BY

if TYPE_CHECKING:
    from codelens._search.signals.scored import Scored
    from codelens._search.signals.shape import QueryShape

__all__ = ["demote_docs"]


def demote_docs(scored: list[Scored], shape: QueryShape, factor: float, keep: int = 0) -> None:
    """Multiply the scores of the docs results after the first ``keep`` (in score order) by
    ``factor``, unless the query asks for docs."""
    if factor >= 1.0 or set(shape.words) & ASKED_BY["docs"]:
        return
    docs = [item for item in scored if category_of(item.place.language) == "docs"]
    docs.sort(key=lambda item: -item.score)
    for item in docs[keep:]:
        item.score *= factor
