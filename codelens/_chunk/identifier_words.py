"""Names written in camelCase read as words in the text a model embeds, and in the query.

A WordPiece model lower-cases its input before it cuts it into pieces, so
``parseCookieHeader`` reaches MiniLM as ``parsecookieheader``, cut into pieces that mean
little (``par ##se ##co ##ok ##ie ##head ##er``), while ``parse_cookie_header`` reads as
three words (its underscores are punctuation to the tokenizer). A space at every change of
case gives camelCase and PascalCase names the same words: ``parse Cookie Header``,
``HTTP Server``. The query is embedded the same way, so a name a question quotes meets
the name in the code. Underscores are left as they are: turning them into spaces too
measured no better. Measured with ``benchmarks/evaluate.py`` (ONNX MiniLM, every rule),
file questions, NDCG@10: hybrid 0.798 -> 0.801, semantic 0.693 -> 0.705; TypeScript
0.682 -> 0.721, the Go, Rust, C and C++ codebases +0.003 to +0.022, Python, Lua and
semver (JavaScript) -0.012 to 0, capacitor-ios (Swift) 0.874 -> 0.810; definition
questions unchanged (MRR@10 0.674).
The static model, which reads the same text, is unchanged within 0.006 (see
docs/ranking.md, "Names in camelCase").
"""

from __future__ import annotations

import re

__all__ = ["identifier_words"]

# The character before a change of case: a lower-case letter or digit followed by a
# capital (``parseCookie``, ``base64Encode``), or an acronym's capital followed by a word
# (``HTTPServer`` -> ``HTTP Server``). Matching that character rather than the empty place
# after it (a look-behind) lets the regex engine skip ahead: 12 against 24 microseconds a
# chunk, every chunk of an index run.
_BEFORE_CHANGE = re.compile(r"[a-z0-9](?=[A-Z])|[A-Z](?=[A-Z][a-z])")


def _spaced(match: re.Match[str]) -> str:
    return match.group() + " "


def identifier_words(text: str) -> str:
    """``text`` with a space at every change of case inside a word (ASCII letters)."""
    return _BEFORE_CHANGE.sub(_spaced, text)
