"""Read one file: its hash, its language, its text, or the reason it is skipped.

Decoding is strict UTF-8 (a UTF-8 BOM is dropped), or UTF-16 when the file
starts with a UTF-16 BOM. Anything else is ``undecodable``: no guessing,
because latin-1 "decodes" any bytes into garbage that would be embedded and
searched as if it were code.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass

from codelens._ipynb import (
    MAX_CELLS,
    NOTEBOOK_LANGUAGE,
    NOTEBOOK_MAX_BYTES,
    Notebook,
    parse_notebook,
)
from codelens._languages import (
    FALLBACK_LANGUAGE,
    HEADER_SNIFF,
    detect_language,
    may_be_cpp_header,
)
from codelens._scan.filetypes import LONG_LINE, by_content, by_name, mostly_long_lines
from codelens._scan.nofollow import is_link_refused

__all__ = ["DUPLICATE_OF", "SKIP_REASONS", "ScannedFile", "read_file"]

# Recorded as "duplicate_of <path>": the path the same file or folder was indexed under.
DUPLICATE_OF = "duplicate_of"

# In the order they are checked: the first that applies is recorded.
SKIP_REASONS: dict[str, str] = {
    "undecodable_name": "a file name that is not valid UTF-8; recorded with \\xNN escapes",
    "broken_symlink": "a symlink whose target does not exist",
    "symlink_outside": "a symlink whose target is outside the repository root, or swapped in after the check",
    "symlink_loop": "a symlink that points to itself or to a folder that contains it",
    DUPLICATE_OF: "a symlink to a file or folder inside the root, indexed under its real path"
    " (recorded as 'duplicate_of <that path>')",
    "unreadable": "could not be read: no permission, vanished during the scan, or not a regular file",
    "unsupported": "not text a person reads: media, an archive, a font, a compiled object or a"
    " data file, known by its extension (then not read) or by its first bytes",
    "credentials": "a key, a keystore or an .env file, by its name: not read",
    "language_excluded": "a language left out by ScanOptions.languages (known by the file's name"
    " before reading it, or by its shebang after)",
    "empty": "0 bytes, or only whitespace",
    "too_large": "larger than ScanOptions.max_file_bytes; not read, so no hash",
    "binary": "a NUL byte in the first 8 KiB, or anywhere in the decoded text",
    "undecodable": "not UTF-8, and not UTF-16 with a BOM",
    "long_lines": f"more than half of it in lines over {LONG_LINE:,} bytes: minified code or"
    " a data dump",
    "notebook_too_large": f"a notebook over {NOTEBOOK_MAX_BYTES // 1_000_000} MB, or whose"
    " indexed cells exceed ScanOptions.max_file_bytes",
    "notebook_invalid": "a .ipynb file that is not JSON, or not a notebook's structure",
    "notebook_version": "a notebook format nbformat cannot convert to version 4",
    "notebook_too_many_cells": f"a notebook of more than {MAX_CELLS:,} cells",
}

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
    # of the raw bytes, or of a notebook's indexed cells (Notebook.digest); None when not
    # read (unreadable, too_large, symlinks, and what its name alone rules out)
    sha256: str | None
    line_count: int  # 0 when skipped
    text: str | None  # None when skipped, and always with read=False
    skip_reason: str | None  # a SKIP_REASONS key; None means indexable
    notebook: Notebook | None = None  # the cells of an indexable notebook, with the text

    @property
    def indexable(self) -> bool:
        return self.skip_reason is None


def read_file(
    open_fd: Callable[[int], int],
    rel: str,
    *,
    regular: bool,
    limit: int,
    keep_text: bool,
    notebook_outputs: bool = False,
    languages: frozenset[str] | None = None,
) -> ScannedFile:
    """The record of the file that ``open_fd(flags)`` opens, shown as ``rel``; ``regular`` is
    False for a FIFO, a socket or a device, which are never opened (a FIFO would block).

    ``open_fd`` must refuse a symlink (``O_NOFOLLOW``): one found there was swapped in after
    the scanner checked the entry, and is ``symlink_outside`` since where it leads is unchecked.
    A text file that neither its name nor its shebang places is ``FALLBACK_LANGUAGE``;
    ``languages``, when given, are the only ones indexed.
    """
    language = detect_language(rel)
    is_notebook = language == NOTEBOOK_LANGUAGE
    limit_read = NOTEBOOK_MAX_BYTES if is_notebook else limit
    if not regular:
        return ScannedFile(rel, language, 0, None, 0, None, "unreadable")
    # Known from the name alone: such a file is not read at all. (A .h header's language
    # is known once it is read: C or C++.)
    header = may_be_cpp_header(rel)
    known = by_name(rel.rsplit("/", 1)[-1].lower()) or (
        None if header else _excluded(language, languages)
    )
    head = b""
    data: bytes | None = None
    try:
        fd = open_fd(_OPEN_FLAGS)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):  # swapped for a FIFO or a device after listing
                return ScannedFile(rel, language, 0, None, 0, None, "unreadable")
            size = st.st_size
            if known:
                return ScannedFile(rel, language, size, None, 0, None, known)
            if size > limit_read:
                head = b"" if language else os.read(fd, _SNIFF)
            else:
                data = _read_exactly(fd, size)
        finally:
            os.close(fd)
    except OSError as exc:
        refused = "symlink_outside" if is_link_refused(exc) else "unreadable"
        return ScannedFile(rel, language, 0, None, 0, None, refused)
    if data is None:
        big = "notebook_too_large" if is_notebook else "too_large"
        return ScannedFile(rel, language or detect_language(rel, head), size, None, 0, None, big)
    digest = hashlib.sha256(data).hexdigest()
    if language is None:
        if by_content(data):
            return ScannedFile(rel, None, len(data), digest, 0, None, "unsupported")
        language = detect_language(rel, data[:_SNIFF])
    elif header:
        language = detect_language(rel, data[:HEADER_SNIFF])
    reason, text = _classify_bytes(data, long_lines_allowed=is_notebook)
    if reason is None:
        language = language or FALLBACK_LANGUAGE
        # A language known only from the content (a shebang, a header's text).
        reason = _excluded(language, languages)
    if reason is not None:
        return ScannedFile(rel, language, len(data), digest, 0, None, reason)
    assert text is not None
    if is_notebook:
        return _read_notebook(rel, len(data), digest, text, limit, keep_text, notebook_outputs)
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    return ScannedFile(rel, language, len(data), digest, lines, text if keep_text else None, None)


def _excluded(language: str | None, languages: frozenset[str] | None) -> str | None:
    if languages is None or language is None or language in languages:
        return None
    return "language_excluded"


def _read_notebook(
    rel: str, size: int, digest: str, text: str, limit: int, keep_text: bool, outputs: bool
) -> ScannedFile:
    """A notebook's record: its hash is of what is indexed, so re-running it changes nothing."""
    found = parse_notebook(text, outputs=outputs)
    if isinstance(found, str):
        return ScannedFile(rel, NOTEBOOK_LANGUAGE, size, digest, 0, None, found)
    cells = found.text
    if len(cells.encode("utf-8", "surrogatepass")) > limit:
        return ScannedFile(rel, NOTEBOOK_LANGUAGE, size, digest, 0, None, "notebook_too_large")
    if not cells.strip():
        return ScannedFile(rel, NOTEBOOK_LANGUAGE, size, found.digest, 0, None, "empty")
    lines = cells.count("\n")
    return ScannedFile(
        rel,
        NOTEBOOK_LANGUAGE,
        size,
        found.digest,
        lines,
        cells if keep_text else None,
        None,
        notebook=found if keep_text else None,
    )


def _read_exactly(fd: int, size: int) -> bytes:
    chunks = []
    while size > 0 and (chunk := os.read(fd, size)):
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _classify_bytes(data: bytes, *, long_lines_allowed: bool) -> tuple[str | None, str | None]:
    """(skip reason, text) of a file's content; a notebook's JSON may hold long lines."""
    if not data:
        return "empty", None
    bom = data.startswith(_UTF16_BOMS)  # UTF-16 text is full of NUL bytes
    if not bom and data.find(b"\0", 0, _SNIFF) != -1:
        return "binary", None
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
    if not long_lines_allowed and mostly_long_lines(data):
        return "long_lines", None
    return None, text
