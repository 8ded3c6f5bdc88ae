"""Runs of number literals (lookup tables, byte arrays, test vectors): left out of the embedded text.

A language model's vector of a run of numbers says nothing about what the code does, and
it lies close to every question: in Brotli's C sources, where 5,809 of 9,001 chunks are
windows of such tables, those windows took the first eight places of meaning search for
questions as different as "give the output file the same timestamps as the input" and
"how are the hashers generated from templates". So the embedded text keeps a chunk's
words and replaces each run of eight or more number literals with ``…``, and a chunk
whose words are then fewer than three (a window in the middle of a table) is embedded as
nothing at all: it gets no meaning vector (:func:`codelens._embed.texts.embed_texts`)
and is found by its words, as any chunk is. Measured with ``benchmarks/evaluate.py``
(ONNX MiniLM, file questions, NDCG@10): brotli semantic 0.486 -> 0.606, hybrid 0.640 ->
0.666; rich, whose generated width table loses its vectors, hybrid 0.848 -> 0.844. Of the
evaluation's other codebases only one chunk of go-cmp is such a window; none moved.
"""

from __future__ import annotations

import re

__all__ = ["MIN_WORDS", "RUN_LENGTH", "meaningful_text"]

# Shorter runs are code (``range(0, 10, 2)``, a version, a shape), not tables.
RUN_LENGTH = 8
# Fewer words than this beside its runs: a table's window, nothing to embed.
MIN_WORDS = 3

# A number literal starts and ends at a token's edge, and is matched atomically: a long
# string of digits (a blob, a constant) is then one failed attempt, not a backtracking
# search over every way to cut it (quadratic: 9 s for 10,000 digits, an hour for 200,000).
_NUMBER = (
    r"(?<![\w.])(?>[-+]?(?:0[xX][0-9a-fA-F]+|0[bB][01]+|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)"
    r"[uUlLfF]*)(?![\w.])"
)
# Numbers separated by nothing but spaces, commas, semicolons and brackets.
_RUN = re.compile(rf"{_NUMBER}(?:[\s,;{{}}()\[\]]++{_NUMBER}){{{RUN_LENGTH - 1},}}")
# What every run contains, found fast (the pattern starts with a digit, which the regex
# engine skips to): eight numbers, each one token, between the same separators. Most
# chunks have no such stretch, and the run pattern, tried at every position, cost 50-70
# microseconds a chunk (30-40 s over half a million chunks); this costs 10.
_MAYBE_RUN = re.compile(
    r"\d(?<![\w.]\d)[\w.]*+(?:[-+][\w.]*+)?"
    rf"(?:[\s,;{{}}()\[\]]++[-+]?\d[\w.]*+(?:[-+][\w.]*+)?){{{RUN_LENGTH - 1}}}"
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
_ELLIPSIS = " … "


def meaningful_text(content: str) -> str:
    """``content`` with each run of ``RUN_LENGTH`` or more number literals replaced by
    ``…``; empty when fewer than ``MIN_WORDS`` words are left beside its runs."""
    if _MAYBE_RUN.search(content) is None:
        return content
    kept = _RUN.sub(_ELLIPSIS, content)
    if kept != content and len(_WORD.findall(kept)) < MIN_WORDS:
        return ""
    return kept
