"""The ``codelens`` command: thin subcommands over the same workspace, indexer and search.

User errors print one line, ``codelens: error: ...``; bad arguments print argparse's
usage. The exit status is one of :class:`ExitCode`. Nothing here re-implements the library.
"""

from __future__ import annotations

import argparse
import enum
import json
import logging
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from codelens._analysis.sql import STATS_HELP
from codelens._config import Settings
from codelens._db.first_pass import NO_FIRST_PASS_HELP
from codelens._db.model_record import first_pass_model, next_embedder
from codelens._db.pool import DRIVER_LOGGERS, shown_url
from codelens._embed.base import embeds_inline
from codelens._index.dry_run import DRY_RUN_HELP
from codelens._index.repository_drop import DROP_REPO_HELP, repository_not_dropped
from codelens._index.run import check_index_request
from codelens._project import Project
from codelens._search.by_file import file_note
from codelens._search.category import KIND_HELP
from codelens._search.command_line import options_and_words, unknown_options
from codelens._search.filters import FILE_TYPE_HELP
from codelens._search.modes import BY, DEFAULT_BY, DEFAULT_LIMIT, DEFAULT_MODE, MODES
from codelens._search.place import grouped_note, match_text, place
from codelens._status import status_lines
from codelens._symbols.queries import REFERENCE_KIND_HELP, REFERENCE_KINDS, no_definition
from codelens._unicode import check_unicode
from codelens._workspace import Workspace, not_dropped
from codelens.errors import CodelensError, SearchError

if TYPE_CHECKING:
    import pandas as pd

    from codelens._index.report import IndexReport

__all__ = ["ExitCode", "main"]


class ExitCode(enum.IntEnum):
    """What ``codelens`` exits with, for scripts and CI."""

    OK = 0
    ERROR = 1  # a user error (CodelensError), printed as one line
    USAGE = 2  # bad arguments (argparse prints the usage)
    FILES_FAILED = 3  # an index run finished, but some files failed (listed in its report)
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)


DEMO_PROJECT = "stdlib-demo"
DEMO_PACKAGES = ["json", "tomllib", "wsgiref"]
DEMO_DESCRIPTION = "a few packages of Python's standard library (codelens demo)"
DEMO_WORDS = "JSONDecodeError"
DEMO_QUERIES = ("decode a JSON document into Python objects", "start a simple HTTP server")
_SNIPPET_LINES = 4


class _Session:
    """The workspace of one command, opened only by the commands that need the database."""

    def __init__(self) -> None:
        self.settings = Settings.from_env()
        self._workspace: Workspace | None = None

    @property
    def ws(self) -> Workspace:
        if self._workspace is None:
            self._workspace = Workspace(self.settings)
        return self._workspace

    def close(self) -> None:
        if self._workspace is not None:
            self._workspace.close()


Command = Callable[[argparse.Namespace, _Session], int]


def _out(text: object = "") -> None:
    print(text, flush=True)


def _table(frame: pd.DataFrame) -> str:
    return frame.to_string(index=False, na_rep="-", max_colwidth=48)


def _json(frame: pd.DataFrame) -> str:
    return json.dumps(json.loads(frame.to_json(orient="records", date_format="iso")), indent=2)


# -- database and projects ---------------------------------------------------------------


def _db_status(args: argparse.Namespace, s: _Session) -> int:
    if s.settings.database_url is not None:
        _out(
            f"external PostgreSQL at {shown_url(s.settings.database_url)} (CODELENS_DATABASE_URL);"
            " codelens neither starts nor stops it"
        )
        return ExitCode.OK
    from codelens._db.embedded import server_status

    _out(server_status(s.settings.pgdata))
    return ExitCode.OK


def _db_stop(args: argparse.Namespace, s: _Session) -> int:
    if s.settings.database_url is not None:
        raise CodelensError(
            "CODELENS_DATABASE_URL names an external server, which codelens does not stop:"
            " stop it with its own tools, or unset the variable"
        )
    from codelens._db.embedded import server_status, stop_server

    if not server_status(s.settings.pgdata).running:
        _out(f"embedded PostgreSQL: not running (data in {s.settings.pgdata})")
        return ExitCode.OK
    stop_server(s.settings.pgdata)
    _out(f"embedded PostgreSQL: stopped (data kept in {s.settings.pgdata})")
    return ExitCode.OK


def _projects(args: argparse.Namespace, s: _Session) -> int:
    table = s.ws.projects()
    if table.empty:
        _out("no projects yet: run `codelens demo`, or `codelens index PATH --project NAME`")
        return ExitCode.OK
    shown = table.assign(model=table["embedding_model"].fillna(table["embedder"]))
    _out(_table(shown[["id", "description", "model", "repositories", "files", "chunks"]]))
    return ExitCode.OK


