"""Walk one repository and read the files worth indexing.

What is excluded is decided in :mod:`codelens._scan.ignore`, and how a file is read in
:mod:`codelens._scan.read`. Virtual environments are always skipped: a folder holding
``pyvenv.cfg`` or ``conda-meta``, ``.venv``, and ``venv`` unless it is a Python
package (CPython's own ``Lib/venv``). Excluded folders are never entered; a
would-be environment is listed once to look for those markers.

Symlinks (``follow_symlinks=True``) whose target is inside the root are followed
after everything reached without a link: a target the walk reached already (the same
device and inode) is recorded as ``duplicate_of <its path>``, anything else is read or
entered under the link's own path; a link to a folder that is being walked is
``symlink_loop``. A dangling link is ``broken_symlink``; the
target of a ``symlink_outside`` link is never touched, and neither is a link
swapped in after its entry was checked (see :mod:`codelens._scan.nofollow`). The
database stores paths as UTF-8, so a file whose name is not valid UTF-8 is
skipped as ``undecodable_name`` and recorded with ``\\xNN`` escapes for the bytes
that are not (``caf\\xe9.py``); such a folder is ignored and not entered.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from codelens._languages import LANGUAGES, detect_language
from codelens._scan.ignore import (
    IGNORE_FILES,
    Rules,
    ignore_rule,
    rules_from_file,
    rules_from_lines,
)
from codelens._scan.nofollow import DIR_FLAGS, CheckedFolder, is_link_refused, open_beneath, reopen
from codelens._scan.read import DUPLICATE_OF, SKIP_REASONS, ScannedFile, read_file
from codelens.errors import ConfigError, IndexingError

__all__ = [
    "SKIP_REASONS",
    "IgnoredPath",
    "ScanOptions",
    "ScannedFile",
    "scan",
    "scan_ignored",
    "shown_path",
    "walk",
]

_VENV_MARKERS = ("pyvenv.cfg", "conda-meta")


@dataclass(frozen=True, slots=True)
class IgnoredPath:
    path: str
    is_dir: bool
    rule: str  # e.g. ".gitignore: *.log", "default: node_modules/"


@dataclass(frozen=True)
class ScanOptions:
    """``extra_excludes`` are gitignore lines that beat every ignore file;
    ``notebook_outputs`` indexes the text outputs of notebook cells (capped);
    ``languages``, when given, are the only languages indexed (names as in
    ``codelens.languages()``; files of others are skipped as ``language_excluded``)."""

    max_file_bytes: int = 1_000_000
    extra_excludes: tuple[str, ...] = ()
    follow_symlinks: bool = True
    notebook_outputs: bool = False
    languages: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.languages is None:
            return
        if isinstance(self.languages, str):  # "python" would become {"p", "y", ...}
            raise ConfigError(
                f"ScanOptions.languages must be a set of names, got {self.languages!r}:"
                f" pass {{{self.languages!r}}}"
            )
        names = frozenset(name.strip().lower() for name in self.languages)
        unknown = sorted(names - LANGUAGES)
        if unknown:
            raise ConfigError(
                f"unknown language {', '.join(map(repr, unknown))} in ScanOptions.languages;"
                f" known: {', '.join(sorted(LANGUAGES))}"
            )
        object.__setattr__(self, "languages", names)


class _Entry(NamedTuple):
    name: str
    path: str
    kind: str  # "dir" (to enter), "file" (regular) or "other"
    real: str | None  # resolved target, for symlinks only
    problem: str | None  # skip reason found while resolving a symlink
    ident: tuple[int, int] | None  # device and inode: the target's, for a link


@dataclass(slots=True)
class _Frame:
    rel: str  # "" or "a/b/"
    real: str
    fd: int  # the folder, open: its files are opened from it
    rules: tuple[Rules, ...]  # strongest first
    entries: Iterator[_Entry]
    venv: str | None  # what marks the folder as a virtual environment
    dev: int


def scan(
    root: str | os.PathLike[str], options: ScanOptions | None = None, *, read: bool = True
) -> Iterator[ScannedFile]:
    """One record per file not excluded by the ignore rules, sorted by path.

    ``read=False`` still reads and hashes every file (change detection is by
    content hash) but drops the text, to keep a full-disk pass light.
    """
    for item in walk(root, options, read=read):
        if isinstance(item, ScannedFile):
            yield item


def scan_ignored(
    root: str | os.PathLike[str], options: ScanOptions | None = None
) -> Iterator[IgnoredPath]:
    """What the ignore rules excluded and which rule did it; folders are not entered."""
    for item in walk(root, options, read=False):
        if isinstance(item, IgnoredPath):
            yield item


# Test seam: called with an entry's relative path between its check and its open, so a
# test can swap the entry at exactly that moment.
before_open: Callable[[str], None] | None = None


def walk(
    root: str | os.PathLike[str] | CheckedFolder,
    options: ScanOptions | None = None,
    *,
    read: bool = True,
) -> Iterator[ScannedFile | IgnoredPath]:
    """Files and ignored paths of ``root`` in one pass, sorted by path.

    A :class:`CheckedFolder` is walked only if it is still the folder that was checked.
    """
    top = os.fspath(root)
    if not os.path.isdir(top):
        what = "a file" if os.path.exists(top) else "missing"
        raise IndexingError(f"cannot scan {top!r}: it is {what}; pass a repository's root folder")
    return _Walk(root, options or ScanOptions(), read).run()


def shown_path(rel: str) -> str:
    """``rel`` as stored text: bytes that are not UTF-8 become ``\\xNN`` escapes."""
    return rel.encode(errors="surrogateescape").decode(errors="backslashreplace")


class _Walk:
    """Depth-first over an explicit stack, so deep trees cannot hit the recursion limit.

    Each folder is listed and its files opened through the folder's descriptor with
    ``O_NOFOLLOW``, and a followed link's target from the root's descriptor one name at a
    time: an entry swapped for a link after it was checked is refused, never followed.
    """

    def __init__(
        self, root: str | os.PathLike[str] | CheckedFolder, options: ScanOptions, read: bool
    ) -> None:
        self.options, self.read = options, read
        self.root = root
        self.top = os.fspath(root)
        self.real_root = (
            root.path if isinstance(root, CheckedFolder) else os.path.realpath(self.top)
        )
        self.forced = rules_from_lines(options.extra_excludes, "", "extra_excludes")
        self.stack: list[_Frame] = []
        # Links are followed after everything reached without one, so a file reached both
        # ways is indexed once, under its real path: (device, inode) -> where it was.
        self.seen: dict[tuple[int, int], str] = {}
        self.links: list[tuple[str, _Entry, tuple[Rules, ...]]] = []

    def run(self) -> Iterator[ScannedFile | IgnoredPath]:
        top = self.top
        try:
            if isinstance(self.root, CheckedFolder):
                root_fd = reopen(self.root)
            else:
                root_fd = os.open(self.real_root, DIR_FLAGS)
        except OSError as exc:
            raise IndexingError(
                f"cannot list {top!r}: {exc.strerror}; check its permissions"
            ) from None
        self.root_fd = root_fd
        try:
            exclude = rules_from_file(
                os.path.join(top, ".git", "info", "exclude"), "", ".git/info/exclude"
            )
            try:
                first = self._open(os.dup(root_fd), top, "", self.real_root, exclude)
            except OSError as exc:
                raise IndexingError(
                    f"cannot list {top!r}: {exc.strerror}; check its permissions"
                ) from None
            self.stack.append(first)
            yield from self._entries()
        finally:
            for frame in self.stack:
                os.close(frame.fd)
            os.close(root_fd)

    def _entries(self) -> Iterator[ScannedFile | IgnoredPath]:
        stack = self.stack
        while stack or self.links:
            if not stack:
                yield from self._follow(*self.links.pop(0))
                continue
            frame = stack[-1]
            entry = next(frame.entries, None)
            if entry is None:
                os.close(stack.pop().fd)
                continue
            rel = frame.rel + entry.name
            is_dir = entry.kind == "dir"
            rule = ignore_rule(rel, entry.name, is_dir, frame.rules)
            if rule is None and entry.real is not None and not self.options.follow_symlinks:
                rule = "option: follow_symlinks=False"
            try:
                rel.encode()
            except UnicodeEncodeError:  # a name in a legacy encoding: the database needs UTF-8
                shown = shown_path(rel)
                if rule is not None:
                    yield IgnoredPath(shown, is_dir, rule)
                elif is_dir:  # not entered: no path below it could be stored either
                    yield IgnoredPath(shown, True, "name: not valid UTF-8")
                else:
                    yield _skipped(shown, "undecodable_name")
                continue
            if rule is not None:
                yield IgnoredPath(rel, is_dir, rule)
                continue
            if entry.problem is not None:
                yield _skipped(rel, entry.problem)
                continue
            inherited = frame.rules[len(self.forced) :]
            if entry.real is not None:
                self.links.append((rel, entry, inherited))
                continue
            if entry.ident is not None:
                self.seen.setdefault((frame.dev, entry.ident[1]), rel)
            opener = self._opener(frame, entry)
            yield from self._visit(
                rel, entry, opener, os.path.join(frame.real, entry.name), inherited
            )

    def _follow(
        self, rel: str, entry: _Entry, inherited: tuple[Rules, ...]
    ) -> Iterator[ScannedFile | IgnoredPath]:
        """A link inside the root: read or entered unless its target was reached already."""
        assert entry.real is not None
        assert entry.ident is not None
        original = self.seen.get(entry.ident)
        if original is not None:
            yield _skipped(rel, f"{DUPLICATE_OF} {original}")
            return
        self.seen[entry.ident] = rel
        below = "" if entry.real == self.real_root else os.path.relpath(entry.real, self.real_root)
        opener: Callable[[int], int] = lambda flags: open_beneath(self.root_fd, below, flags)  # noqa: E731
        yield from self._visit(rel, entry, opener, entry.real, inherited)

    def _visit(
        self,
        rel: str,
        entry: _Entry,
        opener: Callable[[int], int],
        real: str,
        inherited: tuple[Rules, ...],
    ) -> Iterator[ScannedFile | IgnoredPath]:
        if before_open is not None:
            before_open(rel)
        if entry.kind != "dir":
            yield read_file(
                opener,
                rel,
                regular=entry.kind == "file",
                limit=self.options.max_file_bytes,
                keep_text=self.read,
                notebook_outputs=self.options.notebook_outputs,
                languages=self.options.languages,
            )
            return
        try:
            fd = opener(DIR_FLAGS)
        except OSError as exc:
            if is_link_refused(exc):
                yield _skipped(rel, "symlink_outside")
            else:
                yield IgnoredPath(rel, True, f"unreadable: {exc.strerror}")
            return
        try:
            child = self._open(fd, entry.path, rel + "/", real, inherited)
        except OSError as exc:
            yield IgnoredPath(rel, True, f"unreadable: {exc.strerror}")
            return
        if child.venv:
            os.close(child.fd)
            yield IgnoredPath(rel, True, f"default: virtual environment ({child.venv})")
        else:
            self.stack.append(child)

    def _opener(self, frame: _Frame, entry: _Entry) -> Callable[[int], int]:
        """Opens the entry from its folder's descriptor, with no link followed on the way
        (a followed link's target is opened from the root's: see ``_follow``)."""
        return lambda flags: open_beneath(frame.fd, entry.name, flags)

    def _open(
        self, fd: int, path: str, rel: str, real: str, inherited: tuple[Rules, ...]
    ) -> _Frame:
        """A frame over the entries of the folder open as ``fd`` (which it then owns), sorted
        so that paths come out sorted."""
        walking = [f.real for f in self.stack] + [real]
        try:
            folder = os.fstat(fd)
            self.seen.setdefault((folder.st_dev, folder.st_ino), rel.rstrip("/"))
            with os.scandir(fd) as it:
                entries = [_classify(e, path, walking, self.real_root) for e in it]
        except OSError:
            os.close(fd)
            raise
        names = {e.name: e for e in entries}
        venv = _venv_marker(rel, names)
        own: list[Rules] = []
        for name in () if venv else IGNORE_FILES:
            found = names.get(name)
            if found is not None and found.kind == "file":
                own.extend(rules_from_file(found.path, rel, rel + name))
        # "a-b" < "a.py" < "a/x": a folder sorts as "name/"
        entries.sort(key=lambda e: e.name + "/" if e.kind == "dir" else e.name)
        return _Frame(
            rel, real, fd, (*self.forced, *own, *inherited), iter(entries), venv, folder.st_dev
        )


def _skipped(rel: str, reason: str) -> ScannedFile:
    return ScannedFile(rel, detect_language(rel), 0, None, 0, None, reason)


def _venv_marker(rel: str, names: dict[str, _Entry]) -> str | None:
    """What makes a folder a virtual environment; the root never is one (it was asked for)."""
    if not rel:
        return None
    marker = next((m for m in _VENV_MARKERS if m in names), None)
    if marker is None and rel.rsplit("/", 2)[-2] == "venv" and "__init__.py" not in names:
        marker = "venv/"
    return marker


def _classify(e: os.DirEntry[str], folder: str, walking: list[str], real_root: str) -> _Entry:
    path = os.path.join(folder, e.name)  # listed through a descriptor, e.path is the bare name
    if not e.is_symlink():
        try:
            kind = "dir" if e.is_dir() else "file" if e.is_file() else "other"
        except OSError:  # only when the file system gives no type and lstat() fails
            kind = "other"
        # The folder's device goes with it (see _entries); the inode comes with the listing.
        return _Entry(e.name, path, kind, None, None, (0, e.inode()) if kind == "file" else None)
    real = os.path.realpath(path)
    if not _within(real, real_root):
        return _Entry(e.name, path, "other", real, "symlink_outside", None)
    try:
        target = os.stat(path)
    except FileNotFoundError:
        return _Entry(e.name, path, "other", real, "broken_symlink", None)
    except OSError as exc:
        problem = "symlink_loop" if exc.errno == errno.ELOOP else "unreadable"
        return _Entry(e.name, path, "other", real, problem, None)
    mode, ident = target.st_mode, (target.st_dev, target.st_ino)
    if stat.S_ISDIR(mode):
        if any(_within(w, real) for w in walking):
            return _Entry(e.name, path, "other", real, "symlink_loop", ident)
        return _Entry(e.name, path, "dir", real, None, ident)
    return _Entry(e.name, path, "file" if stat.S_ISREG(mode) else "other", real, None, ident)


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder if folder.endswith(os.sep) else folder + os.sep)
