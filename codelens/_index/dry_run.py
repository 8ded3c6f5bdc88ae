"""A dry run of an index run: what it would index, skip and embed, and how long it would take.

It walks the repository with the run's own scanner and rules and cuts every file it would
index with the run's own chunker, so its counts are the run's. What the project already
has is read in one read-only transaction, so the server itself refuses any write; no
project, repository or run is created. The model's speed is measured by embedding a small
sample of the repository's own chunks (nothing is stored), unless ``measure=False``.
"""

from __future__ import annotations

import os
import random
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from time import perf_counter
from typing import TYPE_CHECKING

from tqdm.auto import tqdm

from codelens._db.model_record import EmbedderChoice, choose_embedder, read_metadata
from codelens._embed.onnx import DEFAULT_ONNX_SPEC
from codelens._embed.registry import DEFAULT_LOCAL_SPEC, get_embedder
from codelens._embed.static import DEFAULT_STATIC_SPEC
from codelens._embed.texts import embed_texts
from codelens._index.batch import unchanged
from codelens._index.dry_run_report import DryRunReport, FolderSize
from codelens._index.nested_root import check_not_nested
from codelens._index.pieces import file_pieces
from codelens._index.store import KnownFile, known_files
from codelens._index.target import index_target
from codelens._scan.walk import IgnoredPath, ScannedFile, ScanOptions, walk
from codelens.errors import EmbedderError

if TYPE_CHECKING:
    from codelens._db.handle import ProjectHandle
    from codelens._db.pool import Connection
    from codelens._embed.base import Embedder

__all__ = [
    "DRY_RUN_HELP",
    "NOMINAL_CHUNKS_PER_SECOND",
    "SAMPLE_CHUNKS",
    "STORE_CHUNKS_PER_SECOND",
    "dry_run",
]

# The --dry-run option's help, in the CLI and the magics alike.
DRY_RUN_HELP = (
    "write nothing; say what would be indexed, skipped and embedded, and how long it would take"
)
# Chunks written per second once cut (COPY of rows and text, no vectors needed to search by
# words): the "store" stage of `python benchmarks/index_stdlib.py --stand-in-ms 0`, 47,478
# chunks of the CPython standard library in 35.4 s on this 2-core machine under a load of 12.
# Reading and cutting the files is not estimated: the dry run does it, and times it.
STORE_CHUNKS_PER_SECOND = 1_300.0
# The model's speed when it is not measured (measure=False), on 2 idle cores: all-MiniLM-L6-v2
# in torch about 35 chunks/s, its int8 ONNX export about 200 texts/s of 117 tokens
# (`benchmarks/onnx_speed.py`), about 130 chunks/s of typical length. No figure for Ollama.
NOMINAL_CHUNKS_PER_SECOND: dict[str, float] = {DEFAULT_LOCAL_SPEC: 35.0, DEFAULT_ONNX_SPEC: 130.0}
# The static code model in the pipeline's slices of 32 (benchmarks/searchable.py, 10,000 files,
# under a load of 15): about 900 chunks/s of its own time, one core.
NOMINAL_CHUNKS_PER_SECOND[DEFAULT_STATIC_SPEC] = 900.0
# Chunks of the repository embedded to time the model: one batch, a few seconds at most.
SAMPLE_CHUNKS = 32
_TOP = 10  # ignore rules and folders listed
_LOOKUP_FILES = 256  # files whose chunk hashes are looked up in the project at once


@dataclass(slots=True)
class _Tally:
    """Counts gathered on the way through the repository."""

    languages: Counter[str] = field(default_factory=Counter)
    chunk_languages: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    folder_files: Counter[str] = field(default_factory=Counter)
    folder_bytes: Counter[str] = field(default_factory=Counter)
    hashes: set[str] = field(default_factory=set)  # distinct chunk texts to embed
    pending: dict[str, str] = field(default_factory=dict)  # hash -> text, not yet looked up
    pending_files: int = 0
    sample: list[str] = field(default_factory=list)  # a uniform sample of the texts to embed
    offered: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    def offer(self, text: str) -> None:
        """Reservoir sampling: every text to embed is equally likely to be timed."""
        self.offered += 1
        if len(self.sample) < SAMPLE_CHUNKS:
            self.sample.append(text)
        else:
            slot = self.rng.randrange(self.offered)
            if slot < SAMPLE_CHUNKS:
                self.sample[slot] = text


