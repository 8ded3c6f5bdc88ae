"""Code or docs: the category of a result, from its chunk's language.

Prose (Markdown, reStructuredText, plain text: READMEs, guides, changelogs, a notebook's
Markdown cells) is *docs*; everything else, whatever its folder, is *code*. The category
follows the language alone, not the folder, because a ``docs/conf.py`` or a doctest module
under ``docs/`` is still code a user may be after with ``kind="code"``, and a language is a
column the search's SQL filter can test exactly; the ranking's path priors
(:mod:`codelens._search.signals.path_prior`) still weigh everything under ``docs/`` as
documentation.

``kind=`` filters by category (``"code"``, ``"docs"``) or by a definition kind (the
``kind`` column: ``"function"``, ``"class"``, ...).
"""

from __future__ import annotations

import re

from codelens.errors import SearchError

__all__ = ["CATEGORIES", "DOCS_LANGUAGES", "KIND_HELP", "category_of", "check_kind"]

CATEGORIES = ("code", "docs")
# Languages whose files are prose. A language added to codelens._languages that is prose
# (AsciiDoc, Org, ...) belongs here too.
DOCS_LANGUAGES = frozenset({"markdown", "rst", "text"})
_DEFINITION_KIND = re.compile(r"[a-z][a-z_]{0,39}\Z")
_KIND_EXAMPLES = "function, class, method, section"
KIND_HELP = f"only code or only docs (prose), or one definition kind ({_KIND_EXAMPLES}, ...)"


def category_of(language: object) -> str:
    """``"docs"`` for a prose language, else ``"code"`` (None, an unknown language, too)."""
    return "docs" if language in DOCS_LANGUAGES else "code"


def check_kind(value: str) -> str:
    """``value`` (stripped, lower-cased) when it is a category or a definition kind, else a
    SearchError listing what ``kind`` accepts."""
    kind = value.strip().lower()
    if kind in CATEGORIES or _DEFINITION_KIND.match(kind):
        return kind
    raise SearchError(
        f"kind filter {value!r} is neither 'code' nor 'docs' nor a definition kind"
        f" ({_KIND_EXAMPLES}, ...): pass one of those"
    )
