"""The link from a hit's header in the notebook view to its file, for JupyterLab to open.

JupyterLab resolves a relative link in an output against the notebook's folder and opens
the file it names in a tab of its own (rendermime's local-link handler); Notebook 7 does the
same, and an exported HTML page keeps a working relative link. The kernel runs in the
notebook's folder, so a path relative to the kernel's working directory is that link. It
is only made for files below that folder: the kernel cannot know the Jupyter server's root,
and a ``..`` above it would resolve to some other file.
"""

from __future__ import annotations

import os
from urllib.parse import quote

__all__ = ["file_href"]


def file_href(root: str | None, path: str, base: str | None = None) -> str | None:
    """A relative, percent-encoded href to ``root``/``path`` from ``base`` (default: the
    working directory), or None when the file is not below ``base`` or ``root`` is unknown."""
    if not root or not os.path.isabs(root):
        return None
    here = os.path.abspath(base if base is not None else os.getcwd())
    target = os.path.normpath(os.path.join(root, *path.split("/")))
    try:
        if os.path.commonpath([here, target]) != here or target == here:
            return None
        relative = os.path.relpath(target, here)
    except ValueError:  # another drive (Windows), or a mix of absolute and relative
        return None
    # Every character but the separator encoded: no scheme (":"), query or fragment can
    # appear, and the href stays relative.
    return quote(relative.replace(os.sep, "/"), safe="/")
