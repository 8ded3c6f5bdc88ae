"""The MCP server: six tools over the same workspace, indexer, search and symbols as the library.

Every failure a client can cause comes back as a tool error (``isError``) whose one
line says what to do; the server itself never stops because of a call.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field, ValidationError

from codelens._mcp.jobs import JobManager
from codelens._mcp.roots import AllowedRoots
from codelens._project import Project
from codelens._search.filters import Filters
from codelens._search.modes import DEFAULT_BY, DEFAULT_LIMIT, DEFAULT_MODE, MAX_LIMIT, By, Mode
from codelens._search.place import CELL_COLUMNS, match_text, place
from codelens._search.query import clean_query
from codelens._search.results import SearchResults
from codelens._symbols.queries import ReferenceKind, no_definition
from codelens._workspace import Workspace
from codelens.errors import CodelensError, ProjectNotFound

__all__ = ["INSTRUCTIONS", "build_server", "serve"]

_F = TypeVar("_F", bound=Callable[..., Any])

INSTRUCTIONS = (
    "codelens indexes code repositories into projects and searches them by meaning and by words."
    " Call list_projects first. To add a repository, call index_repository with its absolute"
    " path and a project id, then poll get_indexing_status with the returned job_id until its"
    " state is completed or failed. Then call search_code; find_definition and find_references"
    " (kind call: the callers) answer where a symbol is defined and used."
)
_SYMBOL_LIMIT = 500
SymbolName = Annotated[
    str,
    Field(
        description="A name ('retry_delay'), a qualified name ('Session.request', or with its"
        " module, 'pkg.sessions.Session.request') or a glob ('Session.*')"
    ),
]

ProjectId = Annotated[
    str,
    Field(
        description="Project id: lower-case letters and digits in groups joined by single dashes,"
        " e.g. 'payments-api' (list_projects shows the existing ones)"
    ),
]


_SEE_SCHEMA = "(see the tool's input schema)"


def _one_line(tool: str, exc: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(p) for p in err['loc']) or 'arguments'}: {err['msg']}"
        for err in exc.errors()
    ]
    return f"Error executing tool {tool}: invalid arguments: {'; '.join(problems)} {_SEE_SCHEMA}"


class _Server(MCPServer[Any]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parameters: dict[str, tuple[str, ...]] = {}  # each tool's, in its order

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        # An argument no tool parameter reads would be dropped unseen: an agent that guessed
        # a name ('path' for 'directory') would believe its search filtered.
        taken = self.parameters.get(name, ())
        if unknown := [a for a in arguments if taken and a not in taken]:
            raise ToolError(
                f"Error executing tool {name}: unknown argument"
                f"{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}:"
                f" {name} takes {', '.join(taken)} {_SEE_SCHEMA}"
            )
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            # pydantic's report spans several lines and repeats the input; a client wants one.
            if isinstance(exc.__cause__, ValidationError):
                raise ToolError(_one_line(name, exc.__cause__)) from exc.__cause__
            raise


@contextmanager
def _tool_errors(project_id: str | None = None) -> Iterator[None]:
    try:
        yield
    except CodelensError as exc:
        if isinstance(exc, ProjectNotFound) and project_id is not None:
            raise ToolError(
                f"no project {project_id!r}: list_projects shows the existing ones, and"
                f" index_repository(repo_path, {project_id!r}) creates it"
            ) from exc
        raise ToolError(str(exc)) from exc


def build_server(workspace: Workspace, roots: AllowedRoots, jobs: JobManager) -> MCPServer[Any]:
    server = _Server("codelens", instructions=INSTRUCTIONS, log_level="WARNING")

    def tool(*, read_only: bool) -> Callable[[_F], _F]:
        def register(fn: _F) -> _F:
            # Docstrings are indented; clients show the description as is.
            hints = ToolAnnotations(
                read_only_hint=read_only, destructive_hint=False, open_world_hint=False
            )
            server.add_tool(fn, description=inspect.cleandoc(fn.__doc__ or ""), annotations=hints)
            server.parameters[fn.__name__] = tuple(inspect.signature(fn).parameters)
            return fn

        return register

    @tool(read_only=True)
    def list_projects() -> dict[str, Any]:
        """List the projects: id, description, embedding model, repositories and chunk counts."""
        with _tool_errors():
            table = workspace.projects()
            projects = []
            for row in table.to_dict(orient="records"):
                repos = workspace.get(row["id"]).repositories()
                projects.append(
                    {
                        "id": row["id"],
                        "description": row["description"],
                        "model": _plain(row["embedding_model"]) or _plain(row["embedder"]),
                        "dimensions": _int_or_none(row["embedding_dimensions"]),
                        "repositories": [
                            {
                                "name": r["name"],
                                "root_path": r["root_path"],
                                "files": int(r["files"]),
                                "chunks": int(r["chunks"]),
                                "last_indexed_at": _iso(r["last_indexed_at"]),
                            }
                            for r in repos.to_dict(orient="records")
                        ],
                        "files": int(row["files"]),
                        "chunks": int(row["chunks"]),
                    }
                )
        return {"projects": projects, "allowed_roots": [str(r) for r in roots.roots]}

    @tool(read_only=False)
    def index_repository(
        repo_path: Annotated[
            str,
            Field(
                description="Absolute path of the repository folder; it must be under an allowed root"
            ),
        ],
        project_id: ProjectId,
        force_reindex: Annotated[
            bool,
            Field(description="Re-chunk and re-embed every file, even unchanged ones"),
        ] = False,
        dry_run: Annotated[
            bool,
            Field(
                description="Write nothing: reply with what would be indexed, skipped and"
                " embedded, and estimates of the time to searchable by words and to fully"
                " embedded"
            ),
        ] = False,
    ) -> dict[str, Any]:
        """Start indexing a repository into a project (created if missing) in the background.

        Returns a job_id at once: poll get_indexing_status(job_id) until the state is
        completed or failed. Unchanged files are skipped unless force_reindex is true.
        With dry_run, nothing is written and the reply is the dry run's report (files per
        language, skipped per reason, ignored paths, biggest folders, chunks, time estimates).
        """
        with _tool_errors(project_id):
            folder = roots.pin(repo_path)
            if dry_run:  # the project is not created: a dry run writes nothing
                planned = Project(workspace, project_id)
                plan = planned.dry_run(folder, force=force_reindex, progress=False)
                return {"dry_run": plan.to_dict(), "summary": str(plan)}
            workspace.project(project_id)  # validates the id, creates the project on first use
            job, new = jobs.start(project_id, folder, force=force_reindex)
            reply = jobs.status(job.id)
        reply["note"] = (
            "poll get_indexing_status with this job_id"
            if new
            else "this repository is already being indexed by this job: poll it"
        )
        return reply

    @tool(read_only=True)
    def get_indexing_status(
        job_id: Annotated[str, Field(description="The job_id that index_repository returned")],
    ) -> dict[str, Any]:
        """State of an indexing job (pending, running, completed, failed), its live counts
        (progress.stage is "store" while files are stored, each searchable by words at once,
        then "embed" while vectors are computed, with chunks_done of chunks_total and
        seconds_left; "first pass" comes first, with its chunks_done of chunks_total, when a
        retired first-pass model's vectors are replaced), its report when done, its error if
        it failed, a warning when nothing was indexed, and the project's vectors: embedded of
        total chunks, and how many await."""
        with _tool_errors():
            reply = jobs.status(job_id)
            try:
                covered = workspace.get(reply["project_id"]).coverage()
            except CodelensError:  # not created yet, or dropped meanwhile
                reply["vectors"] = None
            else:
                reply["vectors"] = {
                    "embedded": covered.embedded,
                    "total": covered.total,
                    "awaiting": covered.awaiting,
                }
            return reply

    @tool(read_only=True)
    def search_code(
        query: Annotated[str, Field(description="What to look for, in words or code")],
        project_id: ProjectId,
        repository: Annotated[
            str | None, Field(description="Only this repository (its name in list_projects)")
        ] = None,
        file_type: Annotated[
            str | None, Field(description="Only files with this extension, e.g. 'py' or 'ts'")
        ] = None,
        directory: Annotated[
            str | None,
            Field(
                description="Only files under this folder (or matching this glob), relative to the repository root, e.g. 'src/api', or absolute, e.g. '/home/ana/shop/src/api'"
            ),
        ] = None,
        language: Annotated[
            str | None, Field(description="Only this language, e.g. 'python', 'typescript', 'go'")
        ] = None,
        kind: Annotated[
            str | None,
            Field(
                description="'code' for code only, 'docs' for documentation only (Markdown, reStructuredText, plain text), or a definition kind such as 'function' or 'class'"
            ),
        ] = None,
        limit: Annotated[
            int, Field(ge=1, le=MAX_LIMIT, description=f"How many results, 1 to {MAX_LIMIT}")
        ] = DEFAULT_LIMIT,
        mode: Annotated[
            Mode,
            Field(
                description="hybrid (meaning and words, the default), semantic (meaning) or lexical (words)"
            ),
        ] = DEFAULT_MODE,
        by: Annotated[
            By,
            Field(
                description="definition (a result per definition, the default) or file (a result per file, with its matching definitions)"
            ),
        ] = DEFAULT_BY,
    ) -> dict[str, Any]:
        """Search a project's code. Returns ranked results, one per definition (a long
        definition is stored in parts; they never take two results): path, start_line and
        end_line of the whole definition, match_start_line and match_end_line of its
        best-matching part, parts (how many), symbol, kind, language, category (code or
        docs), score, content: the text of the matching part, and callers (how many places
        call the definition; find_references with kind call lists them). Documentation ranks
        below code of similar score unless the query asks about docs; kind="code" or
        kind="docs" keeps one of them only. With by="file", one result per file: its best
        definition as above, plus file_results and definitions (every matching definition
        of the file: symbol, start_line, end_line, best first). A note, when there is
        one, says which filter matches nothing in the project (the path filter is
        directory) and what the project has instead, or that meaning search saw only part
        of the project."""
        with _tool_errors(project_id):
            # Arguments first: a malformed call gets the same answer whatever exists.
            clean_query(query)
            Filters.of(
                language=language,
                path=directory,
                repository=repository,
                file_type=file_type,
                kind=kind,
            )
            project = workspace.get(project_id)
            results = project.search(
                query,
                limit=limit,
                mode=mode,
                language=language,
                path=directory,
                repository=repository,
                file_type=file_type,
                by=by,
                kind=kind,
            )
            records = results.to_dict(orient="records")
        keys = (
            "rank",
            "score",
            "repository",
            "path",
            "start_line",
            "end_line",
            "symbol",
            "kind",
            "language",
            "category",
            "match_start_line",
            "match_end_line",
            "parts",
            "callers",
            *CELL_COLUMNS,
        )
        hits = [
            {k: _plain(r.get(k)) for k in keys}
            | {"content": match_text(r), "place": place(r)}
            | _file_fields(r)
            for r in records
        ]
        return {
            "project_id": project_id,
            "query": query,
            "mode": mode,
            "by": by,
            "count": len(hits),
            "results": hits,
            **_note(results),
        }

    def symbol_rows(project_id: str, rows: Any, limit: int, symbol: str) -> dict[str, Any]:
        """Rows of repositories under the allowed roots, as plain records; when there are
        none and the project defines no ``symbol``, a note says so (a typo is not "unused")."""
        project = workspace.get(project_id)
        allowed = {
            int(r["id"])
            for r in project.repositories().to_dict(orient="records")
            if roots.allows(str(r["root_path"]))
        }
        kept = [r for r in rows.to_dict(orient="records") if int(r["repository"]) in allowed]
        withheld = len(rows) - len(kept)
        names = {int(r["id"]): r["name"] for r in project.repositories().to_dict(orient="records")}
        out = [
            {k: _plain(v) for k, v in r.items() if k not in ("depth", "repository")}
            | {"repository": names.get(int(r["repository"])), "place": f"{r['path']}:{r['line']}"}
            for r in kept[:limit]
        ]
        reply: dict[str, Any] = {
            "project_id": project_id,
            "count": len(out),
            "truncated": len(kept) > limit,
            "results": out,
        }
        if withheld:
            reply["note"] = (
                f"{withheld} results in repositories outside the allowed roots are left out"
            )
        elif rows.empty and project.definitions(symbol).empty:
            reply["note"] = no_definition(symbol)
        return reply

    @tool(read_only=True)
    def find_definition(
        symbol: SymbolName,
        project_id: ProjectId,
        limit: Annotated[
            int, Field(ge=1, le=_SYMBOL_LIMIT, description="How many results at most")
        ] = 50,
    ) -> dict[str, Any]:
        """Where a symbol is defined: one result per definition with path, line, column
        (1-based), symbol (its qualified name), kind (function, method, class, constant,
        variable, ...), definition (the enclosing definition, "" at module level),
        language, repository and place (path:line)."""
        with _tool_errors(project_id):
            rows = workspace.get(project_id).definitions(symbol)
            return symbol_rows(project_id, rows, limit, symbol)

    @tool(read_only=True)
    def find_references(
        symbol: SymbolName,
        project_id: ProjectId,
        kind: Annotated[
            ReferenceKind | None,
            Field(
                description="Only this kind of use: call (the callers), import, inherit (a"
                " class's base), attribute (a read), decorator, type"
            ),
        ] = None,
        limit: Annotated[
            int, Field(ge=1, le=_SYMBOL_LIMIT, description="How many results at most")
        ] = 100,
    ) -> dict[str, Any]:
        """Where a symbol is used: one result per place with path, line, column (1-based),
        definition (the function or class the use sits in: for calls, the caller), symbol
        and target_path/target_line (the definition it means), kind, and resolution: how
        codelens knows (import, scope, self: resolved in Python; name-only: matched by name
        alone, as in other languages and for calls on values of unknown type)."""
        with _tool_errors(project_id):
            rows = workspace.get(project_id).references(symbol, kind)
            return symbol_rows(project_id, rows, limit, symbol)

    return server


def _file_fields(record: dict[Any, Any]) -> dict[str, Any]:
    """A file result's count and list of matching definitions (nothing for a definition)."""
    if "definitions" not in record:
        return {}
    return {
        "file_results": int(record["file_results"]),
        "definitions": [
            {"symbol": s, "start_line": a, "end_line": b} for s, a, b in record["definitions"]
        ],
    }