def _create(args: argparse.Namespace, s: _Session) -> int:
    if args.path is not None:
        check_index_request(args.path)  # a mistyped folder fails before the name is taken
    project = s.ws.create(
        args.name,
        description=args.description,
        embedder=args.embedder,
        first_pass=False if args.no_first_pass else None,
    )
    if args.path is None:
        _out(f"created project {project.id!r}: add code with `codelens index PATH -p {project.id}`")
        return ExitCode.OK
    _out(f"created project {project.id!r}")
    report = project.index(args.path, progress=not args.quiet, embed=args.embed)
    _out(repr(report))
    return _index_status([report])


def _drop(args: argparse.Namespace, s: _Session) -> int:
    if args.repo is not None:
        project = s.ws.get(args.name)
        if not args.yes:
            fix = "it would delete everything indexed of it: add --yes"
            raise repository_not_dropped(project.id, args.repo, fix)
        _out(str(project.drop_repository(args.repo)))
        return ExitCode.OK
    if not args.yes:
        raise not_dropped(args.name, "it would delete everything indexed in it: add --yes")
    s.ws.drop(args.name, force=True)
    _out(f"dropped project {args.name!r}")
    return ExitCode.OK


def _grant(args: argparse.Namespace, s: _Session) -> int:
    s.ws.grant(args.project, args.role, write=args.write)
    _out(f"role {args.role!r} may now {'write' if args.write else 'read'} project {args.project!r}")
    return ExitCode.OK


def _revoke(args: argparse.Namespace, s: _Session) -> int:
    s.ws.revoke(args.project, args.role, write=args.write)
    taken = "no longer write" if args.write else "no longer read or write"
    _out(f"role {args.role!r} may {taken} project {args.project!r}")
    return ExitCode.OK


def _access(args: argparse.Namespace, s: _Session) -> int:
    table = s.ws.access(args.project)
    _out(_table(table) if not table.empty else "no projects this role can see")
    return ExitCode.OK


def _status(args: argparse.Namespace, s: _Session) -> int:
    _out("\n".join(status_lines(s.ws, s.ws.get(args.project))))
    return ExitCode.OK


def _stats(args: argparse.Namespace, s: _Session) -> int:
    table = s.ws.get(args.project).analyze().stats()
    _out(_json(table) if args.json else _table(table))
    return ExitCode.OK


def _index(args: argparse.Namespace, s: _Session) -> int:
    if args.dry_run:
        planned = Project(s.ws, args.project)  # not created: a dry run writes nothing
        _out(
            str(
                planned.dry_run(
                    args.path, name=args.name, force=args.force, progress=not args.quiet
                )
            )
        )
        return ExitCode.OK
    # A mistyped folder or name fails before the project is created.
    check_index_request(args.path, name=args.name)
    project = s.ws.project(args.project)
    report = project.index(
        args.path, name=args.name, force=args.force, progress=not args.quiet, embed=args.embed
    )
    _out(repr(report))
    return _index_status([report])


def _index_status(reports: Sequence[IndexReport]) -> ExitCode:
    if any(r.interrupted for r in reports):
        return ExitCode.INTERRUPTED
    if any(r.files_failed for r in reports):
        return ExitCode.FILES_FAILED
    return ExitCode.OK


def _embed(args: argparse.Namespace, s: _Session) -> int:
    from codelens._index.vectors import EmbedReport

    report = s.ws.get(args.project).embed_pending(progress=not args.quiet)
    assert isinstance(report, EmbedReport)  # not in the background: this process ends next
    state = "interrupted" if report.interrupted else "done"
    _out(
        f"embedding {state}: {report.chunks_embedded} chunks embedded,"
        f" {report.chunks_awaiting} await vectors in {report.seconds.get('total', 0.0):.1f} s"
    )
    return 0


def _print_results(results: pd.DataFrame) -> None:

    if results.empty:
        unmatched = getattr(results, "filter_note", None)
        _out(f"no results: {unmatched or 'try other words, --mode semantic, or fewer filters'}")
        return
    for row in results.to_dict(orient="records"):
        symbol = f"  {row['symbol']}" if row.get("symbol") else ""
        _out(
            f"{row['rank']:>2}. {place(row)}{symbol}"
            f"{grouped_note(row)}{file_note(row)}"
            f"  [{row['repository']}, {row['language']}, score {row['score']:.3f}]"
        )
        # The matching part: the header gives the whole definition's lines.
        lines = textwrap.dedent(match_text(row)).splitlines()
        for line in lines[:_SNIPPET_LINES]:
            _out(f"      {line}".rstrip())
        more = len(lines) - _SNIPPET_LINES
        if more > 0:
            _out(f"      ... ({more} more line{'s' if more > 1 else ''})")
    note = getattr(results, "meaning_note", None)
    if note:
        _out(f"({note})")


