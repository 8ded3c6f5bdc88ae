"""Tab completion for codelens' magics, as an IPython (API v2) matcher.

It runs in the kernel, so it works in every frontend that asks the kernel for completions:
JupyterLab, Notebook, VS Code and the terminal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from itertools import pairwise
from typing import TYPE_CHECKING

from IPython.core.completer import CompletionContext, SimpleCompletion, SimpleMatcherResult

from codelens._languages import LANGUAGES
from codelens._notebook.args import COMMANDS, SEARCH_PARSER, SQL_PARSER
from codelens._search.category import CATEGORIES
from codelens._search.command_line import option_strings
from codelens._search.modes import MODES
from codelens._symbols.queries import REFERENCE_KINDS

if TYPE_CHECKING:
    from codelens._notebook.magics import CodelensMagics

__all__ = ["MATCHER_ID", "MAX_SYMBOLS", "SYMBOL_COMMANDS", "complete", "make_matcher"]

MATCHER_ID = "codelens.magics"
Matcher = Callable[[CompletionContext], SimpleMatcherResult]

# The last %codesearch / %%codesearch / %codelens / %%codesql on the line, as in `df = %codesearch -p x`.
_MAGIC = re.compile(r"(?:^|[\s=(])%{1,2}(codesearch|codelens|codesql)(\s.*)?\Z")
_PROJECT_OPTIONS = ("-p", "--project")
_VALUE_OPTIONS = (*_PROJECT_OPTIONS, "--kind", "--depth")
SYMBOL_COMMANDS = ("def", "refs", "callers", "callees")
MAX_SYMBOLS = 100  # names offered at once: a prompt cannot show more usefully
# Names, or qualified names once a dot is typed; a function's locals are no symbols.
_NAMES = (
    "SELECT DISTINCT name FROM definitions WHERE starts_with(name, %s) AND kind <> 'local'"
    " ORDER BY name LIMIT %s"
)
_QUALNAMES = (
    "SELECT DISTINCT qualname FROM definitions"
    " WHERE starts_with(qualname, %s) AND kind <> 'local' ORDER BY qualname LIMIT %s"
)


def make_matcher(magics: CodelensMagics) -> Matcher:
    """A matcher bound to ``magics``: project names come from its workspace."""

    def codelens_matcher(context: CompletionContext) -> SimpleMatcherResult:
        found = complete(magics, context.text_until_cursor, context.token)
        completions = [SimpleCompletion(text, type=kind) for text, kind in found]
        return {"completions": completions, "suppress": bool(completions)}

    # What IPython's @context_matcher() sets, without its untyped decorator.
    matcher: Matcher = codelens_matcher
    matcher.matcher_api_version = 2  # type: ignore[attr-defined]
    matcher.matcher_identifier = MATCHER_ID  # type: ignore[attr-defined]
    matcher.matcher_priority = 1  # type: ignore[attr-defined]
    return matcher


def complete(magics: CodelensMagics, text: str, token: str) -> list[tuple[str, str]]:
    """(completion, type) pairs for the text before the cursor; [] when it is not ours."""
    match = _MAGIC.search(text)
    if match is None or match.group(2) is None:
        return []  # not our magic, or the cursor is still on its name
    before = match.group(2)[: len(match.group(2)) - len(token)].split()
    if match.group(1) == "codesearch":
        found = _search_candidates(magics, before, token)
    elif match.group(1) == "codesql":
        found = _sql_candidates(magics, before, token)
    else:
        found = _command_candidates(magics, before, token)
    return sorted({(c, kind) for c, kind in found if c.startswith(token)})


def _search_candidates(
    magics: CodelensMagics, before: list[str], token: str
) -> Iterable[tuple[str, str]]:
    previous = before[-1] if before else None
    if previous in _PROJECT_OPTIONS:
        return _projects(magics)
    if previous == "--lang":
        return ((name, "language") for name in LANGUAGES)
    if previous == "--mode":
        return ((mode, "mode") for mode in MODES)
    if previous == "--kind":
        return ((category, "kind") for category in CATEGORIES)
    if previous == "--repo":
        return _repositories(magics, before)
    if token.startswith("-"):
        return ((o, "option") for o in option_strings(SEARCH_PARSER))
    return ()


def _sql_candidates(
    magics: CodelensMagics, before: list[str], token: str
) -> Iterable[tuple[str, str]]:
    if before and before[-1] in _PROJECT_OPTIONS:
        return _projects(magics)
    if token.startswith("-"):
        return ((o, "option") for o in option_strings(SQL_PARSER))
    return ()


def _command_candidates(
    magics: CodelensMagics, before: list[str], token: str
) -> Iterable[tuple[str, str]]:
    if not before:
        return ((name, "subcommand") for name in COMMANDS)
    command = COMMANDS.get(before[0])
    if command is None:
        return ()
    previous = before[-1]
    if previous in _PROJECT_OPTIONS:
        return _projects(magics)
    if previous == "--embedder":
        return (
            ("local", "embedder"),
            ("onnx", "embedder"),
            ("static", "embedder"),
            ("ollama", "embedder"),
        )
    if token.startswith("-"):
        return ((o, "option") for o in option_strings(command.parser))
    if previous == "--kind":
        return ((kind, "kind") for kind in REFERENCE_KINDS)
    if command.name in SYMBOL_COMMANDS and not _positionals(before[1:]):
        return _symbols(magics, before, token)
    if len(before) == 1 and command.name in ("use", "drop"):
        return _projects(magics)
    if len(before) == 1 and command.name == "help":
        return ((name, "subcommand") for name in COMMANDS)
    return ()


def _projects(magics: CodelensMagics) -> list[tuple[str, str]]:
    try:
        return [(name, "project") for name in magics.workspace.ids()]
    except Exception:  # best effort: a completer that raises prints a traceback at the prompt
        return []


def _repositories(magics: CodelensMagics, before: list[str]) -> list[tuple[str, str]]:
    named = [b for a, b in pairwise(before) if a in _PROJECT_OPTIONS]
    try:
        project = magics.project(named[-1] if named else None)
        return [(name, "repository") for name in project.repositories()["name"]]
    except Exception:  # no project, no server: nothing to offer
        return []


def _positionals(words: list[str]) -> list[str]:
    """The arguments among ``words`` that are neither options nor an option's value."""
    found = []
    for i, word in enumerate(words):
        if not word.startswith("-") and (i == 0 or words[i - 1] not in _VALUE_OPTIONS):
            found.append(word)
    return found


def _symbols(magics: CodelensMagics, before: list[str], token: str) -> list[tuple[str, str]]:
    """Defined names starting with ``token`` (qualified names once it has a dot), capped."""
    named = [b for a, b in pairwise(before) if a in _PROJECT_OPTIONS]
    query = _QUALNAMES if "." in token else _NAMES
    try:
        project = magics.project(named[-1] if named else None)
        with project.connection() as conn:
            rows = conn.execute(query, [token, MAX_SYMBOLS]).fetchall()
    except Exception:  # no project, no server, an index from before symbols: nothing
        return []
    return [(str(row[0]), "symbol") for row in rows]
