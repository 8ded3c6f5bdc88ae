"""Search results: a pandas DataFrame that also reads well in a notebook and a terminal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from codelens._search.place import CELL_COLUMNS, place

if TYPE_CHECKING:
    from codelens._search.fusion import Fused

__all__ = ["COLUMNS", "SearchResults", "coverage_note"]

COLUMNS = [
    "rank",
    "score",
    "project",
    "repository",
    "path",
    "start_line",
    "end_line",
    "symbol",
    "kind",
    "language",
    "content",
    "semantic_rank",
    "lexical_rank",
    *CELL_COLUMNS,
]
# Read from the database for each hit, in this order.
_STORED = [*COLUMNS[3:11], *COLUMNS[13:]]
_NULLABLE_INTS = frozenset(CELL_COLUMNS) - {"cell_kind"}
_TEXT_LINES = 4  # lines of each snippet in the plain-text view


def coverage_note(embedded: int, total: int) -> str:
    """The line a partly embedded project's results carry, so nothing is silently missing."""
    return (
        f"meaning search covers {embedded:,} of {total:,} chunks; the other"
        f" {total - embedded:,} await their vectors (words find them already)"
    )


class SearchResults(pd.DataFrame):
    """Ranked chunks, best first, one row each. Columns (stable):

    ``rank`` (1 = best), ``score``, ``project``, ``repository``, ``path`` (relative to the
    repository root), ``start_line``/``end_line`` (1-based, inclusive), ``symbol`` (e.g.
    ``JSONDecoder.decode``), ``kind`` (function, class, method, ...), ``language``,
    ``content`` (the chunk's text), ``semantic_rank``/``lexical_rank`` (the chunk's rank
    in each mode's candidate list, <NA> when that mode did not return it).

    A hit in a Jupyter notebook also has ``cell_number`` (1-based, as JupyterLab numbers
    cells), ``cell_kind`` (code, markdown, raw, or output when text outputs are indexed),
    ``execution_count`` (the cell's, when it had one as the notebook's cells were last
    indexed) and ``cell_start_line``/``cell_end_line`` (lines within the cell); for
    other files they are <NA>/None. A notebook's ``start_line``/``end_line`` count the
    lines of its cells laid end to end, and ``language`` is the cell's.

    ``score`` depends on the mode: semantic, the cosine similarity (1 - cosine distance,
    higher is closer); lexical, the share of the query's idf-weighted words the chunk
    contains (0..1; ties ordered by PostgreSQL's ``ts_rank_cd``); hybrid, the fused
    reciprocal-rank score (see :mod:`codelens._search.fusion`). ``attrs`` holds ``query``,
    ``mode``, ``project`` and ``semantic_coverage``.

    While a project is being embedded, lexical search covers every chunk and semantic and
    hybrid search the chunks that have their vector: :attr:`semantic_coverage` says how
    many, and both renderings add a line saying so whenever coverage is partial.

    It is a plain DataFrame for analysis: filter, slice, group and join it as usual.
    Notebooks show highlighted snippets (up to ``display_limit`` rows); ``print`` shows a
    readable listing.
    """

    _metadata: ClassVar[list[str]] = ["display_limit"]
    display_limit: int = 10

    @property
    def _constructor(self) -> type[SearchResults]:
        return SearchResults

    @classmethod
    def build(
        cls,
        project: str,
        query: str,
        mode: str,
        fused: Sequence[Fused],
        rows: Mapping[int, Sequence[Any]],
        coverage: tuple[int, int] | None = None,
    ) -> SearchResults:
        """Results in ``fused`` order; ids missing from ``rows`` (deleted meanwhile) drop out."""
        # A row may stop after ``content``: the cell columns then are None (not a notebook).
        pad = (None,) * len(_STORED)
        hits = [(hit, (*rows[hit.id], *pad)[: len(_STORED)]) for hit in fused if hit.id in rows]
        # Typed column by column: astype over a finished frame costs more than the search.
        where = list(zip(*(row for _, row in hits), strict=True)) or [()] * len(_STORED)
        columns: dict[str, Any] = {
            "rank": np.arange(1, len(hits) + 1, dtype=np.int64),
            "score": np.array([hit.score for hit, _ in hits], dtype=np.float64),
            "project": np.array([project] * len(hits), dtype=object),
        }
        for name, values in zip(_STORED, where, strict=True):
            if name in _NULLABLE_INTS:
                columns[name] = pd.array(values, dtype="Int64")
                continue
            dtype = np.int64 if name in ("start_line", "end_line") else object
            columns[name] = np.array(values, dtype=dtype)
        for name in ("semantic_rank", "lexical_rank"):
            columns[name] = pd.array([getattr(hit, name) for hit, _ in hits], dtype="Int64")
        frame = cls({name: columns[name] for name in COLUMNS})
        frame.attrs.update(query=query, mode=mode, project=project, semantic_coverage=coverage)
        return frame

    @property
    def semantic_coverage(self) -> tuple[int, int] | None:
        """(chunks with a vector, all chunks) when meaning was searched; None for lexical."""
        coverage = self.attrs.get("semantic_coverage")
        return None if coverage is None else (int(coverage[0]), int(coverage[1]))

    def _note(self) -> str | None:
        coverage = self.semantic_coverage
        if coverage is None or coverage[0] >= coverage[1]:
            return None
        return coverage_note(*coverage)

    def _complete(self) -> bool:
        return all(c in self.columns for c in ("path", "start_line", "end_line", "content"))

    def _title(self) -> str:
        query = self.attrs.get("query")
        what = f"{len(self)} result{'s' if len(self) != 1 else ''}"
        if query is None:
            return what
        shown = query if len(query) <= 80 else query[:77] + "..."
        return f"{what} for {shown!r} ({self.attrs.get('mode', '?')})"

    def _text(self) -> str:
        note = self._note()
        if len(self) == 0:
            return f"SearchResults: {self._title()}" + (f"\n{note}" if note else "")
        lines = [f"SearchResults: {self._title()}"]
        shown = self.head(self.display_limit)
        for position, (_, row) in enumerate(shown.iterrows(), start=1):
            lines.append(_header(row, position))
            body = str(row["content"]).splitlines() or [""]
            lines.extend("      " + _clip(line, 100) for line in body[:_TEXT_LINES])
            if len(body) > _TEXT_LINES:
                lines.append(f"      ... {len(body) - _TEXT_LINES} more lines")
        if len(self) > len(shown):
            lines.append(f"showing {len(shown)} of {len(self)}")
        if note:
            lines.append(note)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self._text() if self._complete() else super().__repr__()

    def to_string(self, *args: Any, **kwargs: Any) -> str:  # type: ignore[override]
        """With no arguments, the readable listing; with any, pandas' table."""
        if args or kwargs or not self._complete():
            return str(super().to_string(*args, **kwargs))
        return self._text()

    def _repr_html_(self) -> str | None:
        if not self._complete():
            html: str | None = pd.DataFrame(self)._repr_html_()  # type: ignore[operator]
            return html
        from codelens._search.results_html import results_html

        return results_html(self, self._title(), self.display_limit, self._note())


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _header(row: pd.Series[Any], position: int) -> str:
    rank = row.get("rank", position)
    where = place(row)
    symbol = row.get("symbol") or ""
    details = ", ".join(str(row[c]) for c in ("kind", "language") if row.get(c))
    text = f"{rank:>3}. {where}"
    if symbol:
        text += f"  {symbol}"
    if details:
        text += f" ({details})"
    if "score" in row:
        text += f"  score {row['score']:.4g}"
    return text + _mode_ranks(row)


def _mode_ranks(row: pd.Series[Any]) -> str:
    parts = [
        f"{name} #{row[col]}"
        for name, col in (("semantic", "semantic_rank"), ("lexical", "lexical_rank"))
        if col in row and not pd.isna(row[col])
    ]
    return f"  [{', '.join(parts)}]" if parts else ""
