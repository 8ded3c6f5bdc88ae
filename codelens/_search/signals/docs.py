"""Docs below code: prose ranks below code of similar score, unless the query asks for it.

A result whose ``category`` is docs (Markdown, reStructuredText, plain text; see
:mod:`codelens._search.category`) has its final score multiplied by ``factor``, after
per-file saturation, so it comes below every code result scoring more than ``factor``
times its own; a query with a word that asks for documentation ("docs", "readme",
"guide", "tutorial", "changelog"; the path priors' list) keeps it as it is.

The path priors already weigh prose files and ``docs/`` folders (x0.2) before
saturation; saturation then lowers the fourth or fifth result of the one code file that
answers, and prose filled the bottom of the page: with every earlier rule, 0.91, 1.94 and
0.73 docs results per question about code in the top 10 of attrs, structlog and semver.

MEASURED
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
