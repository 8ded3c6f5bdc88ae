"""Analysis: DuckDB over a snapshot of a project's index and a fresh scan of its repositories.

``codelens.analyze("payments")`` copies the project's metadata out of PostgreSQL (chunks
without their vectors) and scans its repositories on disk, into the DuckDB file
``<CODELENS_HOME>/snapshots/<project>.duckdb``; refreshes copy only what changed.
Nothing is ever written to PostgreSQL. Every query opens the file read-only for its
own duration, so other analyses and refreshes (in this or another process) go on.

Tables and views, for your own SQL with ``Analysis.sql`` or ``%%codesql``
(``Analysis.tables()`` and ``Analysis.columns()`` describe every column)::

    repositories(id, name, root_path, created_at, last_indexed_at, on_disk)
    files(id, repository_id, path, language, size, sha256, line_count, status,
          skip_reason, error, indexed_at)             -- status: indexed, skipped, failed
    chunks(id, file_id, repository_id, chunk_index, path, symbol, kind, language,
           start_line, end_line, lines, content, content_hash, token_count, truncated,
           has_vector, cell_number, cell_kind, execution_count, cell_start_line,
           cell_end_line)                             -- cell_*: NULL outside notebooks
    change_events(id, repository_id, path, change, detected_at, indexed_at, run_id)
    index_runs(id, repository_id, started_at, finished_at, status, report)  -- report: JSON
    embedding_metadata(model_name, embedding_dimensions, max_tokens, document_prefix,
                       query_prefix, chunker_version, created_at)
    disk_files(repository_id, path, is_dir, ignored, ignore_rule, language, size, sha256,
               line_count, skip_reason)               -- the scan, ignored paths included
    file_status(repository_id, repository, path, language, on_disk, status, skip_reason,
                change, disk_size, indexed_size, disk_sha256, indexed_sha256,
                disk_skip_reason, file_id, indexed_at)   -- view: disk and index compared
    definitions(id, file_id, repository_id, path, module, language, name, qualname, kind,
                line, col, end_line, scope)
    symbol_refs(file_id, repository_id, path, language, name, qualifier, kind, line, col,
                scope, definition_id, target_id, resolution)   -- resolved: see graph()
    module_imports(file_id, importer, importer_path, imported, imported_path, line)
    definition_uses(target_id, refs, calls, files)   -- view: references into each definition
    snapshot_info(project_id, refreshed_at, full_copy, chunks_copied, chunks_deleted,
                  postgres_seconds, disk_seconds, seconds)

Coverage counts files, defined so that the columns add up:

- ``on_disk``: files the scan finds that no ignore rule excludes. Each falls in exactly
  one of ``indexed``, ``skipped`` (split by reason into ``skipped_<reason>``), ``failed``
  (as the index has it) or ``not_indexed`` (the index has no row for it yet).
- ``stale``: files on disk the next index run would (re)do: not in the index, or their
  hash or skip reason differs from the indexed one. ``deleted``: files the index holds
  that are gone from disk, or now ignored. ``ignored``: paths an ignore rule excludes
  (an excluded folder counts once: it is not walked).
- ``chunks_awaiting_vectors``: chunks stored (found by words) that await their vector
  (not yet found by meaning); 0 once embedding has finished. ``chunk_stats()`` has the
  same count per language and kind as ``awaiting_vectors``.
- ``coverage_pct`` = 100 * indexed / (on_disk - skipped): the share of the files codelens
  would index that it has indexed. Skipped files (binary, too large, ...) are excluded by
  design and do not lower it. NaN when nothing is indexable.

A Jupyter notebook is one file (language ``jupyter``, file type ``ipynb``) in coverage,
whatever its cells; its chunks carry their cell's language (python, markdown, ...) and
``cell_kind``, so ``chunk_stats()`` counts them under the cells' languages and
``chunk_stats(by="cell_kind")`` per kind of cell.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal, overload

import duckdb
import pandas as pd
import pyarrow as pa

from codelens._analysis import graph as g
from codelens._analysis import sql as q
from codelens._analysis.coverage import coverage_frame
from codelens._analysis.snapshot import RefreshStats, refresh_snapshot
from codelens._analysis.snapshot_file import locked, snapshot_path
from codelens._db.handle import handle_of
from codelens.errors import AnalysisError

if TYPE_CHECKING:
    import networkx as nx

    from codelens._analysis.plots import AnalysisPlots
    from codelens._db.handle import HasHandle, ProjectHandle
    from codelens._scan.walk import ScanOptions

__all__ = ["Analysis"]


class Analysis:
    """SQL and ready-made tables over a project's index compared with its files on disk."""

    def __init__(
        self,
        project: ProjectHandle | HasHandle,
        *,
        refresh: bool = True,
        scan_options: ScanOptions | None = None,
    ) -> None:
        self.project = project = handle_of(project)
        self.path = snapshot_path(project)
        self.scan_options = scan_options
        self.last_refresh: RefreshStats | None = None
        if refresh:
            self.refresh()
        elif not self.path.exists():
            raise AnalysisError(
                f"project {project.id!r} has no analysis snapshot yet:"
                f" run codelens.analyze({project.id!r}) without refresh=False first"
            )

    def __repr__(self) -> str:
        when = ""
        if self.last_refresh is not None:
            when = f", refreshed in {self.last_refresh.seconds:.2f} s"
        return f"<codelens.Analysis of {self.project.id!r}{when}>"

    def refresh(self) -> RefreshStats:
        """Copy what changed in the index, and scan the disk again."""
        self.last_refresh = refresh_snapshot(self.project, self.scan_options)
        return self.last_refresh

    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only DuckDB connection to the snapshot; refreshes wait until it closes."""
        with locked(self.path, shared=True):
            con = duckdb.connect(str(self.path), read_only=True)
            try:
                yield con
            finally:
                con.close()

    def sql(
        self, query: str, params: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> pd.DataFrame:
        """Run any DuckDB SQL over the snapshot's tables (see the module docs) -> DataFrame."""
        if not isinstance(query, str):
            raise AnalysisError(
                f"sql() takes the query as text, not {type(query).__name__}: e.g."
                f" sql({EXAMPLE_SQL!r})"
            )
        if not query.strip().strip(";").strip():
            raise AnalysisError(f"the SQL is empty: write a query such as {EXAMPLE_SQL!r}")
        with self.connection() as con:
            return _frame(con, query, params)

    def tables(self) -> pd.DataFrame:
        """The tables and views you can query, with what they hold and their columns."""
        return self.sql(q.TABLES)

    def columns(self, table: str | None = None) -> pd.DataFrame:
        """Every column (of one table, if named) with its type and meaning."""
        columns = self.sql(q.COLUMNS, {"table": table})
        if table is not None and columns.empty:
            names = ", ".join(self.tables()["table"])
            raise AnalysisError(f"columns({table!r}): no such table; use one of {names}")
        return columns

    def coverage(
        self,
        by: Literal["language", "file_type", "directory", "repository"] = "language",
        depth: int = 1,
    ) -> pd.DataFrame:
        """Files on disk, indexed, skipped (per reason), failed, stale, and coverage %.

        ``by="file_type"`` groups by the lower-cased end of the file name after its last
        dot (``py``, ``ipynb``; "(none)" without one), as search's ``file_type`` filter
        matches. ``by="directory"`` groups by repository and the first ``depth`` folders of
        the path ("." for files at the root). The columns are defined in this module's docs.
        """
        if by not in _COVERAGE_GROUPS:
            raise AnalysisError(
                f"coverage(by={by!r}) is not a grouping: use 'language', 'file_type',"
                " 'directory' or 'repository'"
            )
        if not isinstance(depth, int) or depth < 1:
            raise AnalysisError(f"coverage(depth={depth!r}) must be a whole number >= 1")
        counts = self.sql(q.COVERAGE, {"by": by, "depth": depth})
        return coverage_frame(counts, by)

    def chunk_stats(self, by: Literal["language", "cell_kind"] = "language") -> pd.DataFrame:
        """Chunks per language and kind: lines and tokens (mean, p50, p90, max), truncated.

        Rows with kind "(all)" total a language; the last row, "(all)" "(all)", the project.
        Percentiles interpolate linearly, like ``numpy.percentile``.

        ``by="cell_kind"``: the chunks of notebooks only, per kind of cell (code, markdown,
        raw, output) and the cell's language, with two more counts: ``notebooks`` and
        ``cells`` that have chunks there (empty cells have none). Rows with language "(all)"
        total a cell kind; the last row, "(all)" "(all)", every notebook chunk. Empty (no
        rows) when the project holds no notebook.
        """
        if by not in ("language", "cell_kind"):
            raise AnalysisError(
                f"chunk_stats(by={by!r}) is not a grouping: use 'language' or 'cell_kind'"
            )
        stats = self.sql(q.CHUNK_STATS, {"by": by})
        if by == "language":
            return stats.drop(columns=["notebooks", "cells"]).rename(
                columns={"g1": "language", "g2": "kind"}
            )
        return stats.rename(columns={"g1": "cell_kind", "g2": "language"})

    def largest(
        self, n: int = 20, *, of: Literal["both", "chunks", "files"] = "both"
    ) -> pd.DataFrame:
        """The ``n`` chunks with the most tokens and the ``n`` biggest indexed files."""
        if of not in ("both", "chunks", "files"):
            raise AnalysisError(f"largest(of={of!r}): use 'both', 'chunks' or 'files'")
        if not isinstance(n, int) or n < 1:
            raise AnalysisError(f"largest(n={n!r}) must be a whole number >= 1")
        params = {"n": n, "chunks": of != "files", "files": of != "chunks"}
        return self.sql(q.LARGEST, params)

    def stale(self) -> pd.DataFrame:
        """Files the next index run would redo: added, modified (hash differs) or deleted."""
        return self.sql(q.STALE)

    def history(self) -> pd.DataFrame:
        """Change events per repository and day (in DuckDB's time zone), by kind."""
        return self.sql(q.HISTORY)

    def stats(self) -> pd.DataFrame:
        """The headline: per repository and in all, files, coverage, chunks and tokens.

        When each repository was indexed is in ``sql("select * from repositories")``.
        """
        cover = self.coverage(by="repository")
        chunks = self.sql(q.REPOSITORY_CHUNKS)
        table = cover.merge(chunks, on="repository", how="outer")
        keep = [
            "repository",
            "on_disk",
            "indexed",
            "skipped",
            "failed",
            "not_indexed",
            "stale",
            "deleted",
            "coverage_pct",
            "chunks",
            "tokens",
            "truncated_pct",
        ]
        table = table.reindex(columns=keep)
        counts = [*keep[1:8], "chunks", "tokens"]
        table[counts] = table[counts].fillna(0).astype("int64")
        total: dict[str, Any] = {"repository": "(all)"}
        total.update({str(k): v for k, v in table[counts].sum().items()})
        total["coverage_pct"] = _pct(total["indexed"], total["on_disk"] - total["skipped"])
        truncated = self.sql("SELECT count(*) FILTER (WHERE truncated) AS n FROM chunks")
        total["truncated_pct"] = _pct(int(truncated["n"].iloc[0]), total["chunks"])
        table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
        return table.astype(dict.fromkeys(counts, "int64"))

    # -- symbols -----------------------------------------------------------------------------

    @overload
    def graph(
        self, level: Literal["module", "definition"] = ..., *, networkx: Literal[False] = ...
    ) -> pd.DataFrame: ...

    @overload
    def graph(
        self, level: Literal["module", "definition"] = ..., *, networkx: Literal[True]
    ) -> nx.DiGraph[Any]: ...

    def graph(
        self, level: Literal["module", "definition"] = "module", *, networkx: bool = False
    ) -> pd.DataFrame | nx.DiGraph[Any]:
        """Who depends on whom: one row per edge (``source``, ``target``, their paths and a
        ``weight``), or with ``networkx=True`` a ``networkx.DiGraph`` of the same edges.

        ``level="module"``: module imports module, between the project's own (Python)
        modules; ``weight`` counts the importing files. ``level="definition"``: the
        definition a reference sits in refers to another (a ``kind`` column says how:
        call, inherit, type...; ``weight`` counts the places). Names are dotted with
        their module: ``shop.cart.Cart.cheapest``. References in module-level code and to
        anything outside the project make no edge."""
        if level not in ("module", "definition"):
            raise AnalysisError(f"graph(level={level!r}): use 'module' or 'definition'")
        edges = self.sql(g.MODULE_EDGES if level == "module" else g.DEFINITION_EDGES)
        return g.to_networkx(edges) if networkx else edges

    def hotspots(self, n: int = 20) -> pd.DataFrame:
        """The ``n`` definitions referenced from the most places (their own body aside):
        ``references`` (every kind), ``callers`` (calls) and ``files`` they come from."""
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise AnalysisError(f"hotspots(n={n!r}) must be a whole number >= 1")
        return self.sql(g.HOTSPOTS, {"n": n})

    def unreferenced(self) -> pd.DataFrame:
        """Definitions nothing in the project refers to: candidates for removal, not verdicts.

        Code can be used from where the index cannot see (another project, a framework, a
        test runner, reflection), so each row says why it may still be alive, as boolean
        columns to filter on: ``public`` (no part of its qualified name, nor its file's
        name, starts with a single underscore: ``__init__`` and ``__main__.py`` are public), ``test`` (in a test file or named test*), ``dunder`` (``__len__``:
        called by Python itself) and ``entry_point`` (``main``, or in a ``__main__.py`` or a
        file with an ``if __name__ == "__main__"`` block)."""
        return self.sql(g.UNREFERENCED)

    def import_cycles(self) -> pd.DataFrame:
        """Modules that import each other, directly or through others: one row per knot
        (``modules``, ``size``) with ``example``, one loop through it (first module last
        again). Empty when the module graph has no cycle."""
        return g.cycles(self.graph("module", networkx=True))

    @property
    def plot(self) -> AnalysisPlots:
        """Matplotlib figures: ``.coverage()``, ``.chunk_sizes()``, ``.history()``,
        ``.module_graph()``."""
        from codelens._analysis.plots import AnalysisPlots

        return AnalysisPlots(self)


_COVERAGE_GROUPS = ("language", "file_type", "directory", "repository")
# What an error shows for a query to start from.
EXAMPLE_SQL = "select language, count(*) from chunks group by 1"

_NULLABLE = {
    pa.int8(): pd.Int8Dtype(),
    pa.int16(): pd.Int16Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.uint8(): pd.UInt8Dtype(),
    pa.uint16(): pd.UInt16Dtype(),
    pa.uint32(): pd.UInt32Dtype(),
    pa.uint64(): pd.UInt64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
}


def _pct(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 1) if whole else float("nan")


def _frame(
    con: duckdb.DuckDBPyConnection,
    query: str,
    params: Sequence[Any] | Mapping[str, Any] | None,
) -> pd.DataFrame:
    try:
        result = con.execute(query, params)
        if result is None or result.description is None:  # no statement, or no rows (SET)
            return pd.DataFrame()
        table = result.to_arrow_table()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AnalysisError(
            f"{first} (Analysis.tables() lists the tables and their columns)"
        ) from None
    # Nullable integers and booleans: a NULL size shows as <NA>, not as a float with NaN.
    frame: pd.DataFrame = table.to_pandas(types_mapper=_NULLABLE.get)
    return frame
