"""How the static model cuts text into tokens: identifiers whole and in pieces, WordPiece after.

An identifier counts once whole (``max_length``, lower-cased) when the vocabulary has it, and
once per piece (``max``, ``length``: split at underscores, case changes and digits); a piece
the vocabulary lacks falls back to greedy longest-match WordPiece over the vocabulary's
``##`` continuations, as BERT's tokenizer would cut it. Punctuation is dropped: in code it
carries syntax, not meaning. The training script and the embedder share this one function,
so a model always sees text cut the way it was trained on.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping

__all__ = ["StaticTokenizer", "identifier_pieces", "words"]

# Words: runs of letters, digits and underscores (any script), as identifiers and prose have.
_WORD = re.compile(r"[^\W]+")
# Pieces of an identifier: ``HTTPServer`` -> HTTP, Server; ``parse2json`` -> parse, 2, json.
_PIECE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
# Other scripts have no case convention to split at: underscores and digits only.
_PIECE_ANY = re.compile(r"[^\W\d_]+|[0-9]+")
# BERT's limit: a longer word is one unknown token.
_MAX_WORD_CHARS = 100


def words(text: str) -> Iterator[str]:
    """The words of ``text`` in order (identifiers, numbers, prose words)."""
    for match in _WORD.finditer(text):
        yield match.group()


def identifier_pieces(word: str) -> list[str]:
    """The lower-cased pieces of an identifier: ``getHTTPResponse_code`` -> get, http,
    response, code."""
    pattern = _PIECE if word.isascii() else _PIECE_ANY
    return [p.lower() for p in pattern.findall(word)]


def _fold(text: str) -> str:
    """Lower case without accents, as the uncased BERT vocabulary spells words."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


class StaticTokenizer:
    """Token ids for text, from a vocabulary of words, identifier pieces and ``##`` pieces."""

    def __init__(self, vocabulary: Mapping[str, int]) -> None:
        self._vocab = dict(vocabulary)
        # Whole words and pieces seen before: text repeats its identifiers a great deal.
        self._word_cache: dict[str, tuple[int, ...]] = {}

    def _wordpiece(self, piece: str) -> list[int]:
        if len(piece) > _MAX_WORD_CHARS:
            return []
        out: list[int] = []
        start = 0
        while start < len(piece):
            end = len(piece)
            found = None
            while end > start:
                sub = piece[start:end] if start == 0 else "##" + piece[start:end]
                found = self._vocab.get(sub)
                if found is not None:
                    break
                end -= 1
            if found is None:
                return []  # BERT's [UNK]: the whole piece says nothing the model knows
            out.append(found)
            start = end
        return out

    def _word_ids(self, word: str) -> tuple[int, ...]:
        cached = self._word_cache.get(word)
        if cached is not None:
            return cached
        ids: list[int] = []
        pieces = identifier_pieces(word)
        if len(pieces) > 1:
            whole = self._vocab.get("_".join(pieces))
            if whole is not None:
                ids.append(whole)
        for piece in pieces:
            folded = _fold(piece)
            found = self._vocab.get(folded)
            ids.extend([found] if found is not None else self._wordpiece(folded))
        result = tuple(ids)
        if len(self._word_cache) < 1_000_000:
            self._word_cache[word] = result
        return result

    def ids(self, text: str, limit: int | None = None) -> list[int]:
        """The token ids of ``text`` in order, at most ``limit`` of them."""
        out: list[int] = []
        for word in words(text):
            out.extend(self._word_ids(word))
            if limit is not None and len(out) >= limit:
                return out[:limit]
        return out
