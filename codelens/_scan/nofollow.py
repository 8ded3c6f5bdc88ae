"""Open what was checked, not whatever a path leads to by the time it is opened.

A path is checked (it lies inside a root, it is not a link) and opened later; in
between, anyone who can write to the folder can swap a component for a symlink.
So a path below a checked folder is opened one component at a time from that
folder's descriptor with ``O_NOFOLLOW``, which refuses a link wherever it was
swapped in, and a folder checked earlier is recognised by its device and inode.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass

from codelens.errors import IndexingError

__all__ = [
    "DIR_FLAGS",
    "CheckedFolder",
    "check_folder",
    "is_link_refused",
    "open_beneath",
    "reopen",
]

_NOFOLLOW = os.O_NOFOLLOW
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW | _CLOEXEC


@dataclass(frozen=True, slots=True)
class CheckedFolder:
    """A folder found under ``root`` with no link on the way, and which folder it was.

    It is a path-like, so it goes where a path goes; whoever opens it later must
    :func:`reopen` it, which refuses it if it is no longer the same folder."""

    root: str  # real path of the folder it was checked under
    path: str  # its real path, ``root`` or below it
    dev: int
    ino: int

    def __fspath__(self) -> str:
        return self.path


def is_link_refused(exc: OSError) -> bool:
    """Whether ``open`` failed because ``O_NOFOLLOW`` met a symlink (ELOOP; EMLINK on BSD)."""
    return exc.errno in (errno.ELOOP, errno.EMLINK)


def open_beneath(base_fd: int, rel: str, flags: int) -> int:
    """``rel`` (``"a/b/c"``, no ``..``, ``""`` for the folder itself) below the folder
    ``base_fd``, following no symlink on the way; raises ``OSError`` otherwise."""
    if not rel:
        return os.open(".", flags, dir_fd=base_fd)
    *folders, last = rel.split(os.sep)
    fd = base_fd
    try:
        for name in folders:
            below = _open_at(fd, name, DIR_FLAGS)
            if fd != base_fd:
                os.close(fd)
            fd = below
        return _open_at(fd, last, flags | _NOFOLLOW | _CLOEXEC)
    finally:
        if fd != base_fd:
            os.close(fd)


def _open_at(dir_fd: int, name: str, flags: int) -> int:
    try:
        return os.open(name, flags, dir_fd=dir_fd)
    except OSError as exc:
        # With O_DIRECTORY, Linux reports a link as ENOTDIR: say it was a link.
        if exc.errno == errno.ENOTDIR and _is_link(dir_fd, name):
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), name) from None
        raise


def _is_link(dir_fd: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _open_folder(root: str, path: str) -> int:
    root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
    try:
        return open_beneath(root_fd, "" if path == root else os.path.relpath(path, root), DIR_FLAGS)
    finally:
        os.close(root_fd)


def check_folder(root: str, path: str) -> CheckedFolder:
    """The identity of the folder ``path`` (a real path under the real path ``root``),
    reached from ``root`` without following a link; ``OSError`` if there is one."""
    fd = _open_folder(root, path)
    try:
        st = os.fstat(fd)
    finally:
        os.close(fd)
    return CheckedFolder(root, path, st.st_dev, st.st_ino)


def reopen(folder: CheckedFolder) -> int:
    """A descriptor of ``folder``, still under its root and still the same folder."""
    changed = (
        f"the folder {folder.path!r} changed after it was checked (it is now a symlink,"
        " another folder or gone), so it was not indexed: ask again to check it anew"
    )
    try:
        fd = _open_folder(folder.root, folder.path)
    except OSError:
        raise IndexingError(changed) from None
    st = os.fstat(fd)
    if (st.st_dev, st.st_ino) != (folder.dev, folder.ino):
        os.close(fd)
        raise IndexingError(changed)
    return fd
