"""Every error codelens raises on purpose.

The hierarchy::

    CodelensError                 anything the user can fix; shows as one line in notebooks
    ├── ConfigError               a setting or environment variable is wrong
    ├── InvalidProjectId          a project id breaks the naming rule (no SQL has run)
    ├── ProjectNotFound           no project by that name
    ├── ProjectExists             create() of a name that is taken
    ├── DatabaseError             the server cannot be started, reached or used, or went away
    │   └── MissingExtension      the server has no pgvector
    ├── EmbedderError             an embedder cannot produce vectors
    │   ├── EmbedderUnavailable   the server is down or the model is missing
    │   └── ModelMismatch         the project was indexed with another model
    ├── IndexingError             an index run cannot start or go on
    │   └── ProjectBusy           another indexer holds the project
    ├── SearchError               a query or filter cannot be run
    │   └── NotIndexed            the project has nothing to search yet
    ├── AnalysisError             a DuckDB query over the snapshot failed
    ├── SymbolError               a symbol question cannot be asked as given
    ├── PermissionDenied          a path outside the allowed roots (MCP server)
    └── AccessDenied              the server's role may not do this to a project (or the registry)

Errors carry one line that names the fix. In IPython, ``_render_traceback_``
shows that line alone, so a notebook cell fails visibly (nbval and nbclient
still see the error) without a wall of traceback.
"""

from __future__ import annotations

__all__ = [
    "AccessDenied",
    "AnalysisError",
    "CodelensError",
    "ConfigError",
    "DatabaseError",
    "EmbedderError",
    "EmbedderUnavailable",
    "IndexingError",
    "InvalidProjectId",
    "MissingExtension",
    "ModelMismatch",
    "NotIndexed",
    "PermissionDenied",
    "ProjectBusy",
    "ProjectExists",
    "ProjectNotFound",
    "SearchError",
    "SymbolError",
]

# The one line an index run ends with when the server dies under it: every batch that
# landed stays, so the same command goes on from there.
SERVER_STOPPED_DURING_INDEXING = (
    "the database server stopped during indexing; run the same command again to continue"
)


class CodelensError(Exception):
    """Base of every error a user can act on."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class ConfigError(CodelensError):
    pass


class InvalidProjectId(CodelensError, ValueError):
    pass


class ProjectNotFound(CodelensError, LookupError):
    pass


class ProjectExists(CodelensError):
    pass


class DatabaseError(CodelensError):
    pass


class MissingExtension(DatabaseError):
    pass


class EmbedderError(CodelensError):
    pass


class EmbedderUnavailable(EmbedderError):
    pass


class ModelMismatch(EmbedderError):
    pass


class IndexingError(CodelensError):
    pass


class ProjectBusy(IndexingError):
    pass


class SearchError(CodelensError, ValueError):
    pass


class NotIndexed(SearchError):
    @classmethod
    def project(cls, project_id: str) -> NotIndexed:
        """The one wording, wherever a search finds nothing indexed."""
        return cls(
            f"project {project_id!r} has nothing indexed yet: run codelens.project("
            f"{project_id!r}).index('PATH') or `%codelens index PATH` first"
        )


class AnalysisError(CodelensError):
    pass


class SymbolError(CodelensError, ValueError):
    """A question about symbols that cannot be asked as given (an empty name, a bad depth)."""


class PermissionDenied(CodelensError, PermissionError):
    pass


class AccessDenied(CodelensError, PermissionError):
    pass
