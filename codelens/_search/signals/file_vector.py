"""File vectors: a file whose meaning as a whole is near the query's lifts all its results.

Architecture questions ("how are plugins discovered") are answered by a file whose every
chunk says a little, while the candidate lists rank its parts one by one. Each file has a
stored vector, the normalised mean of its chunks' vectors (``file_vectors``, kept by the
embedding pass: :mod:`codelens._index.file_vectors`); search reads the cosine between the
query's vector and each candidate file's, by the model that answered the search, and every
result of a file gains ``weight`` x the best score x the file's place between the least
(0) and the most (1) similar candidate file. Files without a vector yet (their chunks
still await the model) gain nothing. It applies first, before the other rules.

Measured end to end (benchmarks/evaluate.py, ONNX MiniLM, hybrid; on the tuning corpora
the same figures as benchmarks/file_vectors.py offline), weights 0 / 0.1 / 0.2 / 0.4 on
the 11 corpora the rules were tuned on: file questions NDCG@10 0.792 / 0.798 / 0.800 /
0.798 (architecture 0.686 / 0.708 / 0.705 / 0.699), definition questions MRR@10 0.668 /
0.670 / 0.674 / 0.675 (R@10 0.839 / 0.839 / 0.845 / 0.839); the five language corpora,
never tuned on: 0.821 / 0.830 / 0.827 / 0.819 (architecture 0.697 -> 0.721 at 0.2).
Architecture questions gain about 0.02, behaviour and symbol questions do not move;
penlight loses 0.017. 0.2 is kept. In semantic search (no saturation after it) it lowered
file questions (0.686 -> 0.668): not applied there. docs/ranking.md has the tables per
codebase and kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from codelens._search.signals.scored import top_score

if TYPE_CHECKING:
    from codelens._search.signals.scored import Scored

__all__ = ["lift_similar_files"]


def lift_similar_files(scored: list[Scored], cosines: Mapping[int, float], weight: float) -> None:
    """Add the gain of the module docstring to every result of a file with a vector;
    ``cosines`` maps file ids to the query's cosine with the file's vector."""
    if weight <= 0 or not scored or not cosines:
        return
    found = [cosines[s.place.file_id] for s in scored if s.place.file_id in cosines]
    if not found:
        return
    low = min(found)
    span = (max(found) - low) or 1.0
    gain = weight * top_score(scored)
    for item in scored:
        cosine = cosines.get(item.place.file_id)
        if cosine is not None:
            item.score += gain * (cosine - low) / span
