"""How a search typed on a command line is split into options and query words."""

from __future__ import annotations

import argparse

import pytest

from codelens._search.command_line import options_and_words, unknown_options
from codelens.errors import SearchError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="search")
    p.add_argument("query", nargs="*")
    p.add_argument("-p", "--project")
    p.add_argument("--path")
    p.add_argument("-k", type=int)
    p.add_argument("--json", action="store_true")
    return p


@pytest.mark.parametrize(
    ("argv", "options", "words"),
    [
        (["parse", "json", "-k", "5", "dates"], ["-k", "5"], ["parse", "json", "dates"]),
        (["-k5", "retry"], ["-k5"], ["retry"]),
        (["--proj=shop", "retry"], ["--proj=shop"], ["retry"]),  # a unique prefix
        (["where", "is", "--dry-run", "read"], [], ["where", "is", "--dry-run", "read"]),
        (["-x", "--", "--json", "-k", "1"], [], ["-x", "--json", "-k", "1"]),
        (["--=x", "--json"], ["--json"], ["--=x"]),
        # A short option with its value attached: a number (-k5) or after '=' (-p=shop);
        # any other word that starts like one is a flag of the searched code (find -print).
        (["what", "does", "-print", "do"], [], ["what", "does", "-print", "do"]),
        (["-p=shop", "-kx"], ["-p=shop"], ["-kx"]),
    ],
)
def test_words_that_are_no_option_are_the_query(
    argv: list[str], options: list[str], words: list[str]
) -> None:
    assert options_and_words(_parser(), argv) == (options, words)


def test_a_mistyped_or_ambiguous_option_is_refused_naming_the_option_meant() -> None:
    with pytest.raises(SearchError, match=r"^unknown option --jsno: did you mean --json\?"):
        options_and_words(_parser(), ["x", "--jsno"])
    with pytest.raises(SearchError, match=r"^ambiguous option --p: --path or --project\?"):
        options_and_words(_parser(), ["x", "--p", "y"])


def test_unknown_arguments_name_the_options_meant() -> None:
    p = _parser()
    assert unknown_options(p, ["-x", "3"]) == "unrecognized arguments: -x 3"
    assert unknown_options(p, ["--jsn=1"]) == (
        "unrecognized arguments: --jsn=1 (did you mean --json?)"
    )
    assert unknown_options(p, ["--jsn", "--pth", "a"]) == (
        "unrecognized arguments: --jsn --pth a (did you mean --json for --jsn, --path for --pth?)"
    )
