"""The arguments of codelens' magics: one IPython MagicArgumentParser per (sub)command.

Parsers live here, apart from the Magics class, so tab completion reads the same option
names the magics accept.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import cast

from IPython.core import magic_arguments
from IPython.core.error import UsageError

# IPython's own splitter (quotes kept, open quotes tolerated), from where it is defined
from IPython.utils._process_common import arg_split

from codelens._analysis.sql import STATS_HELP
from codelens._db.first_pass import NO_FIRST_PASS_HELP
from codelens._index.dry_run import DRY_RUN_HELP
from codelens._index.repository_drop import DROP_REPO_HELP
from codelens._index.run import EMBED_MODES
from codelens._search.category import KIND_HELP
from codelens._search.command_line import options_and_words, unknown_options
from codelens._search.filters import FILE_TYPE_HELP
from codelens._search.modes import BY, DEFAULT_BY, DEFAULT_MODE, MODES
from codelens._symbols.queries import MAX_DEPTH, REFERENCE_KIND_HELP, REFERENCE_KINDS
from codelens.errors import SearchError

__all__ = [
    "COMMANDS",
    "SEARCH_PARSER",
    "SQL_PARSER",
    "Command",
    "help_text",
    "overview",
    "parse",
    "unquote",
]


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    summary: str
    parser: argparse.ArgumentParser


def _parser(prog: str, description: str) -> argparse.ArgumentParser:
    # IPython's parser raises UsageError instead of exiting; it is untyped, hence the cast.
    make = cast("Callable[..., argparse.ArgumentParser]", magic_arguments.MagicArgumentParser)
    return make(prog=prog, description=description)


def _search_parser() -> argparse.ArgumentParser:
    p = _parser(
        "codesearch",
        "Search the current project (or -p PROJECT) for code like QUERY; the value is a"
        " DataFrame (rank, score, path, start_line, end_line, symbol, content, ...)."
        " As a cell magic, %%codesearch [options] takes the cell body as the query.",
    )
    p.add_argument("query", nargs="*", help="words or code to look for")
    p.add_argument("-p", "--project", help="project to search (default: the current one)")
    p.add_argument("-k", "--limit", type=int, help="number of results (default: config limit)")
    p.add_argument("--lang", help="only chunks in this language, e.g. python")
    p.add_argument(
        "--path",
        help="only paths matching this glob or folder, e.g. 'src/*.py' or ~/src/shop/api",
    )
    p.add_argument("--repo", help="only this repository (its name)")
    p.add_argument("--type", help=FILE_TYPE_HELP)
    p.add_argument("--kind", help=KIND_HELP)
    p.add_argument("--mode", choices=MODES, help=f"{', '.join(MODES)}; default {DEFAULT_MODE}")
    p.add_argument(
        "--by", choices=BY, default=DEFAULT_BY, help="a row per definition (default) or per file"
    )
    return p


def _sql_parser() -> argparse.ArgumentParser:
    p = _parser(
        "codesql",
        "Run the cell's DuckDB SQL over a snapshot of the current project's index and files"
        " (tables: repositories, files, chunks, change_events, index_runs, disk_files,"
        " file_status, ...; codelens.analyze().tables() lists them). The value is a DataFrame.",
    )
    p.add_argument("-p", "--project", help="project to query (default: the current one)")
    p.add_argument(
        "--no-refresh",
        action="store_true",
        help="query the last snapshot as it is, without copying changes first",
    )
    return p


def _embed_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--embed",
        choices=EMBED_MODES,
        default="background",
        help="background (default): return once stored, searchable by words, and embed on a"
        " worker thread; wait: block the cell until embedded; later: leave it to"
        " `%%codelens embed`",
    )


def _symbol_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="a name, a qualified name such as Session.request, or a glob")
    p.add_argument("-p", "--project", help="another project than the current one")


def _depth_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--depth", type=int, default=1, help=f"steps to follow, 1 to {MAX_DEPTH} (default 1)"
    )


def _commands() -> dict[str, Command]:
    def command(name: str, summary: str) -> argparse.ArgumentParser:
        parser = _parser(f"codelens {name}", summary)
        table[name] = Command(name, summary, parser)
        return parser

    table: dict[str, Command] = {}
    command("projects", "list every project with its model and counts (a DataFrame)")
    p = command("create", "create a project, make it current, and with --path index a folder")
    p.add_argument("name", help="project id: lower-case letters, digits and dashes")
    p.add_argument("--path", help="folder to index into the new project")
    p.add_argument("--embedder", help="embedding model: local (default), ollama or ollama:MODEL")
    p.add_argument("--no-first-pass", action="store_true", help=NO_FIRST_PASS_HELP)
    p.add_argument("--description", help="a line describing the project")
    _embed_option(p)
    p.add_argument(
        "--dry-run", action="store_true", help=f"with --path: create nothing, {DRY_RUN_HELP}"
    )
    p = command("use", "make a project the current one")
    p.add_argument("name", help="an existing project")
    p = command(
        "drop", "delete a project and its index, or --repo one repository of it (asks first)"
    )
    p.add_argument("name", help="the project to delete")
    p.add_argument("--repo", help=DROP_REPO_HELP)
    p.add_argument("-f", "--force", action="store_true", help="do not ask for confirmation")
    p = command("index", "index PATH into the current project; no PATH: re-index its repositories")
    p.add_argument("path", nargs="?", help="folder of a repository")
    p.add_argument("-p", "--project", help="project to index into (default: the current one)")
    p.add_argument("--name", help="repository name (default: the folder's name)")
    p.add_argument("--force", action="store_true", help="re-embed unchanged files too")
    _embed_option(p)
    p.add_argument("--dry-run", action="store_true", help=DRY_RUN_HELP)
    p = command("embed", "embed the chunks that await vectors (left by a cancel or --embed later)")
    p.add_argument("-p", "--project", help="another project than the current one")
    p.add_argument(
        "--wait", action="store_true", help="block the cell until done (default: in the background)"
    )
    p.add_argument(
        "--cancel", action="store_true", help="stop the background embedding after its batch"
    )
    p = command("status", "current project, its repositories, counts, model and server")
    p.add_argument("-p", "--project", help="another project than the current one")
    p = command("stats", STATS_HELP)
    p.add_argument("-p", "--project", help="another project than the current one")
    p = command("def", "where NAME is defined (a name, Class.method, a module path or a glob)")
    _symbol_options(p)
    p = command("refs", "every place that uses NAME: calls, imports, bases, types")
    _symbol_options(p)
    p.add_argument(
        "--kind",
        choices=REFERENCE_KINDS,
        action="append",
        help=REFERENCE_KIND_HELP,
    )
    p = command("callers", "the calls of NAME, with --depth N their callers' callers too")
    _symbol_options(p)
    _depth_option(p)
    p = command("callees", "what NAME calls, with --depth N what those call too")
    _symbol_options(p)
    _depth_option(p)
    p = command("ui", "open the search panel on the current project")
    p.add_argument("-p", "--project", help="another project than the current one")
    p = command("help", "this list, or the options of one subcommand")
    p.add_argument("topic", nargs="?", help="a subcommand")
    return table


SEARCH_PARSER = _search_parser()
SQL_PARSER = _sql_parser()
COMMANDS: Mapping[str, Command] = MappingProxyType(_commands())


def help_text(parser: argparse.ArgumentParser, usage_only: bool = False) -> str:
    """Plain-text help: IPython's parser formats usage as an RST block, which we unwrap."""
    if usage_only:
        return "usage: " + " ".join(parser.format_usage().replace("::", "", 1).split())
    text = parser.format_help().replace("::\n\n  %", "usage: %", 1)
    return text.rstrip()


