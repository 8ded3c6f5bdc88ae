"""IPython magics: ``%codesearch`` / ``%%codesearch`` to search, ``%codelens`` to manage projects.

Load with ``%load_ext codelens``. Options are traitlets, so ``%config CodelensMagics.limit = 20``
and ``c.CodelensMagics.limit = 20`` in ipython_config.py both work.
"""

from __future__ import annotations

import argparse
import difflib
from typing import TYPE_CHECKING, Any

from IPython.core.error import StdinNotImplementedError, UsageError
from IPython.core.magic import Magics, cell_magic, line_cell_magic, line_magic, magics_class
from traitlets import Bool, Enum, Instance, Int, Unicode, default

from codelens._api import workspace as default_workspace
from codelens._index.repository_drop import (
    no_repository,
    repository_drop_question,
    repository_not_dropped,
)
from codelens._index.run import check_index_request
from codelens._notebook.args import (
    COMMANDS,
    SEARCH_PARSER,
    SQL_PARSER,
    help_text,
    overview,
    parse,
    unquote,
)
from codelens._notebook.completion import MATCHER_ID, make_matcher
from codelens._notebook.places import places
from codelens._notebook.search_panel import ui
from codelens._project import Project
from codelens._search.modes import DEFAULT_LIMIT, DEFAULT_MODE, MAX_LIMIT, MODES
from codelens._status import status_lines
from codelens._symbols.queries import no_definition
from codelens._workspace import Workspace, drop_question, exists_already, not_dropped
from codelens.errors import CodelensError

if TYPE_CHECKING:
    import pandas as pd
    from IPython.core.interactiveshell import InteractiveShell

__all__ = ["CodelensMagics", "load_ipython_extension", "unload_ipython_extension"]


