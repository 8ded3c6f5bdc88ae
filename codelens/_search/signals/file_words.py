"""File words: a question in plain words about a file's subject finds that file.

The words of a file's name and of its folder (``plugins/discovery.py``: plugins,
discovery) are compared with the query's words (:mod:`codelens._search.signals.shape`):
equal, or one a prefix of the other of at least ``MIN_PREFIX`` letters
("discovered" and "discovery" share "discover"). A result gains ``weight`` times the best
score times the share of the query's words its file matches, when that share is at
least ``MIN_SHARE``. Symbol queries are left to the definition boost.

Measured (benchmarks/ranking_variants.py, hybrid): alone on the plain fusion, file
questions NDCG@10 0.702 -> 0.713 (architecture 0.571 -> 0.584), definition questions
MRR@10 0.658 -> 0.651; left out of all the rules, 0.793 -> 0.781 and 0.668 -> 0.673.
A weight of 0.5 or 2 did no better.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

from codelens._search.signals.scored import top_score
from codelens._search.signals.shape import STOP_WORDS, split_words

if TYPE_CHECKING:
    from codelens._search.signals.scored import Scored
    from codelens._search.signals.shape import QueryShape

__all__ = ["MIN_PREFIX", "MIN_SHARE", "boost_file_words", "path_words", "word_match"]

MIN_PREFIX = 4
MIN_SHARE = 0.1


@functools.lru_cache(maxsize=8192)
def path_words(path: str) -> frozenset[str]:
    """The words of a file's name (without its extension) and of its folder."""
    folder, name = os.path.split(path)
    words = split_words(name.split(".", 1)[0]) + split_words(os.path.basename(folder))
    return frozenset(w for w in words if len(w) > 2 and w not in STOP_WORDS)


# A search compares each of its words with the words of 50 paths, most of them shared by
# other paths and other searches: 150 comparisons a search, two thirds of the rules' time.
@functools.lru_cache(maxsize=65536)
def word_match(word: str, other: str) -> bool:
    """Equal words, or words that share their first ``MIN_PREFIX`` or more letters up to
    the end of the shorter but two (one's stem is the other's: retry, retries)."""
    if word == other:
        return True
    short, long_ = sorted((word, other), key=len)
    common = next(
        (i for i, (a, b) in enumerate(zip(short, long_, strict=False)) if a != b), len(short)
    )
    return common >= MIN_PREFIX and common >= len(short) - 2


def boost_file_words(scored: list[Scored], shape: QueryShape, weight: float) -> None:
    """Add the file-words gain of the module docstring to each result."""
    if shape.is_symbol or not shape.words or weight <= 0:
        return
    best = top_score(scored)
    for item in scored:
        share = _share(item.place.path, shape.words)
        if share >= MIN_SHARE:
            item.score += weight * best * share


# Searches repeat paths (and a notebook its queries): each pair is worked out once.
@functools.lru_cache(maxsize=8192)
def _share(path: str, query: tuple[str, ...]) -> float:
    """The share of the query's words that the file's name and folder match."""
    words = path_words(path)
    return sum(any(word_match(q, w) for w in words) for q in query) / len(query)
