"""What a query looks like: a name typed as code, or a question in plain words.

The signals read the query through this one view, so "is it a symbol" and "which words
does it have" are decided once, the same way for every signal.

- A query that is one token shaped like an identifier (``ConnectionPool``,
  ``parse_args``, ``Router.handle``, ``ns::Parser``, ``cleanFlags()``) is a *symbol
  query*: its name is what a definition should be called.
- A name written as code inside a sentence ("where is ConnectionPool closed") is
  *mentioned*: an inner capital, an inner underscore or a qualifier shows it is code,
  while a capital at the start of a sentence's first word does not.
- The *words* are the query's words as the path of a file spells them: identifiers
  split on case and underscores, lower-cased, stop words and words of two letters left
  out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["STOP_WORDS", "QueryShape", "shape_of", "split_words", "word_set"]


def word_set(text: str) -> frozenset[str]:
    """The words of ``text``, split on white space: long word lists read best as prose."""
    return frozenset(text.split())


# Function words, and the words every question about code has ("where is the code that
# handles ..."): they say nothing about which file answers.
STOP_WORDS = word_set(
    """a about above after all also an and any are as at be been before being between both
    but by can could do does doing done during each else every for from get gets got had has
    have how i if in into is it its itself just may me might more most must my no not now of
    off on once one only or other our out over own same shall she should so some such than
    that the their them then there these they this those through to too under until up upon
    us use used uses using very via was way ways we were what when where whether which while
    who whom whose why will with within without would you your code codes file files
    function functions method methods class classes implement implemented implementation
    implements logic find show happen happens work works done thing things"""
)

_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*(?:(?:\.|::|#|->)[A-Za-z_$][\w$]*)*")
_CALL = re.compile(r"\(\s*\)\Z")
_WORD = re.compile(r"[A-Za-z0-9]+")
_CASE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def split_words(text: str) -> list[str]:
    """``text``'s words split as identifiers are (``parseHTTPResponse_v2`` -> parse, http,
    response, v2), lower-cased, in order."""
    return [w.lower() for part in _WORD.findall(text) for w in _CASE.split(part) if w]


def _normalized(name: str) -> str:
    return re.sub(r"::|#|->", ".", name)


def _written_as_code(token: str) -> bool:
    body = token.lstrip("_$")
    return (
        token != body
        or "." in _normalized(token)
        or "_" in body.rstrip("_")
        or (any(c.isupper() for c in body[1:]) and any(c.islower() for c in body))
    )


@dataclass(frozen=True, slots=True)
class QueryShape:
    """See the module docstring. ``names`` are dotted (``::``, ``#`` and ``->`` become
    ``.``)."""

    symbol: str | None  # the name, when the whole query is one
    mentioned: tuple[str, ...]  # names written as code inside a sentence
    words: tuple[str, ...]  # content words, split as identifiers are

    @property
    def is_symbol(self) -> bool:
        return self.symbol is not None


def shape_of(query: str) -> QueryShape:
    """The shape of ``query`` (see the module docstring)."""
    text = _CALL.sub("", query.strip())
    words = tuple(dict.fromkeys(w for w in split_words(text) if len(w) > 2 and w not in STOP_WORDS))
    if _IDENTIFIER.fullmatch(text):
        return QueryShape(_normalized(text), (), words)
    tokens = [_CALL.sub("", t.strip(",;:!?.\"'`")) for t in text.split()]
    mentioned = tuple(
        dict.fromkeys(
            _normalized(t) for t in tokens if _IDENTIFIER.fullmatch(t) and _written_as_code(t)
        )
    )
    return QueryShape(None, mentioned, words)
