"""The folders an MCP client may have indexed: everything else is refused.

A client (an editor's agent) chooses the path to index, so the server owner lists
the roots it may choose under. Paths are compared after ``realpath``: ``..`` and
symlinks are resolved first, so a link inside a root that points outside it is
refused like the outside path itself. With no roots, every path is refused.

An index job runs later than it is checked, so :meth:`AllowedRoots.pin` also
records which folder passed (reached from its root with no link on the way, by
device and inode): the job indexes that folder or fails, whatever the path
leads to by then.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from codelens._scan.nofollow import CheckedFolder, check_folder
from codelens.errors import ConfigError, IndexingError, PermissionDenied

__all__ = ["ENV_ALLOWED_ROOTS", "AllowedRoots"]

ENV_ALLOWED_ROOTS = "CODELENS_ALLOWED_ROOTS"

_HOW_TO_ADD = (
    "start the server with `codelens mcp --root DIR` (repeatable) "
    f"or set {ENV_ALLOWED_ROOTS} (folders separated by {os.pathsep!r})"
)


class AllowedRoots:
    """Real paths of existing folders; ``check`` accepts a path only below one of them."""

    def __init__(self, roots: Iterable[str | os.PathLike[str]]) -> None:
        resolved: list[Path] = []
        for root in roots:
            real = Path(os.path.realpath(os.path.expanduser(os.fspath(root))))
            if not real.is_dir():
                raise ConfigError(
                    f"allowed root {os.fspath(root)!r} is not a folder: {_HOW_TO_ADD}"
                )
            if real not in resolved:
                resolved.append(real)
        self.roots: tuple[Path, ...] = tuple(resolved)

    @classmethod
    def from_sources(
        cls, roots: Iterable[str] = (), environ: Mapping[str, str] | None = None
    ) -> AllowedRoots:
        """``--root`` options plus the environment variable's folders."""
        env = os.environ if environ is None else environ
        from_env = [part for part in env.get(ENV_ALLOWED_ROOTS, "").split(os.pathsep) if part]
        return cls([*roots, *from_env])

    def __repr__(self) -> str:
        return f"AllowedRoots({[str(r) for r in self.roots]!r})"

    def describe(self) -> str:
        if not self.roots:
            return f"no allowed roots, so indexing is refused: {_HOW_TO_ADD}"
        return "indexing allowed under: " + ", ".join(str(r) for r in self.roots)

    def check(self, path: str) -> Path:
        """The real path of ``path`` when it is a folder under an allowed root."""
        if not isinstance(path, str) or not path.strip():
            raise IndexingError("repo_path is empty: pass the absolute path of a repository folder")
        expanded = os.path.expanduser(path)
        if not os.path.isabs(expanded):
            raise IndexingError(
                f"repo_path {path!r} is relative: pass an absolute path (the server's working"
                " folder is not the client's)"
            )
        try:
            real = Path(os.path.realpath(expanded))
        except ValueError:  # an embedded NUL byte
            raise IndexingError(f"repo_path {path!r} is not a valid path") from None
        if not self.roots:
            raise PermissionDenied(f"permission denied for {path!r}: {self.describe()}")
        if not any(real == root or real.is_relative_to(root) for root in self.roots):
            shown = path if str(real) == os.path.normpath(expanded) else f"{path} (-> {real})"
            raise PermissionDenied(
                f"permission denied: {shown} is outside the allowed roots "
                f"({', '.join(str(r) for r in self.roots)}); add its folder with `--root`"
            )
        # Checked after the permission test, so that nothing is revealed about outside paths.
        if not real.is_dir():
            raise IndexingError(f"repo_path {path!r} is not an existing folder: check the path")
        return real

    def allows(self, path: str) -> bool:
        """Whether ``path`` (a repository's recorded root) is under an allowed root."""
        try:
            real = Path(os.path.realpath(path))
        except ValueError:
            return False
        return any(real == root or real.is_relative_to(root) for root in self.roots)

    def pin(self, path: str) -> CheckedFolder:
        """:meth:`check`, plus which folder passed, for a job that opens it later."""
        real = self.check(path)
        root = next(r for r in self.roots if real == r or real.is_relative_to(r))
        try:
            return check_folder(str(root), str(real))
        except OSError:
            # A link swapped in between resolving the path and opening it.
            raise PermissionDenied(
                f"permission denied: {path} changed while it was being checked; ask again"
            ) from None
