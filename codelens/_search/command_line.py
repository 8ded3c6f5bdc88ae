"""A search typed on a command line: which words are options and which are the query.

The notebook's ``%codesearch`` and the terminal's ``codelens search`` read a line the same
way: a word that is not one of the command's options is a query word, in its place.
"""

from __future__ import annotations

import argparse
import difflib

from codelens.errors import SearchError

__all__ = ["option_strings", "options_and_words", "unknown_options"]

# How close a mistyped long option must be to one the command takes to be named.
_CLOSE = 0.75


def option_strings(parser: argparse.ArgumentParser) -> list[str]:
    """Every option a parser accepts, long ones first."""
    options = [s for action in parser._actions for s in action.option_strings]
    return sorted(options, key=lambda s: (not s.startswith("--"), s))


def _meant(name: str, longs: list[str]) -> str | None:
    """The long option a mistyped long option (``--lnag``) most likely meant."""
    if not (name.startswith("--") and len(name) > 2):
        return None
    close = difflib.get_close_matches(name, longs, n=1, cutoff=_CLOSE)
    return close[0] if close else None


def options_and_words(
    parser: argparse.ArgumentParser, argv: list[str]
) -> tuple[list[str], list[str]]:
    """The options (with their values), and every other word in its order: the query
    (``%codesearch parse json -k 5 dates`` keeps every word; after ``--``, all are words).

    A question about a command line names its flags (``where is --dry-run handled``):
    argparse would take ``--dry-run`` for an option of the search and refuse it. A word
    that is not one of the parser's options, nor a unique prefix of one, is a query word,
    unless it looks like a mistyped option (``--lnag``): that is a :class:`SearchError`
    naming the option meant."""
    actions = {s: a for a in parser._actions for s in a.option_strings}
    longs = [s for s in option_strings(parser) if s.startswith("--")]
    options: list[str] = []
    words: list[str] = []
    at = 0
    while at < len(argv):
        word = argv[at]
        at += 1
        if word == "--":
            words += argv[at:]
            break
        name, joined, _ = word.partition("=")
        long_name = name.startswith("--") and len(name) > 2  # "--" alone prefixes them all
        prefixed = [s for s in longs if s.startswith(name)] if long_name else []
        action = actions.get(name) or (actions[prefixed[0]] if len(prefixed) == 1 else None)
        # A short option's value attached (-k5, -p=shop); other words that start like one
        # are the searched code's flags (find's -print is not -p rint).
        short, value = word[:2], word[2:]
        if action is None and short in actions and (value[:1] == "=" or value.isdigit()):
            action, joined = actions[short], "="
        if action is None and len(prefixed) > 1:
            raise SearchError(
                f"ambiguous option {name}: {' or '.join(sorted(prefixed))}?"
                f" (to search for '{name}', put it after --)"
            )
        if action is None:
            meant = _meant(name, longs)
            if meant:
                raise SearchError(
                    f"unknown option {name}: did you mean {meant}?"
                    f" (to search for '{name}', put it after --)"
                )
            words.append(word)
            continue
        options.append(word)
        if action.nargs != 0 and not joined and at < len(argv):
            options.append(argv[at])
            at += 1
    return options, words


def unknown_options(parser: argparse.ArgumentParser, extras: list[str]) -> str:
    """argparse's complaint about arguments a command does not take, naming the option a
    mistyped one most likely meant."""
    longs = [s for s in option_strings(parser) if s.startswith("--")]
    meant = {}
    for extra in extras:
        name = extra.partition("=")[0]
        if close := _meant(name, longs):
            meant[name] = close
    message = f"unrecognized arguments: {' '.join(extras)}"
    if not meant:
        return message
    if len(meant) == 1:
        return f"{message} (did you mean {next(iter(meant.values()))}?)"
    return f"{message} (did you mean {', '.join(f'{m} for {n}' for n, m in meant.items())}?)"
