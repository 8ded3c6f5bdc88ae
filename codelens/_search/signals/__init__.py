"""Ranking signals: what hybrid search weighs after fusion, one module per signal."""

from codelens._search.signals.rules import NO_RULES, RULES, Rules, rerank, semantic_weight
from codelens._search.signals.shape import QueryShape, shape_of

__all__ = ["NO_RULES", "RULES", "QueryShape", "Rules", "rerank", "semantic_weight", "shape_of"]
