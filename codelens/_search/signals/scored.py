"""A result as the ranking signals see it: its unit and a score they may change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codelens._search.grouping import Place, Unit

__all__ = ["Scored", "top_score"]


@dataclass(slots=True)
class Scored:
    unit: Unit
    score: float

    @property
    def place(self) -> Place:
        return self.unit.place


def top_score(scored: list[Scored]) -> float:
    """The best score: boosts are sized from it, so they mean the same whatever the
    scale of the fused scores."""
    return max((s.score for s in scored), default=0.0)
