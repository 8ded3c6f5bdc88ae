"""What an index run reports: progress while it runs, and a report when it ends."""

from __future__ import annotations

import html
from dataclasses import dataclass, field, fields
from typing import Any

import pandas as pd

__all__ = ["IndexProgress", "IndexReport"]


@dataclass(frozen=True, slots=True)
class IndexProgress:
    """One tick of an index run, as passed to ``on_progress`` callbacks."""

    # "scan", "store" (files), "embed" (chunks awaiting vectors) or "done"; "first pass"
    # (chunks given the current first-pass model's vectors) comes first when a run
    # replaces a retired one.
    stage: str
    files_done: int = 0  # files stored: searchable by words from then on
    files_total: int = 0
    chunks_done: int = 0  # chunks embedded: found by meaning from then on
    # Chunks that awaited a vector when embedding began; in the store stage, with an
    # inline embedder, the chunks embedded as they were stored (done and total alike).
    chunks_total: int = 0
    path: str | None = None
    seconds_left: float | None = None  # estimated time left to embed, from the pace so far


@dataclass(slots=True)
class IndexReport:
    """Counts of one run. ``files_seen`` = indexed + unchanged + skipped + failed.

    Files are stored first (``files_indexed``; their chunks searchable by words at once),
    then the chunks awaiting vectors are embedded: ``chunks_added`` were stored without a
    reusable vector, ``chunks_reused`` got a vector at once by content hash,
    ``chunks_embedded`` got theirs in this call (with an inline embedder, as they were
    stored), and ``chunks_awaiting`` still await one when the call returned (embedding
    goes on in ``embedding``, the background job, when there is one).

    ``seconds`` holds the run's ``total`` and the time spent in each stage. Stages run
    side by side (the next batch is chunked and the last one written while the model
    embeds), so they add up to more than the total.
    """

    repository: str
    root: str
    run_id: int | None = None
    files_seen: int = 0
    files_indexed: int = 0
    files_unchanged: int = 0
    files_skipped: dict[str, int] = field(default_factory=dict)
    files_failed: int = 0
    files_deleted: int = 0
    chunks_added: int = 0
    chunks_reused: int = 0
    chunks_removed: int = 0
    chunks_embedded: int = 0
    chunks_awaiting: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    interrupted: bool = False
    failures: dict[str, str] = field(default_factory=dict)
    # The background embedding this run started (embed="background"); not part of to_dict.
    embedding: Any = field(default=None, repr=False, compare=False)

    @property
    def skipped(self) -> int:
        return sum(self.files_skipped.values())

    @property
    def total_seconds(self) -> float:
        return self.seconds.get("total", sum(self.seconds.values()))

    def to_dict(self) -> dict[str, Any]:
        # Not asdict: it would deep-copy the embedding job, threads and all.
        return {
            f.name: dict(v) if isinstance(v := getattr(self, f.name), dict) else v
            for f in fields(self)
            if f.name != "embedding"
        }

    def to_frame(self) -> pd.DataFrame:
        """The numbers as a two-column table (metric, value), one row per count and stage."""
        rows: list[tuple[str, int | float]] = [
            ("files seen", self.files_seen),
            ("files indexed", self.files_indexed),
            ("files unchanged", self.files_unchanged),
            ("files skipped", self.skipped),
            *((f"  skipped: {reason}", n) for reason, n in sorted(self.files_skipped.items())),
            ("files failed", self.files_failed),
            ("files deleted", self.files_deleted),
            ("chunks added", self.chunks_added),
            ("chunks reused", self.chunks_reused),
            ("chunks removed", self.chunks_removed),
            ("chunks embedded", self.chunks_embedded),
            ("chunks awaiting vectors", self.chunks_awaiting),
            *((f"seconds: {stage}", round(s, 3)) for stage, s in self.seconds.items()),
        ]
        # object: counts stay counts (40, not 40.000 beside the seconds)
        return pd.DataFrame(rows, columns=["metric", "value"], dtype=object)

    def _headline(self) -> str:
        state = "interrupted" if self.interrupted else "indexed"
        return (
            f"{self.repository}: {state} {self.files_indexed} files, {self.files_unchanged} unchanged,"
            f" {self.skipped} skipped, {self.files_failed} failed, {self.files_deleted} deleted;"
            f" chunks +{self.chunks_added} (reused {self.chunks_reused}) -{self.chunks_removed}"
            f" in {self.total_seconds:.1f} s"
        ) + (f"; {self.chunks_awaiting} chunks await vectors" if self.chunks_awaiting else "")

    def __repr__(self) -> str:
        lines = [f"<IndexReport {self._headline()}>"]
        if self.files_skipped:
            reasons = ", ".join(f"{k}: {v}" for k, v in sorted(self.files_skipped.items()))
            lines.append(f"  skipped by reason: {reasons}")
        if self.failures:
            lines.append(f"  failed: {', '.join(sorted(self.failures))[:300]}")
        stages = ", ".join(f"{k} {v:.2f}s" for k, v in self.seconds.items())
        lines.append(f"  time per stage (stages overlap): {stages}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        table = self.to_frame().to_html(index=False, border=0)
        return f"<div class='cl-report'><p><b>{html.escape(self._headline())}</b></p>{table}</div>"