def _note(results: SearchResults) -> dict[str, Any]:
    """Say so when a filter matched nothing, or meaning search saw only the embedded part
    of the project, or the first-pass model's vectors."""
    note = results.search_note
    return {} if note is None else {"note": note}


def _missing(value: Any) -> bool:
    # pandas shows a missing value as None, NaN or NaT depending on the column's other values.
    return value is None or value != value


def _int_or_none(value: Any) -> int | None:
    return None if _missing(value) else int(value)


def _iso(value: Any) -> str | None:
    return None if _missing(value) else str(value.isoformat())


def _plain(value: Any) -> Any:
    return None if _missing(value) else value


def serve(roots: Sequence[str] = (), *, http: bool = False, port: int = 8765) -> None:
    """Run the server until the client disconnects (stdio) or Ctrl-C (HTTP)."""
    allowed = AllowedRoots.from_sources(roots)
    workspace = Workspace()
    jobs = JobManager(workspace)
    server = build_server(workspace, allowed, jobs)
    print(f"codelens MCP server: {allowed.describe()}", file=sys.stderr)
    try:
        if http:
            # Loopback only: the SDK then also refuses other Host and Origin headers
            # (DNS rebinding), so a web page cannot drive the tools.
            print(f"codelens MCP server on http://127.0.0.1:{port}/mcp", file=sys.stderr)
            server.run("streamable-http", host="127.0.0.1", port=port)
        else:
            server.run("stdio")
    except KeyboardInterrupt:
        pass
    finally:
        jobs.shutdown()
        workspace.close()
