"""Walk one repository and read the files worth indexing.

Ignore rules, strongest first; as in git, the first source whose patterns
match a path decides, and a ``!pattern`` re-includes what weaker sources exclude:

1. ``ScanOptions.extra_excludes`` (gitignore syntax, relative to the root);
2. ``.codelensignore``, then ``.gitignore``, of the path's own folder, then of
   each parent folder up to the root (patterns relative to their folder);
3. the root's ``.git/info/exclude``;
4. the defaults: build output, caches, lock files, minified bundles. A
   ``.codelensignore`` holding ``!build/`` indexes a source folder named build.

``.git``, ``.hg``, ``.svn`` and virtual environments are always skipped: a
folder holding ``pyvenv.cfg`` or ``conda-meta``, ``.venv``, and ``venv`` unless
it is a Python package (CPython's own ``Lib/venv``). Excluded folders are never
entered; a would-be environment is listed once to look for those markers.

Decoding is strict UTF-8 (a UTF-8 BOM is dropped), or UTF-16 when the file
starts with a UTF-16 BOM. Anything else is ``undecodable``: no guessing,
because latin-1 "decodes" any bytes into garbage that would be embedded and
searched as if it were code.

Symlinks (``follow_symlinks=True``) are read or entered when their target is
inside the root, recorded under the link's own path; a link to a folder that is
being walked is ``symlink_loop``. A dangling link is ``broken_symlink``; the
target of a ``symlink_outside`` link is never touched. Names that are not valid
UTF-8 are reported as ignored, since the database stores paths as UTF-8.
Ignore files above the root are not read.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from pathspec import GitIgnoreSpec

from codelens._languages import detect_language
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

# In the order they are checked: the first that applies is recorded.
SKIP_REASONS: dict[str, str] = {
    "broken_symlink": "a symlink whose target does not exist",
    "symlink_outside": "a symlink whose target is outside the repository root",
    "symlink_loop": "a symlink that points to itself or to a folder that contains it",
    "unreadable": "could not be read: no permission, vanished during the scan, or not a regular file",
    "empty": "0 bytes, or only whitespace",
    "too_large": "larger than ScanOptions.max_file_bytes; not read, so no hash",
    "binary": "a NUL byte in the first 8 KiB, or anywhere in the decoded text",
    "unsupported": "no language known for the file's name or shebang",
    "undecodable": "not UTF-8, and not UTF-16 with a BOM",
}

_ALWAYS_SKIPPED = frozenset({".git", ".hg", ".svn"})
# fmt: off
_DEFAULT_DIRS = frozenset({
    ".venv", "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".tox", ".nox", "build", "dist", "target", ".next", ".cache", ".ipynb_checkpoints",
})
_DEFAULT_FILES = frozenset({
    "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "Cargo.lock", "uv.lock",
    "Pipfile.lock", "composer.lock", "Gemfile.lock", "go.sum",
})
# fmt: on
_DEFAULT_FILE_SUFFIXES = (".min.js", ".min.css", ".bundle.js", ".map")
_VENV_MARKERS = ("pyvenv.cfg", "conda-meta")
_IGNORE_FILES = (".codelensignore", ".gitignore")  # stronger first
_SNIFF = 8192
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
# O_NONBLOCK: a file swapped for a FIFO after listing must not hang the scan
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)


@dataclass(frozen=True, slots=True)
class ScannedFile:
    path: str  # relative to the root, "/" separators
    language: str | None
    size: int  # bytes on disk; 0 when unreadable
    sha256: str | None  # of the raw bytes; None when not read (unreadable, too_large, symlinks)
    line_count: int  # 0 when skipped
    text: str | None  # None when skipped, and always with read=False
    skip_reason: str | None  # a SKIP_REASONS key; None means indexable

    @property
    def indexable(self) -> bool:
        return self.skip_reason is None


@dataclass(frozen=True, slots=True)
class IgnoredPath:
    path: str
    is_dir: bool
    rule: str  # e.g. ".gitignore: *.log", "default: node_modules/"


@dataclass(frozen=True)
class ScanOptions:
    """``extra_excludes`` are gitignore lines that beat every ignore file."""

    max_file_bytes: int = 1_000_000
    extra_excludes: tuple[str, ...] = ()
    follow_symlinks: bool = True


class _Rules(NamedTuple):
    spec: GitIgnoreSpec
    base: str  # folder of the rules relative to the root: "" or "a/b/"
    source: str  # shown in IgnoredPath.rule


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
    rules: tuple[_Rules, ...]  # strongest first
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
        self.forced = _rules_from_lines(options.extra_excludes, "", "extra_excludes")
        exclude = _rules_from_file(
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
            rule = _ignore_rule(rel, entry.name, is_dir, frame.rules)
            if rule is None and entry.real is not None and not self.options.follow_symlinks:
                rule = "option: follow_symlinks=False"
            if rule is not None:
                yield IgnoredPath(rel, is_dir, rule)
            elif entry.problem is not None:
                yield ScannedFile(rel, detect_language(rel), 0, None, 0, None, entry.problem)
            elif not is_dir:
                yield _read_file(entry, rel, self.options.max_file_bytes, self.read)
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

    def _open(self, path: str, rel: str, real: str, inherited: tuple[_Rules, ...]) -> _Frame:
        """A frame over the entries of a folder, sorted so that paths come out sorted."""
        walking = [f.real for f in self.stack] + [real]
        with os.scandir(path) as it:
            entries = [_classify(e, walking, self.real_root) for e in it]
        names = {e.name: e for e in entries}
        venv = _venv_marker(rel, names)
        own: list[_Rules] = []
        for name in () if venv else _IGNORE_FILES:
            found = names.get(name)
            if found is not None and found.kind == "file":
                own.extend(_rules_from_file(found.path, rel, rel + name))
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


def _rules_from_file(path: str, base: str, source: str) -> tuple[_Rules, ...]:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return ()
    return _rules_from_lines(lines, base, source)


def _rules_from_lines(
    lines: tuple[str, ...] | list[str], base: str, source: str
) -> tuple[_Rules, ...]:
    spec = GitIgnoreSpec.from_lines(lines)
    return (
        (_Rules(spec, base, source),) if any(p.include is not None for p in spec.patterns) else ()
    )


def _ignore_rule(rel: str, name: str, is_dir: bool, rules: tuple[_Rules, ...]) -> str | None:
    if name in _ALWAYS_SKIPPED:
        return f"default: {name}"
    probe = rel + "/" if is_dir else rel
    for spec, base, source in rules:
        result = spec.check_file(probe[len(base) :])
        if result.include is not None:
            assert result.index is not None
            return f"{source}: {spec.patterns[result.index].pattern!s}" if result.include else None
    if is_dir:
        if name in _DEFAULT_DIRS:
            return f"default: {name}/"
        return "default: *.egg-info/" if name.endswith(".egg-info") else None
    if name in _DEFAULT_FILES:
        return f"default: {name}"
    suffix = next((s for s in _DEFAULT_FILE_SUFFIXES if name.endswith(s)), None)
    return None if suffix is None else f"default: *{suffix}"


def _read_file(entry: _Entry, rel: str, limit: int, keep_text: bool) -> ScannedFile:
    language = detect_language(rel)
    if entry.kind != "file":  # a FIFO would block open()
        return ScannedFile(rel, language, 0, None, 0, None, "unreadable")
    head = b""
    data: bytes | None = None
    try:
        fd = os.open(entry.path, _OPEN_FLAGS)
        try:
            size = os.fstat(fd).st_size
            if size > limit:
                head = b"" if language else os.read(fd, _SNIFF)
            else:
                data = _read_exactly(fd, size)
        finally:
            os.close(fd)
    except OSError:
        return ScannedFile(rel, language, 0, None, 0, None, "unreadable")
    if data is None:
        return ScannedFile(
            rel, language or detect_language(rel, head), size, None, 0, None, "too_large"
        )
    digest = hashlib.sha256(data).hexdigest()
    if language is None:
        language = detect_language(rel, data[:_SNIFF])
    reason, text = _classify_bytes(data, language)
    if reason is not None:
        return ScannedFile(rel, language, len(data), digest, 0, None, reason)
    assert text is not None
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    return ScannedFile(rel, language, len(data), digest, lines, text if keep_text else None, None)


def _read_exactly(fd: int, size: int) -> bytes:
    chunks = []
    while size > 0 and (chunk := os.read(fd, size)):
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _classify_bytes(data: bytes, language: str | None) -> tuple[str | None, str | None]:
    """(skip reason, text) of a file's content."""
    if not data:
        return "empty", None
    bom = data.startswith(_UTF16_BOMS)  # UTF-16 text is full of NUL bytes
    if not bom and data.find(b"\0", 0, _SNIFF) != -1:
        return "binary", None
    if language is None:
        return "unsupported", None
    if data.startswith(_UTF32_BOMS):  # FF FE 00 00 also starts like UTF-16 LE
        return "undecodable", None
    try:
        text = data.decode("utf-16" if bom else "utf-8-sig")
    except UnicodeDecodeError:
        return "undecodable", None
    if "\0" in text:  # PostgreSQL text cannot hold NUL
        return "binary", None
    if not text or text.isspace():
        return "empty", None
    return None, text
