"""Search results: a pandas DataFrame that also reads well in a notebook and a terminal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from pandas.arrays import IntegerArray

from codelens._search.by_file import file_note
from codelens._search.category import category_of
from codelens._search.grouping import join_parts
from codelens._search.place import CELL_COLUMNS, grouped_note, match_text, place
from codelens._search.results_html import results_html
from codelens.errors import SearchError

if TYPE_CHECKING:
    from codelens._search.grouping import Unit

__all__ = ["COLUMNS", "SearchResults", "coverage_note", "first_pass_note"]

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
    "category",
    "content",
    "semantic_rank",
    "lexical_rank",
    "match_start_line",
    "match_end_line",
    "parts",
    "part_ids",
    "part_lines",
    *CELL_COLUMNS,
]
_NULLABLE_INTS = frozenset(CELL_COLUMNS) - {"cell_kind"}
# Columns not read from the chunk rows: set from the units, or derived from other columns.
_COMPUTED = ("rank", "score", "project", "category", "semantic_rank", "lexical_rank")
_TEXT_LINES = 4  # lines of each snippet in the plain-text view
# Columns of text (never None): typed as pandas types a column of str objects.
_TEXT_COLUMNS = frozenset({"repository", "path", "symbol", "kind", "language", "content"})
_TEXT_DTYPE: Any = pd.Series(np.array([""], dtype=object)).dtype


def coverage_note(embedded: int, total: int) -> str:
    """The line a partly embedded project's results carry, so nothing is silently missing."""
    return (
        f"meaning search covers {embedded:,} of {total:,} chunks; the other"
        f" {total - embedded:,} await their vectors (words find them already)"
    )


def first_pass_note(first: Mapping[str, Any], covered: tuple[int, int] | None) -> str:
    """The line results carry while the first-pass model answers meaning search."""
    total = int(first["total"])
    share = int(100 * int(first["embedded"]) / total) if total else 0
    note = (
        f"meaning by the fast first-pass model ({first['model']}) until {first['until']}'s"
        f" vectors are in: {share}% so far"
    )
    if covered is not None and covered[0] < covered[1]:
        note += f"; {covered[1] - covered[0]:,} chunks have no vector yet (words find them)"
    return note


