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
from codelens._notebook.args import COMMANDS, SEARCH_PARSER, SQL_PARSER, option_strings
from codelens._search.category import CATEGORIES
from codelens._search.modes import MODES

if TYPE_CHECKING:
    from codelens._notebook.magics import CodelensMagics

__all__ = ["MATCHER_ID", "complete", "make_matcher"]

MATCHER_ID = "codelens.magics"
Matcher = Callable[[CompletionContext], SimpleMatcherResult]

# The last %codesearch / %%codesearch / %codelens / %%codesql on the line, as in `df = %codesearch -p x`.
_MAGIC = re.compile(r"(?:^|[\s=(])%{1,2}(codesearch|codelens|codesql)(\s.*)?\Z")
_PROJECT_OPTIONS = ("-p", "--project")


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
        return (("local", "embedder"), ("onnx", "embedder"), ("ollama", "embedder"))
    if token.startswith("-"):
        return ((o, "option") for o in option_strings(command.parser))
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