def _search(args: argparse.Namespace, s: _Session) -> int:
    results = s.ws.get(args.project).search(
        " ".join(args.query),
        limit=args.k,
        mode=args.mode,
        language=args.lang,
        path=args.path,
        repository=args.repo,
        file_type=args.type,
        by=args.by,
        kind=args.kind,
    )
    if args.json:
        _out(_json(results))
    else:
        _print_results(results)
    return ExitCode.OK


def _print_symbols(rows: pd.DataFrame, args: argparse.Namespace, empty: str) -> None:
    if args.json:
        _out(_json(rows))
        return
    if rows.empty:
        _out(empty)
        return
    for row in rows.to_dict(orient="records"):
        where = f" in {row['definition']}" if row["definition"] else ""
        depth = f" depth {row['depth']}" if row["depth"] > 1 else ""
        target = (
            f" -> {row['target_path']}:{row['target_line']}"
            if row["target_path"] is not None and row["resolution"] != "definition"
            else ""
        )
        _out(
            f"{row['path']}:{row['line']}:{row['column']}{where}  {row['symbol']}"
            f"  [{row['kind']}, {row['resolution']}{depth}]{target}"
        )


def _symbols(args: argparse.Namespace, s: _Session) -> int:
    project = s.ws.get(args.project)
    if args.command == "def":
        rows = project.definitions(args.name)
        empty = no_definition(args.name)
    elif args.command == "refs":
        rows = project.references(args.name, args.kind)
        empty = f"nothing refers to {args.name!r}"
    elif args.command == "callers":
        rows = project.callers(args.name, args.depth)
        empty = f"nothing calls {args.name!r}"
    else:
        rows = project.callees(args.name, args.depth)
        empty = f"{args.name!r} calls nothing"
    if rows.empty and args.command != "def" and project.definitions(args.name).empty:
        empty = no_definition(args.name)
    _print_symbols(rows, args, empty)
    return ExitCode.OK


def _demo(args: argparse.Namespace, s: _Session) -> int:
    import sysconfig
    from pathlib import Path

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    folders = [stdlib / name for name in args.packages]
    missing = [f.name for f in folders if not f.is_dir()]
    if missing:
        raise CodelensError(
            f"no package folder {', '.join(missing)} in {stdlib}: pass --packages with folders"
            " of the standard library, e.g. json,html"
        )
    s.ws.db.url()  # starts the embedded server when it is not running
    _out(f"1. database: {s.ws.server_status()}")
    project = s.ws.create(args.project, description=DEMO_DESCRIPTION, exist_ok=True)
    _out(f"2. project {project.id!r}: storing {', '.join(args.packages)} from {stdlib}")
    # Words first: every file is stored and searchable by words before the model runs; a
    # model that embeds inline (static) stores the vectors with the chunks, no wait after;
    # any other model gets the static model's vectors with the chunks (the first pass),
    # which answer meaning search until its own vectors are in.
    inline = embeds_inline(next_embedder(project.handle))
    embed = "wait" if inline else "later"
    reports = []
    for folder in folders:
        reports.append(
            project.index(folder, name=folder.name, progress=not args.quiet, embed=embed)
        )
        _out(textwrap.indent(repr(reports[-1]), "   "))
    _out(f"\n3. searchable by words already: codelens search {DEMO_WORDS!r} --mode lexical -k 3")
    _print_results(project.search(DEMO_WORDS, limit=3, mode="lexical"))
    first = first_pass_model(project.handle)
    if inline:
        _out("\n4. meaning at once: every vector was stored with its chunk")
    elif first is not None:
        _out(
            f"\n4. meaning at once, by the fast first-pass model ({first}): its vectors were"
            " stored with the chunks; the project's own model embeds after the searches"
        )
    else:
        _out("\n4. meaning, as the vectors arrive: codelens embed")
        project.embed_pending(progress=not args.quiet)
    n = 5
    for query in DEMO_QUERIES:
        _out(f"\n{n}. codelens search {query!r} -p {project.id} -k 3")
        _print_results(project.search(query, limit=3))
        n += 1
    if not inline and first is not None:
        model = project.embedder().name
        _out(f"\n{n}. {model}'s vectors, which then answer meaning search: codelens embed")
        project.embed_pending(progress=not args.quiet)
        n += 1
    _out(f"\n{n}. the workspace (codelens projects):")
    _projects(args, s)
    _out("\nNext: run `make lab` to open notebooks/quickstart.ipynb in JupyterLab.")
    return _index_status(reports)