class SearchResults(pd.DataFrame):
    """Ranked results, best first, one row each: a definition (all its parts, when it was
    too long to embed whole and was cut) or a stretch of module code. Columns (stable):

    ``rank`` (1 = best), ``score``, ``project``, ``repository``, ``path`` (relative to the
    repository root), ``start_line``/``end_line`` (the whole definition, 1-based,
    inclusive), ``symbol`` (e.g. ``JSONDecoder.decode``), ``kind`` (function, class,
    method, ...), ``language``, ``category`` (``code`` or ``docs``: prose such as Markdown,
    reStructuredText and plain text is docs, see :mod:`codelens._search.category`),
    ``content`` (the text of lines ``start_line``..``end_line``),
    ``semantic_rank``/``lexical_rank`` (the best part's rank in each mode's candidate list,
    <NA> when that mode did not return it), ``match_start_line``/``match_end_line`` (the
    best-matching part: where the match is), ``parts`` (how many chunks the definition was
    cut in; 1 when whole), ``part_ids`` (their chunk ids, in line order) and
    ``part_lines`` (their (start_line, end_line), in line order; parts may overlap by a
    line or two). :meth:`parts_of` lists one row's parts; :func:`match_text` gives the
    matching part's text.

    A result is ranked by its best part; the parts of one definition never take two rows.

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
    ``mode``, ``project``, ``semantic_coverage``, ``roots`` (each hit's repository and
    its root folder: in a notebook, a header links to its file when the file is below the
    notebook's folder, and JupyterLab opens it), and for semantic and hybrid search
    ``semantic_model`` (the model whose vectors ranked: one per search) and
    ``first_pass`` (while a project's first-pass model answers: a dict of ``model``,
    ``until`` (the project's model), and its ``embedded`` of ``total`` chunks; else None),
    and ``filter_note``: when a filtered search found nothing, the filter that matches no
    chunk of the project and what the project has instead (see :attr:`filter_note`).

    While a project is being embedded, lexical search covers every chunk and semantic and
    hybrid search the chunks that have their vector: :attr:`semantic_coverage` says how
    many (None once every chunk has one), and both renderings add a line saying so whenever
    coverage is partial.

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
        units: Sequence[Unit],
        rows: Mapping[int, Sequence[Any]],
        coverage: tuple[int, int] | None = None,
        roots: Mapping[str, str] | None = None,
    ) -> SearchResults:
        """Results in ``units`` order; rows are (repository, path, start_line, end_line,
        symbol, kind, language, content, *CELL_COLUMNS) by chunk id (the cell columns may be
        left out: not a notebook). A unit whose best part is missing from ``rows`` (deleted
        meanwhile) drops out, and so do missing parts. ``roots`` maps the hits' repositories
        to their root folders (for links to files)."""
        pad = (None,) * len(CELL_COLUMNS)
        kept = [u for u in units if u.best.id in rows]
        records = []
        for unit in kept:
            ids = [i for i in unit.part_ids if i in rows]
            full = {i: (*rows[i], *pad)[: 8 + len(CELL_COLUMNS)] for i in ids}
            parts = sorted(((full[i][2], full[i][3], str(full[i][7])), i) for i in ids)
            best = full[unit.best.id]
            first, last = parts[0][0], parts[-1][0]
            whole = join_parts([p for p, _ in parts]) if len(parts) > 1 else best[7]
            # The cell holds every part (units never cross cells): its lines span them all.
            cell = best[8:]
            if cell[3] is not None:
                cell = (*cell[:3], full[parts[0][1]][11], full[parts[-1][1]][12])
            records.append(
                (
                    *best[:2],
                    first[0],
                    max(last[1], first[1]),
                    *best[4:7],
                    whole,
                    best[2],
                    best[3],
                    len(parts),
                    tuple(i for _, i in parts),
                    tuple((p[0], p[1]) for p, _ in parts),
                    *cell,
                )
            )
        # Typed column by column, each built as its final array: astype over a finished
        # frame costs more than the search, and pandas' own conversions (text columns
        # inferred from objects, pd.array's checks) cost 0.1 and 0.05 ms a column.
        names = [name for name in COLUMNS if name not in _COMPUTED]
        where = list(zip(*records, strict=True)) or [()] * len(names)
        columns: dict[str, Any] = {
            "rank": np.arange(1, len(kept) + 1, dtype=np.int64),
            "score": np.array([u.best.score for u in kept], dtype=np.float64),
            "project": _text([project] * len(kept)),
        }
        ints = ("start_line", "end_line", "match_start_line", "match_end_line", "parts")
        for name, values in zip(names, where, strict=True):
            if name in _NULLABLE_INTS:
                columns[name] = _nullable_ints(values)
            elif name in _TEXT_COLUMNS:
                columns[name] = _text(values)
            else:
                columns[name] = _column(values, np.int64 if name in ints else object)
        columns["category"] = _text([category_of(x) for x in columns["language"]])
        for name in ("semantic_rank", "lexical_rank"):
            columns[name] = _nullable_ints([getattr(u.best, name) for u in kept])
        frame = cls({name: columns[name] for name in COLUMNS})
        frame.attrs.update(query=query, mode=mode, project=project, semantic_coverage=coverage)
        if roots is not None:
            frame.attrs["roots"] = dict(roots)
        return frame

    @property
    def semantic_coverage(self) -> tuple[int, int] | None:
        """(chunks with a vector, all chunks) while meaning search covers part of the project;
        None when it covers every chunk, or was not used (lexical)."""
        coverage = self.attrs.get("semantic_coverage")
        return None if coverage is None else (int(coverage[0]), int(coverage[1]))

    @property
    def meaning_note(self) -> str | None:
        """The line saying what meaning search saw, when it saw less than the project's
        own model's vectors of every chunk; None otherwise."""
        coverage = self.semantic_coverage
        first = self.attrs.get("first_pass")
        if first:
            return first_pass_note(first, coverage)
        if coverage is None or coverage[0] >= coverage[1]:
            return None
        return coverage_note(*coverage)

    @property
    def filter_note(self) -> str | None:
        """When the search found nothing: the filter that no chunk of the project passes
        on its own, with what the project has instead (``language filter 'pyhton' matches
        no chunk of this project (its languages: markdown, python)``); else None."""
        note = self.attrs.get("filter_note")
        return None if note is None else str(note)

    @property
    def search_note(self) -> str | None:
        """What a reader of these results should be told besides them, in one line:
        :attr:`filter_note` and :attr:`meaning_note`, or None."""
        notes = [n for n in (self.filter_note, self.meaning_note) if n]
        return "; ".join(notes) or None

    def parts_of(self, row: int) -> pd.DataFrame:
        """The parts of the result at position ``row`` (0 = the first): one row per chunk
        with ``id``, ``start_line``, ``end_line`` and ``content``, in line order."""
        size = len(self)
        if isinstance(row, bool) or not isinstance(row, Integral) or not -size <= row < size:
            what = f"give a row's position, 0 to {size - 1} (0 = the first)"
            raise SearchError(f"parts_of({row!r}): {what if size else 'there are no results'}")
        result = self.iloc[row]
        lines = str(result["content"]).split("\n")
        top = int(result["start_line"])
        return pd.DataFrame(
            {
                "id": list(result["part_ids"]),
                "start_line": [s for s, _ in result["part_lines"]],
                "end_line": [e for _, e in result["part_lines"]],
                "content": [
                    "\n".join(lines[s - top : e - top + 1]) for s, e in result["part_lines"]
                ],
            }
        )

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
        note = self.search_note
        if len(self) == 0:
            return f"SearchResults: {self._title()}" + (f"\n{note}" if note else "")
        lines = [f"SearchResults: {self._title()}"]
        shown = self.head(self.display_limit)
        for position, (_, row) in enumerate(shown.iterrows(), start=1):
            lines.append(_header(row, position))
            body = match_text(row).splitlines() or [""]
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
        return results_html(
            self, self._title(), self.display_limit, self.search_note, roots=self.attrs.get("roots")
        )


def _column(values: Sequence[Any], dtype: Any) -> Any:
    if dtype is object:
        # np.array would turn a column of equal-length tuples into a 2-d array.
        column = np.empty(len(values), dtype=object)
        for i, value in enumerate(values):
            column[i] = value
        return column
    return np.array(values, dtype=dtype)


def _text(values: Sequence[Any]) -> Any:
    """A column of text as the array pandas would infer for it, built directly."""
    return pd.array(list(values), dtype=_TEXT_DTYPE)


def _nullable_ints(values: Sequence[int | None]) -> Any:
    """An Int64 column (None as <NA>), built from its data and mask directly."""
    mask = np.fromiter((v is None for v in values), dtype=bool, count=len(values))
    data = np.fromiter((0 if v is None else v for v in values), dtype=np.int64, count=len(values))
    return IntegerArray(data, mask)


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
    text += grouped_note(row) + file_note(row)
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
