"""Walk one repository and read the files worth indexing.

What is excluded is decided in :mod:`codelens._ignore`, and how a file is read in
:mod:`codelens._read`. Virtual environments are always skipped: a folder holding
``pyvenv.cfg`` or ``conda-meta``, ``.venv``, and ``venv`` unless it is a Python
package (CPython's own ``Lib/venv``). Excluded folders are never entered; a
would-be environment is listed once to look for those markers.

Symlinks (``follow_symlinks=True``) are read or entered when their target is
inside the root, recorded under the link's own path; a link to a folder that is
being walked is ``symlink_loop``. A dangling link is ``broken_symlink``; the
target of a ``symlink_outside`` link is never touched. Names that are not valid
UTF-8 are reported as ignored, since the database stores paths as UTF-8.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from codelens._ignore import IGNORE_FILES, Rules, ignore_rule, rules_from_file, rules_from_lines
from codelens._languages import detect_language
from codelens._read import SKIP_REASONS, ScannedFile, read_file
from codelens.errors import IndexingError

__all__ = [
    "SKIP_REASONS",
    "IgnoredPath",
    "ScanOptions",
    "ScannedFile",
    "scan",
    "scan_ignored",
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
    ``notebook_outputs`` indexes the text outputs of notebook cells (capped)."""

    max_file_bytes: int = 1_000_000
    extra_excludes: tuple[str, ...] = ()
    follow_symlinks: bool = True
    notebook_outputs: bool = False


class _Entry(NamedTuple):
    name: str
    path: str
    kind: str  # "dir" (to enter), "file" (regular) or "other"
    real: str | None  # resolved target, for symlinks only
    problem: str | None  # skip reason found while resolving a symlink


@dataclass(slots=True)
class _Frame:
    rel: str  # "" or "a/b/"
    real: str
    rules: tuple[Rules, ...]  # strongest first
    entries: Iterator[_Entry]
    venv: str | None  # what marks the folder as a virtual environment


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


def walk(
    root: str | os.PathLike[str], options: ScanOptions | None = None, *, read: bool = True
) -> Iterator[ScannedFile | IgnoredPath]:
    """Files and ignored paths of ``root`` in one pass, sorted by path."""
    top = os.fspath(root)
    if not os.path.isdir(top):
        what = "a file" if os.path.exists(top) else "missing"
        raise IndexingError(f"cannot scan {top!r}: it is {what}; pass a repository's root folder")
    try:
        return iter(_Walk(top, options or ScanOptions(), read))
    except OSError as exc:
        raise IndexingError(f"cannot list {top!r}: {exc.strerror}; check its permissions") from None


class _Walk:
    """Depth-first over an explicit stack, so deep trees cannot hit the recursion limit."""

    def __init__(self, top: str, options: ScanOptions, read: bool) -> None:
        self.options, self.read = options, read
        self.real_root = os.path.realpath(top)
        self.forced = rules_from_lines(options.extra_excludes, "", "extra_excludes")
        exclude = rules_from_file(
            os.path.join(top, ".git", "info", "exclude"), "", ".git/info/exclude"
        )
        self.stack: list[_Frame] = []
        self.stack.append(self._open(top, "", self.real_root, exclude))

    def __iter__(self) -> Iterator[ScannedFile | IgnoredPath]:
        stack = self.stack
        while stack:
            frame = stack[-1]
            entry = next(frame.entries, None)
            if entry is None:
                stack.pop()
                continue
            rel = frame.rel + entry.name
            is_dir = entry.kind == "dir"
            try:
                rel.encode()
            except UnicodeEncodeError:  # a name in a legacy encoding: the database needs UTF-8
                shown = rel.encode(errors="surrogateescape").decode(errors="backslashreplace")
                yield IgnoredPath(shown, is_dir, "name: not valid UTF-8")
                continue
            rule = ignore_rule(rel, entry.name, is_dir, frame.rules)
            if rule is None and entry.real is not None and not self.options.follow_symlinks:
                rule = "option: follow_symlinks=False"
            if rule is not None:
                yield IgnoredPath(rel, is_dir, rule)
            elif entry.problem is not None:
                yield ScannedFile(rel, detect_language(rel), 0, None, 0, None, entry.problem)
            elif not is_dir:
                yield read_file(
                    entry.path,
                    rel,
                    regular=entry.kind == "file",
                    limit=self.options.max_file_bytes,
                    keep_text=self.read,
                    notebook_outputs=self.options.notebook_outputs,
                )
            else:
                real = entry.real or os.path.join(frame.real, entry.name)
                try:
                    child = self._open(entry.path, rel + "/", real, frame.rules[len(self.forced) :])
                except OSError as exc:
                    yield IgnoredPath(rel, True, f"unreadable: {exc.strerror}")
                    continue
                if child.venv:
                    yield IgnoredPath(rel, True, f"default: virtual environment ({child.venv})")
                else:
                    stack.append(child)

    def _open(self, path: str, rel: str, real: str, inherited: tuple[Rules, ...]) -> _Frame:
        """A frame over the entries of a folder, sorted so that paths come out sorted."""
        walking = [f.real for f in self.stack] + [real]
        with os.scandir(path) as it:
            entries = [_classify(e, walking, self.real_root) for e in it]
        names = {e.name: e for e in entries}
        venv = _venv_marker(rel, names)
        own: list[Rules] = []
        for name in () if venv else IGNORE_FILES:
            found = names.get(name)
            if found is not None and found.kind == "file":
                own.extend(rules_from_file(found.path, rel, rel + name))
        # "a-b" < "a.py" < "a/x": a folder sorts as "name/"
        entries.sort(key=lambda e: e.name + "/" if e.kind == "dir" else e.name)
        return _Frame(rel, real, (*self.forced, *own, *inherited), iter(entries), venv)


def _venv_marker(rel: str, names: dict[str, _Entry]) -> str | None:
    """What makes a folder a virtual environment; the root never is one (it was asked for)."""
    if not rel:
        return None
    marker = next((m for m in _VENV_MARKERS if m in names), None)
    if marker is None and rel.rsplit("/", 2)[-2] == "venv" and "__init__.py" not in names:
        marker = "venv/"
    return marker


def _classify(e: os.DirEntry[str], walking: list[str], real_root: str) -> _Entry:
    if not e.is_symlink():
        try:
            kind = "dir" if e.is_dir() else "file" if e.is_file() else "other"
        except OSError:  # only when the file system gives no type and lstat() fails
            kind = "other"
        return _Entry(e.name, e.path, kind, None, None)
    real = os.path.realpath(e.path)
    if not _within(real, real_root):
        return _Entry(e.name, e.path, "other", real, "symlink_outside")
    try:
        mode = os.stat(e.path).st_mode
    except FileNotFoundError:
        return _Entry(e.name, e.path, "other", real, "broken_symlink")
    except OSError as exc:
        problem = "symlink_loop" if exc.errno == errno.ELOOP else "unreadable"
        return _Entry(e.name, e.path, "other", real, problem)
    if stat.S_ISDIR(mode):
        if any(_within(w, real) for w in walking):
            return _Entry(e.name, e.path, "other", real, "symlink_loop")
        return _Entry(e.name, e.path, "dir", real, None)
    return _Entry(e.name, e.path, "file" if stat.S_ISREG(mode) else "other", real, None)


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder if folder.endswith(os.sep) else folder + os.sep)