def overview() -> str:
    """The `%codelens help` listing: every subcommand with its summary, and %codesearch."""
    lines = ["%codelens SUBCOMMAND [options]  (`%codelens help SUBCOMMAND` for details)", ""]
    lines += [f"  {c.name:<9} {c.summary}" for c in COMMANDS.values()]
    lines += ["", help_text(SEARCH_PARSER, usage_only=True)]
    lines += [help_text(SQL_PARSER, usage_only=True).replace("%codesql", "%%codesql", 1)]
    return "\n".join(lines)


def parse(parser: argparse.ArgumentParser, line: str) -> argparse.Namespace | None:
    """Parsed arguments, or None when -h/--help was asked; a bad argument raises UsageError."""
    argv = arg_split(line, strict=False)
    if "-h" in argv or "--help" in argv:
        return None
    words: list[str] | None = None
    if any(a.dest == "query" and a.nargs == "*" for a in parser._actions):
        try:
            argv, words = options_and_words(parser, argv)
        except SearchError as error:
            raise UsageError(str(error)) from None
    try:
        # intermixed: `%codelens index ./src -p shop --embed later` keeps the folder
        args, extras = parser.parse_known_intermixed_args(argv)
        if extras:
            raise UsageError(unknown_options(parser, extras))
    except UsageError as error:
        raise UsageError(f"{error}\n{help_text(parser, usage_only=True)}") from None
    if words is not None:
        args.query = words
    return args


def unquote(text: str) -> str:
    """IPython splits arguments keeping their quotes: drop one matching pair around a value."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text
