"""Definition boost: the definition a query names comes first.

A symbol query (the whole query is a name, see :mod:`codelens._search.signals.shape`)
lifts each result that defines that name by ``boost`` times the best score, and by
``stem_factor`` times that again when the file is named after it too (``ConnectionPool``
in ``connection_pool.py``): a type and its module are what a user typing the name
wants, above its callers and its tests, which the fused score cannot tell apart. A name
written as code inside a sentence lifts its definitions by half as much.

A result defines a name when its symbol is the name, or ends with it after a ``.``
(``Router.handle`` for ``handle``; ``pkg.Router.handle`` for ``Router.handle``),
compared without case. Module code, prose sections and windows define nothing. When the
results hold a definition of the name as it is written, case included, one that matches
only without case (``IndexSet`` for ``indexset``, a Rust macro) gets half the boost; and
when they hold a type's own definition (``struct OccupiedEntry``), a block that only adds
to it (an ``impl`` in another file, a Swift ``extension``) gets half too. Measured end to
end (``benchmarks/evaluate.py``, NDCG@10) on the indexmap crate's symbol questions, the
only ones with such a pair: 0.872 -> 0.919 (``indexset``, ``OccupiedEntry``); offline,
no other question of the evaluation's 22 codebases moved.

Measured (benchmarks/ranking_variants.py, hybrid): alone on the plain fusion, definition
questions MRR@10 0.658 -> 0.678 (0.824 -> 0.870 on those that share a word with their
target), file questions of the symbol kind NDCG@10 0.979 -> 0.987; left out of all the
rules, MRR@10 0.668 -> 0.649 (file questions 0.793 -> 0.795).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codelens._search.signals.scored import top_score
from codelens._search.signals.shape import split_words

if TYPE_CHECKING:
    from codelens._search.grouping import Place
    from codelens._search.signals.scored import Scored
    from codelens._search.signals.shape import QueryShape

__all__ = ["LESSER", "boost_definitions", "defines"]

_NOT_DEFINITIONS = frozenset({"module", "section", "window", "cell", "output", ""})
# A block that adds to a type defined elsewhere: Rust's ``impl``, Swift's ``extension``.
_PARTS_OF_A_TYPE = frozenset({"impl"})
# The share of the boost for a definition matched only without case, or a part of a type,
# when the results also hold one matched with its case, or the type's own definition.
LESSER = 0.5


def defines(place: Place, name: str) -> bool:
    """Whether the result at ``place`` defines ``name`` (dotted)."""
    if place.kind in _NOT_DEFINITIONS or not place.symbol:
        return False
    return _names(place.symbol.lower(), name.lower())


def _names(symbol: str, name: str) -> bool:
    """Whether ``symbol`` is ``name``, or ends with it after a ``.``."""
    return symbol == name or symbol.endswith("." + name)


def _named_after(place: Place, name: str) -> bool:
    stem = place.path.rsplit("/", 1)[-1].split(".", 1)[0]
    return split_words(stem) == split_words(name.rsplit(".", 1)[-1])


def _exactly(place: Place, name: str) -> bool:
    """Whether ``place``, a definition of ``name``, names it as written, case included."""
    return _names(place.symbol, name)


def boost_definitions(
    scored: list[Scored], shape: QueryShape, boost: float, stem_factor: float
) -> None:
    """Add the boost of the module docstring to every result that defines a name the
    query gives."""
    names = [shape.symbol] if shape.symbol is not None else list(shape.mentioned)
    if not names or boost <= 0:
        return
    strength = boost * (1.0 if shape.symbol is not None else 0.5) * top_score(scored)
    found: list[tuple[Scored, str]] = []
    for item in scored:
        name = next((n for n in names if defines(item.place, n)), None)
        if name is not None:
            found.append((item, name))
    # Per name: the names some result defines as written, and those some result defines
    # as a type of its own.
    exact = {name for item, name in found if _exactly(item.place, name)}
    whole = {name for item, name in found if item.place.kind not in _PARTS_OF_A_TYPE}
    for item, name in found:
        gain = strength * (stem_factor if _named_after(item.place, name) else 1.0)
        if name in exact and not _exactly(item.place, name):
            gain *= LESSER
        if name in whole and item.place.kind in _PARTS_OF_A_TYPE:
            gain *= LESSER
        item.score += gain
