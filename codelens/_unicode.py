"""Text that PostgreSQL and the tokenizer can take: valid Unicode, refused otherwise."""

from __future__ import annotations

from codelens.errors import CodelensError, SearchError

__all__ = ["check_unicode"]


def check_unicode(what: str, text: str, error: type[CodelensError] = SearchError) -> None:
    """Raise ``error`` (one line naming ``what``) unless ``text`` is valid Unicode.

    A lone surrogate is what Python makes of bytes that are not UTF-8 (command-line
    arguments and file names decode them with surrogateescape) or of a JSON ``\\ud800``
    escape. PostgreSQL text and the tokenizer take UTF-8 only. Such text is refused, not
    replaced, so that no front end silently searches for something other than what was
    typed.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise error(
            f"{what} is not valid Unicode (a lone surrogate {text[exc.start]!r} at character"
            f" {exc.start + 1}, e.g. from bytes that are not UTF-8): pass UTF-8 text"
        ) from None