def dry_run(
    project: ProjectHandle,
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    force: bool = False,
    embedder: str | None = None,
    scan_options: ScanOptions | None = None,
    measure: bool = True,
    progress: bool = True,
    cancel: threading.Event | None = None,
) -> DryRunReport:
    """What indexing ``path`` into ``project`` would do; see :meth:`codelens.Project.dry_run`."""
    started = perf_counter()
    root, target = index_target(path)
    with ExitStack() as stack:
        conn: Connection | None = None
        known: dict[str, KnownFile] = {}
        repository, repository_known = name or root.name or "root", False
        if project.registry_row() is None:
            choice = EmbedderChoice(embedder, record=True, replace=False, rechunk=True)
        else:
            conn = stack.enter_context(project.connection())
            with _read_only(conn):
                choice = choose_embedder(project, read_metadata(conn), embedder, force=force)
                row = conn.execute(
                    "SELECT id, name FROM repositories WHERE root_path = %s", [str(root)]
                ).fetchone()
                if row is not None:
                    repository_known, known = True, known_files(conn, int(row[0]))
                    repository = name or str(row[1])
                else:
                    check_not_nested(conn, project.id, str(root))
        model = get_embedder(choice.spec, settings=project.settings)
        report = DryRunReport(
            project.id,
            repository,
            str(root),
            model.name,
            project_exists=conn is not None,
            repository_known=repository_known,
        )
        reuse = conn is not None and not force and not choice.replace
        lookup = conn if reuse else None
        tally = _Tally()
        seen: set[str] = set()
        cut = perf_counter()
        with tqdm(desc="dry run: files", unit="file", disable=not progress, leave=True) as bar:
            for item in walk(target, scan_options):
                if cancel is not None and cancel.is_set():
                    report.interrupted = True
                    break
                if isinstance(item, IgnoredPath):
                    report.ignored_paths += 1
                    tally.rules[item.rule] += 1
                    continue
                bar.update(1)
                seen.add(item.path)
                _count(item, known, choice.rechunk or force, report, tally, model)
                if tally.pending_files >= _LOOKUP_FILES:
                    _look_up(lookup, tally)
        _look_up(lookup, tally)
        report.cut_seconds = perf_counter() - cut
    if not report.interrupted:
        report.files_to_delete = sum(1 for p in known if p not in seen)
    report.files_by_language = dict(tally.languages.most_common())
    report.chunks_by_language = dict(tally.chunk_languages.most_common())
    report.files_skipped = dict(tally.skipped)
    report.ignore_rules = dict(tally.rules.most_common(_TOP))
    report.folders = _biggest(tally)
    report.chunks_to_embed = len(tally.hashes)
    _estimate(report, model, tally.sample, measure=measure)
    report.seconds = perf_counter() - started
    return report


@contextmanager
def _read_only(conn: Connection) -> Iterator[None]:
    """A short transaction the server refuses to write in, whatever runs inside it."""
    with conn.transaction():
        conn.execute("SET TRANSACTION READ ONLY")
        yield


def _count(
    f: ScannedFile,
    known: dict[str, KnownFile],
    everything: bool,
    report: DryRunReport,
    tally: _Tally,
    model: Embedder,
) -> None:
    report.files_seen += 1
    if f.skip_reason is not None:
        tally.skipped[f.skip_reason] += 1
    else:
        language = f.language or "unknown"
        tally.languages[language] += 1
        folder = f.path.split("/", 1)[0] + "/" if "/" in f.path else "."
        tally.folder_files[folder] += 1
        tally.folder_bytes[folder] += f.size
    if not everything and unchanged(f, known.get(f.path)):
        report.files_unchanged += f.indexable
        return
    if f.text is None:
        return  # skipped: a run records it, with no chunks
    report.files_to_index += 1
    report.bytes_to_index += f.size
    pieces = file_pieces(f, model.max_tokens)
    report.chunks += len(pieces)
    tally.chunk_languages[f.language or "unknown"] += len(pieces)
    for p in pieces:
        if p.hash not in tally.hashes:
            tally.pending[p.hash] = p.text
    tally.pending_files += 1


def _look_up(conn: Connection | None, tally: _Tally) -> None:
    """Drop the pending texts whose vectors the project has (a run reuses them by hash)."""
    if not tally.pending:
        return
    stored: set[str] = set()
    if conn is not None:
        with _read_only(conn):
            rows = conn.execute(
                "SELECT DISTINCT content_hash FROM chunks WHERE content_hash = ANY(%s)",
                [list(tally.pending)],
            )
            stored = {r[0] for r in rows}
    for digest, text in tally.pending.items():
        if digest not in stored and digest not in tally.hashes:
            tally.hashes.add(digest)
            tally.offer(text)
    tally.pending.clear()
    tally.pending_files = 0


def _biggest(tally: _Tally) -> list[FolderSize]:
    """The folders with the most files, then any other among those with the most bytes."""
    names = [f for f, _ in tally.folder_files.most_common(_TOP)]
    names += [f for f, _ in tally.folder_bytes.most_common(_TOP) if f not in names]
    return [FolderSize(f, tally.folder_files[f], tally.folder_bytes[f]) for f in names]


def _estimate(report: DryRunReport, model: Embedder, sample: list[str], *, measure: bool) -> None:
    report.store_rate = STORE_CHUNKS_PER_SECOND
    report.seconds_to_words = report.cut_seconds + report.chunks / STORE_CHUNKS_PER_SECOND
    rate = NOMINAL_CHUNKS_PER_SECOND.get(model.name)
    source = (
        f"nominal figure for {model.name}, not measured"
        if rate is not None
        else f"no figure for {model.name}: measure it"
    )
    if report.chunks_to_embed == 0:
        rate, source = None, "nothing to embed"
    elif measure:
        try:
            rate, source = _measure(model, sample)
        except EmbedderError as exc:
            source = f"{source} (measuring failed: {exc})"
    report.embed_rate, report.embed_rate_source = rate, source
    if report.chunks_to_embed == 0:
        report.seconds_to_embedded = report.seconds_to_words
    elif rate is not None:
        report.seconds_to_embedded = max(report.seconds_to_words, report.chunks_to_embed / rate)


def _measure(model: Embedder, sample: list[str]) -> tuple[float, str]:
    """Chunks/s of ``model`` on ``sample``, after one text has loaded and warmed it up."""
    embed_texts(model, [text for text in sample if text][:1])  # the empty text loads nothing
    start = perf_counter()
    embed_texts(model, sample)
    elapsed = max(perf_counter() - start, 1e-6)
    return len(sample) / elapsed, (
        f"measured on {len(sample)} chunks of this repository in {elapsed:.1f} s"
    )
