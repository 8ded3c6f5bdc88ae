"""Per-file saturation: each further result of one file weighs less.

Going down the ranked list, the n-th result of a file already shown (n = 1, 2, ...) has
its score multiplied by ``factor ** n``, so one file with many matching definitions
leaves room for other files without a hard cap (a cap of 2 or 3 per file was measured to
lower Recall@10 on definition questions: 0.881 to 0.786 / 0.839).

Measured (benchmarks/ranking_variants.py, hybrid): the one rule that trades one set for
the other. Left out of all the rules, file questions NDCG@10 0.793 -> 0.770 (lower on
every codebase) and definition questions MRR@10 0.668 -> 0.678, Recall@10 0.839 -> 0.875:
some targets are the fourth or fifth good definition of their file. Factor 0.5: 0.797 and
0.658 / 0.804; 0.85: 0.786 and 0.674 / 0.845; 0.7 is kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codelens._search.signals.scored import Scored

__all__ = ["saturate_files"]


def saturate_files(scored: list[Scored], factor: float) -> None:
    """Multiply the scores as the module docstring says; ``scored`` is sorted best first."""
    if factor >= 1.0:
        return
    shown: dict[int, int] = {}
    for item in scored:
        file = item.place.file_id
        n = shown.get(file, 0)
        shown[file] = n + 1
        if n:
            item.score *= factor**n