def _mcp(args: argparse.Namespace, s: _Session) -> int:
    from codelens._mcp.server import serve

    serve(args.root, http=args.http, port=args.port)
    return ExitCode.OK


# -- the parser ---------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codelens",
        description="Index code repositories into PostgreSQL and search them by meaning and words.",
        epilog="Start with `codelens demo`. Data lives in CODELENS_HOME; "
        "CODELENS_DATABASE_URL selects an external PostgreSQL.",
    )
    from codelens import __version__

    parser.add_argument("--version", action="version", version=f"codelens {__version__}")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also print the warnings of the libraries below codelens to stderr"
        f" ({', '.join(DRIVER_LOGGERS)}: each connection discarded or reconnect that failed)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func: Command, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(func=func)
        return p

    db = sub.add_parser(
        "db", help="the embedded PostgreSQL server", description="The embedded PostgreSQL server."
    )
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("status", help="is it running, where is its data").set_defaults(
        func=_db_status
    )
    db_sub.add_parser("stop", help="stop it (data is kept)").set_defaults(func=_db_stop)

    command("projects", _projects, "list the projects")
    p = command("create", _create, "create an empty project")
    p.add_argument("name", help="project id, e.g. payments-api")
    p.add_argument("--description", default="", help="one line about the project")
    p.add_argument(
        "--embedder", help="'local', 'onnx', 'static', 'ollama' or 'ollama:MODEL' (default: auto)"
    )
    p.add_argument("--no-first-pass", action="store_true", help=NO_FIRST_PASS_HELP)
    p.add_argument("--path", help="then index this repository folder, as `codelens index` does")
    _embed_options(p)
    p = command("drop", _drop, "delete a project and everything indexed in it")
    p.add_argument("name")
    p.add_argument("--repo", help=DROP_REPO_HELP)
    p.add_argument("--yes", action="store_true", help="confirm the deletion")
    p = command("grant", _grant, "let a PostgreSQL role read or write a project (its owner only)")
    p.add_argument("project")
    level = p.add_mutually_exclusive_group(required=True)
    level.add_argument("--read", action="store_true", help="list, search and analyse it")
    level.add_argument("--write", action="store_true", help="also index it")
    p.add_argument("role", help="a role that exists on the server")
    p = command("revoke", _revoke, "take a role's access to a project back (its owner only)")
    p.add_argument("project")
    level = p.add_mutually_exclusive_group()
    level.add_argument("--read", action="store_true", help="all of it (the default)")
    level.add_argument("--write", action="store_true", help="only writing: it still reads")
    p.add_argument("role")
    p = command("access", _access, "who may read, write or own each project you can see")
    p.add_argument("project", nargs="?")
    p = command("status", _status, "a project's model, counts and repositories")
    p.add_argument("-p", "--project", required=True)
    p = command("stats", _stats, STATS_HELP)
    p.add_argument("-p", "--project", required=True)
    p.add_argument("--json", action="store_true", help="print the rows as JSON")

    p = command("index", _index, "index a repository folder (creates the project on first use)")
    p.add_argument("path", help="the repository folder")
    p.add_argument("-p", "--project", required=True)
    p.add_argument("--name", help="repository name in the project (default: the folder's name)")
    p.add_argument("--force", action="store_true", help="re-chunk and re-embed unchanged files too")
    _embed_options(p)
    p.add_argument("--dry-run", action="store_true", help=DRY_RUN_HELP)

    p = command("embed", _embed, "embed the chunks that await vectors (after --embed later)")
    p.add_argument("-p", "--project", required=True)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")

    p = command("search", _search, "search a project")
    # Words typed unquoted are one query, as a shell user types them.
    p.add_argument("query", nargs="+", help="words or code to look for (quoted or not)")
    p.add_argument("-p", "--project", required=True)
    p.add_argument("--lang", help="only this language, e.g. python")
    p.add_argument(
        "--path",
        help="only under this folder, or matching this glob (src/**/*.py), under the"
        " repository's root or absolute",
    )
    p.add_argument("--repo", help="only this repository")
    p.add_argument("--type", help=FILE_TYPE_HELP)
    p.add_argument("--kind", help=KIND_HELP)
    p.add_argument("--mode", choices=MODES, default=DEFAULT_MODE)
    p.add_argument(
        "--by", choices=BY, default=DEFAULT_BY, help="a row per definition (default) or per file"
    )
    p.add_argument(
        "-k",
        "--limit",
        dest="k",
        type=_positive,
        default=DEFAULT_LIMIT,
        help=f"number of results (default {DEFAULT_LIMIT})",
    )
    p.add_argument("--json", action="store_true", help="print the results as JSON")

    symbol_help = "a name, a qualified name (Session.request, pkg.mod.func) or a glob"
    for name, help in (
        ("def", "where a symbol is defined"),
        ("refs", "every place that uses a symbol"),
        ("callers", "the calls of a function or method"),
        ("callees", "what a function or method calls"),
    ):
        p = command(name, _symbols, help)
        p.add_argument("name", help=symbol_help)
        p.add_argument("-p", "--project", required=True)
        if name == "refs":
            p.add_argument(
                "--kind",
                choices=REFERENCE_KINDS,
                action="append",
                help=REFERENCE_KIND_HELP,
            )
        if name in ("callers", "callees"):
            p.add_argument(
                "--depth",
                type=_positive,
                default=1,
                help="follow the call graph this many steps (default 1, at most 10)",
            )
        p.add_argument("--json", action="store_true", help="print the rows as JSON")

    p = command("demo", _demo, "index a few packages of Python's standard library and search them")
    p.add_argument("--project", default=DEMO_PROJECT, help=f"project id (default {DEMO_PROJECT})")
    p.add_argument(
        "--packages",
        type=_names,
        default=DEMO_PACKAGES,
        help=f"comma-separated standard-library packages (default {','.join(DEMO_PACKAGES)})",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")

    p = command("mcp", _mcp, "serve the MCP tools over stdio (or HTTP on 127.0.0.1)")
    p.add_argument(
        "--root",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder under which clients may index (repeatable; also CODELENS_ALLOWED_ROOTS)",
    )
    p.add_argument("--http", action="store_true", help="streamable HTTP instead of stdio")
    p.add_argument("--port", type=_positive, default=8765, help="HTTP port (default 8765)")
    return parser


def _embed_options(p: argparse.ArgumentParser) -> None:
    """The options of a command that indexes: when to embed, and progress bars or none."""
    p.add_argument(
        "--embed",
        choices=("wait", "later"),
        default="wait",
        help="wait (default): embed before exiting; later: exit once every file is stored"
        " (searchable by words) and leave the vectors to `codelens embed`",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give at least one package name, e.g. json,html")
    return names


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return value


def _check_unicode(args: argparse.Namespace) -> None:
    # Bytes that are not UTF-8 reach argv as lone surrogates, which no database column or
    # tokenizer takes: refused here in one line, for every command alike.
    for dest, value in vars(args).items():
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str):
                check_unicode(f"the {dest} argument", text, CodelensError)


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """The arguments; a usage error exits with the command's own usage."""
    commands = _commands(parser)
    # The command is the first word that is not a top-level option (none takes a value).
    at = next((i for i, word in enumerate(argv) if not word.startswith("-")), len(argv))
    if at < len(argv) and argv[at] == "search":
        try:
            options, words = options_and_words(commands["search"], argv[at + 1 :])
        except SearchError as exc:
            commands["search"].error(str(exc))
        # Every word that is no option is the query's, wherever it stands.
        argv = [*argv[: at + 1], *options, "--", *words] if words else argv[: at + 1] + options
    args, extras = parser.parse_known_args(argv)
    if extras:
        command = commands.get(args.command, parser)
        command.error(unknown_options(command, extras))
    return args


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Each command's own parser, by name."""
    actions = parser._subparsers._group_actions if parser._subparsers else []
    return {
        name: sub
        for action in actions
        if isinstance(action, argparse._SubParsersAction)
        for name, sub in action.choices.items()
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its :class:`ExitCode`."""
    parser = _parser()
    try:
        args = _parse(parser, list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # --help, --version and usage errors
        if exc.code is None:
            return ExitCode.OK
        return exc.code if isinstance(exc.code, int) else ExitCode.USAGE
    if args.verbose:
        logging.basicConfig(level=logging.WARNING, format="%(name)s: %(levelname)s: %(message)s")
        for name in DRIVER_LOGGERS:
            logging.getLogger(name).setLevel(logging.INFO)
    session = _Session()
    try:
        _check_unicode(args)
        func: Command = args.func
        return func(args, session)
    except CodelensError as exc:
        print(f"codelens: error: {exc}", file=sys.stderr)
        return ExitCode.ERROR
    except KeyboardInterrupt:
        print("codelens: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    finally:
        session.close()
