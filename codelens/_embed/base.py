"""What every embedding model offers the stages: vectors, token counts and its window."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

__all__ = ["Embedder", "embeds_inline"]


@runtime_checkable
class Embedder(Protocol):
    """Turns text into L2-normalised float32 vectors; prefixes are added inside."""

    @property
    def name(self) -> str: ...  # stable id stored with an index, e.g. "ollama:nomic-embed-text"
    @property
    def dimensions(self) -> int: ...
    @property
    def max_tokens(self) -> int: ...  # input window, special tokens included
    @property
    def document_prefix(self) -> str: ...
    @property
    def query_prefix(self) -> str: ...
    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...  # as documents, prefix incl.
    def embed_documents(self, texts: Sequence[str]) -> npt.NDArray[np.float32]: ...
    # Both at once: an embedder that tokenizes anyway counts from that one tokenization.
    def embed_counted(self, texts: Sequence[str]) -> tuple[npt.NDArray[np.float32], list[int]]: ...
    def embed_query(self, text: str) -> npt.NDArray[np.float32]: ...


def embeds_inline(embedder: Embedder) -> bool:
    """Whether the indexer embeds this model's chunks as it stores them, in the same write.

    An embedder says so with a class attribute ``inline = True``: one that embeds much
    faster than PostgreSQL stores chunks (a static table of token vectors), so storing its
    vectors with the chunks costs less than reading them back and updating them afterwards.
    A property of the model, not a timing guess: the same project always indexes the same way.
    """
    return bool(getattr(embedder, "inline", False))