@magics_class
class CodelensMagics(Magics):
    """``%codesearch QUERY`` searches the current project; ``%codelens help`` lists the rest."""

    limit = Int(
        DEFAULT_LIMIT, help=f"Results %codesearch returns when -k is not given (1..{MAX_LIMIT})."
    ).tag(config=True)
    display_limit = Int(
        10, help="Rows a %codesearch result shows in the notebook (the DataFrame keeps all)."
    ).tag(config=True)
    mode = Enum(MODES, DEFAULT_MODE, help="Search mode when --mode is not given.").tag(config=True)
    default_project = Unicode(
        None, allow_none=True, help="Project made current on first use when none is current."
    ).tag(config=True)
    quiet = Bool(False, help="No progress bars while `%codelens` indexes.").tag(config=True)
    # Not config: a live object. The session's default workspace unless given one.
    workspace = Instance(Workspace)

    @default("workspace")
    def _default_workspace(self) -> Workspace:
        return default_workspace()

    def project(self, name: str | None = None) -> Project:
        """The project named, else the current one, else ``default_project`` (made current)."""
        ws: Workspace = self.workspace
        if name:
            return ws.get(unquote(name))
        if ws.current_id is None and self.default_project:
            return ws.use(self.default_project)
        return ws.current

    # -- %codesearch -------------------------------------------------------------------------

    @line_cell_magic
    def codesearch(self, line: str, cell: str | None = None) -> Any:
        args = parse(SEARCH_PARSER, line)
        if args is None:  # -h / --help
            print(help_text(SEARCH_PARSER))
            return None
        words = " ".join(args.query)
        if cell is not None:
            if words:
                raise UsageError(
                    "%%codesearch takes options only: the cell body is the query\n"
                    + help_text(SEARCH_PARSER, usage_only=True)
                )
            words = cell
        query = unquote(words.strip())
        if not query:
            raise UsageError("%codesearch needs a query\n" + help_text(SEARCH_PARSER, True))
        results = self.project(args.project).search(
            query,
            limit=self.limit if args.limit is None else args.limit,
            mode=args.mode or self.mode,
            by=args.by,
            language=args.lang and unquote(args.lang),
            path=args.path and unquote(args.path),
            repository=args.repo and unquote(args.repo),
            file_type=args.type and unquote(args.type),
            kind=args.kind and unquote(args.kind),
        )
        results.display_limit = self.display_limit
        return results

    # -- %%codesql ------------------------------------------------------------------------------

    @cell_magic
    def codesql(self, line: str, cell: str) -> Any:
        args = parse(SQL_PARSER, line)
        if args is None:
            print(help_text(SQL_PARSER))
            return None
        if not cell.strip():
            raise UsageError("%%codesql needs SQL in the cell\n" + help_text(SQL_PARSER, True))
        return self.project(args.project).analyze(refresh=not args.no_refresh).sql(cell)

    # -- %codelens SUBCOMMAND ----------------------------------------------------------------

    @line_magic
    def codelens(self, line: str) -> Any:
        name, _, rest = line.strip().partition(" ")
        if not name:
            return self._cmd_help(argparse.Namespace(topic=None))
        command = COMMANDS.get(name)
        if command is None:
            close = difflib.get_close_matches(name, list(COMMANDS), n=1)
            hint = f" Did you mean `%codelens {close[0]}`?" if close else ""
            raise UsageError(
                f"unknown subcommand {name!r}: use one of {', '.join(COMMANDS)}.{hint}"
            )
        args = parse(command.parser, rest)
        if args is None:  # -h / --help was given
            print(help_text(command.parser))
            return None
        return getattr(self, f"_cmd_{name}")(args)

    def _cmd_help(self, args: argparse.Namespace) -> None:
        if args.topic:
            if args.topic not in COMMANDS:
                raise UsageError(f"no subcommand {args.topic!r}: use one of {', '.join(COMMANDS)}")
            print(help_text(COMMANDS[args.topic].parser))
            return
        print(overview())

    def _cmd_projects(self, args: argparse.Namespace) -> Any:
        return self.workspace.projects()

    def _cmd_create(self, args: argparse.Namespace) -> Any:
        ws: Workspace = self.workspace
        name = unquote(args.name)
        embedder = args.embedder and unquote(args.embedder)
        if args.dry_run:
            if not args.path:
                raise UsageError(
                    "--dry-run needs --path: `%codelens create NAME --path DIR --dry-run`"
                )
            if ws.exists(name):
                raise exists_already(name)
            # Not created: what creating it and indexing DIR would do.
            planned = Project(ws, name)
            return planned.dry_run(unquote(args.path), embedder=embedder, progress=not self.quiet)
        path = unquote(args.path) if args.path else None
        if path is not None:
            # A mistyped folder fails before the name is taken.
            check_index_request(path, embed=args.embed)
        project = ws.create(
            name,
            description=unquote(args.description or ""),
            embedder=embedder,
            first_pass=False if args.no_first_pass else None,
        )
        ws.use(name)
        print(f"created project {name!r}; it is now the current project")
        if path is not None:
            return project.index(path, progress=not self.quiet, embed=args.embed)
        return None

    def _cmd_use(self, args: argparse.Namespace) -> None:
        project = self.workspace.use(unquote(args.name))
        print(f"current project: {project.id}")

    def _cmd_drop(self, args: argparse.Namespace) -> None:
        ws: Workspace = self.workspace
        name = unquote(args.name)
        project = ws.get(name)  # an unknown name fails before anything is asked
        if args.repo is not None:
            self._drop_repository(project, unquote(args.repo), force=args.force)
            return
        refusal = not_dropped(name, f"{_CANNOT_ASK} `%codelens drop {name} --force`")
        if not args.force and not _asked(drop_question(name), refusal):
            print(f"project {name!r} kept")
            return
        ws.drop(name, force=True)
        print(f"dropped project {name!r}")

    def _drop_repository(self, project: Project, repo: str, *, force: bool) -> None:
        names = sorted(project.repositories()["name"])
        if repo not in names:
            raise no_repository(project.id, repo, names)  # before anything is asked
        fix = f"{_CANNOT_ASK} `%codelens drop {project.id} --repo {repo} --force`"
        refusal = repository_not_dropped(project.id, repo, fix)
        if not force and not _asked(repository_drop_question(project.id, repo), refusal):
            print(f"repository {repo!r} kept")
            return
        print(project.drop_repository(repo))

    def _cmd_index(self, args: argparse.Namespace) -> Any:
        project = self.project(args.project)
        show = not self.quiet
        if args.path:
            path = unquote(args.path)
            return project.index(
                path,
                name=args.name,
                force=args.force,
                progress=show,
                embed=args.embed,
                dry_run=args.dry_run,
            )
        if args.name:
            raise UsageError("--name needs a PATH: `%codelens index PATH --name NAME`")
        roots = project.repositories()
        if roots.empty:
            raise CodelensError(
                f"project {project.id!r} has no repositories yet: run `%codelens index PATH`"
            )
        if args.dry_run:
            plans = [
                project.dry_run(root, name=name, force=args.force, progress=show)
                for root, name in zip(roots["root_path"], roots["name"], strict=True)
            ]
            return plans[0] if len(plans) == 1 else plans
        reports = project.reindex(force=args.force, progress=not self.quiet, embed=args.embed)
        return reports[0] if len(reports) == 1 else reports

    def _cmd_embed(self, args: argparse.Namespace) -> Any:
        project = self.project(args.project)
        if args.cancel:
            job = project.embedding_job()
            if job is None:
                print(f"project {project.id!r}: no embedding runs in the background")
                return None
            job.cancel()
            job.join()
            return job
        return project.embed_pending(progress=not self.quiet, background=not args.wait)

    def _cmd_status(self, args: argparse.Namespace) -> None:
        ws: Workspace = self.workspace
        project = self.project(args.project) if args.project or ws.current_id else None
        if project is None and self.default_project:
            project = self.project()
        print("\n".join(status_lines(ws, project)))

    def _cmd_stats(self, args: argparse.Namespace) -> Any:
        return self.project(args.project).analyze().stats()

    # -- symbols: each answer shows its places with their snippets --------------------------

    def _cmd_def(self, args: argparse.Namespace) -> Any:
        project, name = self.project(args.project), unquote(args.name)
        frame = project.definitions(name)
        return _answer(project, frame, name, _title(len(frame), "definition", "of", name))

    def _cmd_refs(self, args: argparse.Namespace) -> Any:
        project, name = self.project(args.project), unquote(args.name)
        frame = project.references(name, args.kind)
        return _answer(project, frame, name, _title(len(frame), "reference", "to", name))

    def _cmd_callers(self, args: argparse.Namespace) -> Any:
        project, name = self.project(args.project), unquote(args.name)
        frame = project.callers(name, args.depth)
        title = _title(len(frame), "call", "of", name, args.depth)
        return _answer(project, frame, name, title)

    def _cmd_callees(self, args: argparse.Namespace) -> Any:
        project, name = self.project(args.project), unquote(args.name)
        frame = project.callees(name, args.depth)
        title = _title(len(frame), "call", "made by", name, args.depth)
        return _answer(project, frame, name, title)

    def _cmd_ui(self, args: argparse.Namespace) -> Any:
        project = self.project(args.project) if args.project else None
        ws: Workspace = self.workspace
        if project is None and (ws.current_id or self.default_project):
            project = self.project()
        return ui(project, ws, limit=self.limit, mode=self.mode)


