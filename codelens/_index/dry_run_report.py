"""What a dry run reports: what an index run would read, write and embed, and how long it would take."""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

__all__ = ["DryRunReport", "FolderSize", "duration"]


@dataclass(frozen=True, slots=True)
class FolderSize:
    """A top-level folder (``"."`` for the files at the root) and what it would put in the index."""

    folder: str
    files: int
    bytes: int


@dataclass(slots=True)
class DryRunReport:
    """What ``index(path)`` would do, found without writing anything.

    Files: ``files_seen`` = indexable + skipped; of the indexable ones, ``files_to_index`` are
    new or changed and ``files_unchanged`` match what the project stores (by sha256).
    ``files_by_language`` and ``folders`` count every indexable file (what the index holds
    after the run); chunks are those of the files to index, ``chunks_to_embed`` the distinct
    ones whose vector the project does not have yet. Times are estimates on this machine:
    ``seconds_to_words`` until every file is stored and searchable by words (the dry
    run's own time to read and cut the files, plus writing at ``store_rate``),
    ``seconds_to_embedded`` until every chunk has its vector; ``embed_rate_source`` says
    where the model's speed comes from.
    """

    project: str
    repository: str
    root: str
    embedder: str
    project_exists: bool = False
    repository_known: bool = False
    files_seen: int = 0
    files_to_index: int = 0
    files_unchanged: int = 0
    files_to_delete: int = 0
    bytes_to_index: int = 0
    files_by_language: dict[str, int] = field(default_factory=dict)
    files_skipped: dict[str, int] = field(default_factory=dict)
    ignored_paths: int = 0
    ignore_rules: dict[str, int] = field(default_factory=dict)  # the rules matched most
    folders: list[FolderSize] = field(default_factory=list)
    chunks: int = 0
    chunks_by_language: dict[str, int] = field(default_factory=dict)
    chunks_to_embed: int = 0
    cut_seconds: float = 0.0  # reading and cutting the files, as a run does
    store_rate: float = 0.0  # chunks written per second (a figure from the benchmarks)
    embed_rate: float | None = None  # chunks/s
    embed_rate_source: str = ""
    seconds_to_words: float = 0.0
    seconds_to_embedded: float | None = None
    seconds: float = 0.0  # the dry run's own time
    interrupted: bool = False

    @property
    def skipped(self) -> int:
        return sum(self.files_skipped.values())

    @property
    def indexable(self) -> int:
        return self.files_seen - self.skipped

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_frame(self) -> pd.DataFrame:
        """The numbers as a two-column table (metric, value)."""
        rows: list[tuple[str, object]] = [
            ("project", f"{self.project}{'' if self.project_exists else ' (new)'}"),
            ("embedder", self.embedder),
            ("files seen", self.files_seen),
            ("files to index", self.files_to_index),
            ("bytes to index", self.bytes_to_index),
            ("files unchanged", self.files_unchanged),
            ("files to delete", self.files_to_delete),
            *((f"  language: {k}", v) for k, v in self.files_by_language.items()),
            ("files skipped", self.skipped),
            *((f"  skipped: {k}", v) for k, v in sorted(self.files_skipped.items())),
            ("paths ignored", self.ignored_paths),
            *((f"  ignored by {k}", v) for k, v in self.ignore_rules.items()),
            *(
                (f"  folder {f.folder}", f"{_files(f.files)}, {_size(f.bytes)}")
                for f in self.folders
            ),
            ("chunks to write", self.chunks),
            ("chunks to embed", self.chunks_to_embed),
            ("searchable by words in", duration(self.seconds_to_words)),
            ("fully embedded in", duration(self.seconds_to_embedded)),
            ("model speed", self._rate()),
        ]
        return pd.DataFrame(rows, columns=["metric", "value"])

    def _rate(self) -> str:
        if self.embed_rate is None:
            return self.embed_rate_source
        return f"{self.embed_rate:.1f} chunks/s ({self.embed_rate_source})"

    def _headline(self) -> str:
        state = "interrupted, so far" if self.interrupted else "nothing written"
        return (
            f"{self.repository}: would index {self.files_to_index:,} files"
            f" ({_size(self.bytes_to_index)}), {self.chunks:,} chunks, into"
            f" {self.project!r}{'' if self.project_exists else ' (new)'} with {self.embedder};"
            f" {state}"
        )

    def summary(self) -> list[str]:
        """The report as readable lines (the CLI prints them)."""

        def listing(counts: dict[str, int]) -> str:
            return ", ".join(f"{k} {v:,}" for k, v in counts.items()) or "none"

        return [
            f"files: {self.files_seen:,} seen, {self.files_to_index:,} to index,"
            f" {self.files_unchanged:,} unchanged, {self.files_to_delete:,} to delete",
            f"languages: {listing(self.files_by_language)}",
            f"skipped {self.skipped:,}: {listing(dict(sorted(self.files_skipped.items())))}",
            f"ignored {self.ignored_paths:,} paths; rules matched most: {listing(self.ignore_rules)}",
            "biggest folders: "
            + (
                "; ".join(f"{f.folder} {_files(f.files)} {_size(f.bytes)}" for f in self.folders)
                or "none"
            ),
            f"chunks: {self.chunks:,} to write, {self.chunks_to_embed:,} to embed",
            f"searchable by words in {duration(self.seconds_to_words)}"
            f" ({self.cut_seconds:.1f} s to read and cut, as timed now, then"
            f" {self.store_rate:,.0f} chunks/s written);"
            f" fully embedded in {duration(self.seconds_to_embedded)} ({self._rate()})",
        ]

    def __str__(self) -> str:
        return "\n".join([self._headline(), *(f"  {line}" for line in self.summary())])

    def __repr__(self) -> str:
        body = "\n".join(f"  {line}" for line in self.summary())
        return f"<DryRunReport {self._headline()}>\n{body}"

    def _repr_html_(self) -> str:
        table = self.to_frame().to_html(index=False, border=0)
        return (
            f"<div class='cl-report cl-dry-run'><p><b>{html.escape(self._headline())}</b></p>"
            f"{table}</div>"
        )


def _files(n: int) -> str:
    return f"{n:,} file{'' if n == 1 else 's'}"


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError  # pragma: no cover


def duration(seconds: float | None) -> str:
    """An estimate's time, as rounded as an estimate deserves."""
    if seconds is None:
        return "unknown"
    if seconds < 1:
        return "under 1 s"
    if seconds < 90:
        return f"about {seconds:.0f} s"
    if seconds < 90 * 60:
        return f"about {seconds / 60:.0f} min"
    return f"about {seconds / 3600:.1f} h"
