"""The ranking rules of hybrid search, in the order they apply, with their measured effect.

After fusion and grouping (one result per definition), the results' fused scores pass
through the signals below, each a module of its own, and are sorted again:

1. file vectors, the file's meaning as a whole (:mod:`.file_vector`; not in lexical
   search, which has no query vector);
2. file coherence (:mod:`.coherence`);
3. the definition a query names (:mod:`.definition`);
4. the words of a file's name and folder (:mod:`.file_words`);
5. path priors (:mod:`.path_prior`);
6. per-file saturation (:mod:`.saturation`);
7. docs below code (:mod:`.docs`).

The fusion weight of the semantic list depends on the query's shape too
(:func:`semantic_weight`).

Each signal's module gives its measured effect; ``docs/ranking.md`` has the tables
(benchmarks/ranking_variants.py; end to end, benchmarks/evaluate.py). Fusion weights by
shape were measured and are equal: leaning semantic for questions in words (1.0 or 1.4
against 0.7) lowered both question sets (definition MRR@10 0.668 -> 0.649 / 0.637, file
NDCG@10 0.793 -> 0.790 / 0.788), and 0.5 for symbol queries changed nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

from codelens._search.fusion import Fused
from codelens._search.grouping import Unit
from codelens._search.signals.coherence import lift_coherent_files
from codelens._search.signals.definition import boost_definitions
from codelens._search.signals.docs import demote_docs
from codelens._search.signals.file_vector import lift_similar_files
from codelens._search.signals.file_words import boost_file_words
from codelens._search.signals.path_prior import weigh_paths
from codelens._search.signals.saturation import saturate_files
from codelens._search.signals.scored import Scored

if TYPE_CHECKING:
    from codelens._search.signals.shape import QueryShape

__all__ = ["NO_RULES", "RULES", "Rules", "rerank", "semantic_weight"]

_PRIORS: Mapping[str, float] = MappingProxyType(
    {
        "test": 0.5,
        "example": 0.3,
        "docs": 0.2,
        "vendored": 0.3,
        "compat": 0.3,
        "generated": 0.3,
        "stub": 0.7,
    }
)


@dataclass(frozen=True)
class Rules:
    """The parameters of every rule; 0 (or 1 for factors) turns a rule off."""

    symbol_semantic_weight: float = 0.7
    words_semantic_weight: float = 0.7
    file_vector: float = 0.2
    coherence: float = 0.2
    definition: float = 3.0
    definition_stem: float = 1.5
    file_words: float = 1.0
    priors: Mapping[str, float] = field(default_factory=lambda: _PRIORS)
    saturation: float = 0.7
    docs: float = 0.3
    docs_kept: int = 1

    def without(self, name: str) -> Rules:
        """These rules with one turned off (for measuring what it does)."""
        return replace(self, **{name: getattr(NO_RULES, name)})


RULES = Rules()
# Every rule off: the fused order, grouped (what ranking_variants calls "fusion only").
NO_RULES = Rules(
    file_vector=0.0,
    coherence=0.0,
    definition=0.0,
    file_words=0.0,
    priors=MappingProxyType({}),
    saturation=1.0,
    docs=1.0,
)


def semantic_weight(shape: QueryShape, rules: Rules = RULES) -> float:
    """The semantic list's fusion weight for a query of this shape."""
    return rules.symbol_semantic_weight if shape.is_symbol else rules.words_semantic_weight


def rerank(
    units: list[Unit],
    shape: QueryShape,
    rules: Rules = RULES,
    *,
    path_filtered: bool = False,
    file_cosines: Mapping[int, float] | None = None,
) -> list[Unit]:
    """``units`` (ranked by fused score) re-scored by the rules and sorted again; each
    unit's ``best.score`` becomes its final score. ``path_filtered``: the search's path
    filter chose the files, so no path prior applies. ``file_cosines``: the query's
    cosine with each candidate file's stored vector (none: no file-vector signal)."""
    scored = [Scored(unit, unit.best.score) for unit in units]
    if file_cosines:
        lift_similar_files(scored, file_cosines, rules.file_vector)
    lift_coherent_files(scored, rules.coherence)
    boost_definitions(scored, shape, rules.definition, rules.definition_stem)
    boost_file_words(scored, shape, rules.file_words)
    if not path_filtered:
        weigh_paths(scored, shape, rules.priors)
    scored.sort(key=lambda s: -s.score)  # stable: ties keep the fused order
    saturate_files(scored, rules.saturation)
    demote_docs(scored, shape, rules.docs, rules.docs_kept)
    scored.sort(key=lambda s: -s.score)
    # Built, not dataclasses.replace()d: this runs for every candidate of every search.
    return [
        Unit(
            Fused(s.unit.best.id, s.score, s.unit.best.semantic_rank, s.unit.best.lexical_rank),
            s.unit.part_ids,
            s.unit.place,
        )
        for s in scored
    ]
