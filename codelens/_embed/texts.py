"""Embedding the texts the indexer stores: an empty text is given no meaning.

The chunker embeds a window of a number table as the empty text (see
:mod:`codelens._chunk.number_runs`). Such a text gets the zero vector, without a call to
the model, and 0 tokens: a cosine index (pgvector's HNSW) leaves zero vectors out, and an
exact scan gives them no distance (NaN, which search drops), so the chunk is never a
meaning result, while it counts as embedded like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

    from codelens._embed.base import Embedder

__all__ = ["embed_texts"]


def embed_texts(model: Embedder, texts: Sequence[str]) -> tuple[npt.NDArray[np.float32], list[int]]:
    """``model``'s vectors and token counts for ``texts``, in order; the empty text's are
    the zero vector and 0, and it is never sent to the model."""
    meant = [i for i, text in enumerate(texts) if text]
    vectors = np.zeros((len(texts), model.dimensions), dtype=np.float32)
    counts = [0] * len(texts)
    if meant:
        found, tokens = model.embed_counted([texts[i] for i in meant])
        vectors[meant] = found
        for i, n in zip(meant, tokens, strict=True):
            counts[i] = n
    return vectors, counts
