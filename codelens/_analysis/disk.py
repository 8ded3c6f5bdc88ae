"""A fresh scan of a project's repositories: what is on disk now, to compare with the index.

It walks each root with the indexer's own scanner (same ignore rules, same skip
reasons, same hashes), so that a file counts as stale exactly when the next
index run would see it as added, modified or deleted.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from codelens._languages import detect_language
from codelens._scan.walk import IgnoredPath, ScanOptions, walk
from codelens.errors import IndexingError

__all__ = ["DISK_SCHEMA", "scan_disk"]

DISK_SCHEMA = pa.schema(
    [
        ("repository_id", pa.int64()),
        ("path", pa.string()),
        ("is_dir", pa.bool_()),
        ("ignored", pa.bool_()),
        ("ignore_rule", pa.string()),
        ("language", pa.string()),
        ("size", pa.int64()),
        ("sha256", pa.string()),
        ("line_count", pa.int32()),
        ("skip_reason", pa.string()),
    ]
)


def scan_disk(
    roots: Iterable[tuple[int, str]], options: ScanOptions | None = None
) -> tuple[pa.Table, set[int]]:
    """The ``disk_files`` rows of every (repository id, root), and the ids whose root is gone."""
    rows: list[tuple[object, ...]] = []
    missing: set[int] = set()
    for repository_id, root in roots:
        try:
            rows.extend(_rows(repository_id, root, options))
        except IndexingError:
            # A moved or deleted root: its files count as deleted, and repositories.on_disk says why.
            missing.add(repository_id)
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(DISK_SCHEMA)
    arrays = [pa.array(c, type=f.type) for c, f in zip(columns, DISK_SCHEMA, strict=True)]
    return pa.Table.from_arrays(arrays, schema=DISK_SCHEMA), missing


def _rows(repository_id: int, root: str, options: ScanOptions | None) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for item in walk(root, options, read=False):
        if isinstance(item, IgnoredPath):
            language = None if item.is_dir else detect_language(item.path)
            ignored = (item.path, item.is_dir, True, item.rule, language, None, None, None, None)
            rows.append((repository_id, *ignored))
        else:
            kept = (item.path, False, False, None, item.language, item.size, item.sha256)
            rows.append((repository_id, *kept, item.line_count, item.skip_reason))
    return rows
