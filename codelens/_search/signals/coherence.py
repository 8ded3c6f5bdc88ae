"""File coherence: a file with several good results lifts its best one.

An answer to a question about behaviour or architecture is often a file whose several
definitions each match a little; its best result gains ``weight`` times the best score
times the file's summed score over the largest file's sum.

Measured (benchmarks/ranking_variants.py, hybrid): alone on the plain fusion, file
questions NDCG@10 0.702 -> 0.715 and definition questions MRR@10 0.658 -> 0.666; left out
of all the rules, 0.793 -> 0.787 and 0.668 -> 0.664.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codelens._search.signals.scored import top_score

if TYPE_CHECKING:
    from codelens._search.signals.scored import Scored

__all__ = ["lift_coherent_files"]


def lift_coherent_files(scored: list[Scored], weight: float) -> None:
    """Add the coherence gain of the module docstring to each file's best result."""
    if weight <= 0 or not scored:
        return
    sums: dict[int, float] = {}
    best: dict[int, Scored] = {}
    for item in scored:
        file = item.place.file_id
        sums[file] = sums.get(file, 0.0) + item.score
        if file not in best or item.score > best[file].score:
            best[file] = item
    largest = max(sums.values())
    if largest <= 0:
        return
    gain = weight * top_score(scored)
    for file, item in best.items():
        item.score += gain * sums[file] / largest
