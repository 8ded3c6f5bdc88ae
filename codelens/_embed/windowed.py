"""What the local models share: their own tokenizer, one tokenization for counts and
vectors, and the cut to the model's window the way its tokenizer would cut."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["WindowedEmbedder", "window_ids"]


def window_ids(encodings: Sequence[Any], limit: int) -> list[list[int]]:
    """Token ids cut to ``limit`` as the tokenizer's truncation does: [CLS], the first
    ``limit - 2`` tokens, [SEP]."""
    return [e.ids if len(e.ids) <= limit else [*e.ids[: limit - 1], e.ids[-1]] for e in encodings]


class WindowedEmbedder:
    """An embedder whose subclass loads ``(model, tokenizer)`` and runs ``_encode``."""

    document_prefix = ""
    query_prefix = ""

    def __init__(self) -> None:
        # Fast tokenizers raise "Already borrowed" when two threads encode at once.
        self._encode_lock = threading.Lock()

    def _model(self) -> tuple[Any, Any]:
        raise NotImplementedError

    def _encode(self, texts: list[str]) -> tuple[npt.NDArray[np.float32], list[int]]:
        raise NotImplementedError

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Exact tokens per text as a document, [CLS] and [SEP] included, never truncated."""
        if not texts:
            return []
        _, tokenizer = self._model()
        with self._encode_lock:
            encodings = tokenizer.encode_batch([self.document_prefix + t for t in texts])
        return [len(e.ids) for e in encodings]

    def embed_counted(self, texts: Sequence[str]) -> tuple[npt.NDArray[np.float32], list[int]]:
        """Vectors and exact token counts from one tokenization of the texts."""
        return self._encode([self.document_prefix + t for t in texts])

    def embed_documents(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self.embed_counted(texts)[0]

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        vectors, _ = self._encode([self.query_prefix + text])
        query: npt.NDArray[np.float32] = vectors[0]
        return query