_CANNOT_ASK = "this frontend cannot ask for confirmation; run"


def _asked(question: str, refusal: CodelensError) -> bool:
    """Whether the user answered yes; ``refusal`` where the front end cannot ask."""
    try:
        answer = input(f"{question} [y/N] ")
    except (StdinNotImplementedError, EOFError):
        raise refusal from None
    return answer.strip().lower() in ("y", "yes")


def _answer(project: Project, frame: pd.DataFrame, name: str, title: str) -> Any:
    """A symbol answer for the notebook; an empty one about a name the project does not
    define says so, so that a typo does not read as "nothing calls it"."""
    if frame.empty and project.definitions(name).empty:
        title = no_definition(name)
    return places(project, frame, title)


def _title(count: int, what: str, relation: str, name: str, depth: int = 1) -> str:
    """ "3 calls of 'retry_delay' (depth 2)": the head of a symbol answer."""
    title = f"{count} {what}{'' if count == 1 else 's'} {relation} {name!r}"
    return title + (f" (depth {depth})" if depth > 1 else "")


# `%codesearch?` and `%codelens?` show the same text as their --help.
CodelensMagics.codesearch.__doc__ = help_text(SEARCH_PARSER)
CodelensMagics.codelens.__doc__ = overview()
CodelensMagics.codesql.__doc__ = help_text(SQL_PARSER)


def load_ipython_extension(ip: InteractiveShell) -> None:
    """``%load_ext codelens``: register the magics and their tab completion."""
    if "CodelensMagics" in ip.magics_manager.registry:
        return  # loaded already: keep the configured instance and its workspace
    magics = CodelensMagics(shell=ip)
    ip.register_magics(magics)
    completer: Any = ip.Completer
    completer.custom_matchers.append(make_matcher(magics))


def unload_ipython_extension(ip: InteractiveShell) -> None:
    """``%unload_ext codelens``: remove the magics, their completion and their %config entry."""
    magics = ip.magics_manager.registry.pop("CodelensMagics", None)
    if magics is None:
        return
    for kind, table in magics.magics.items():
        for name in table:
            ip.magics_manager.magics[kind].pop(name, None)
    completer: Any = ip.Completer
    completer.custom_matchers[:] = [
        m for m in completer.custom_matchers if getattr(m, "matcher_identifier", None) != MATCHER_ID
    ]
    if magics in ip.configurables:
        ip.configurables.remove(magics)
