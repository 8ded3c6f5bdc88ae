"""Matplotlib figures of an analysis, for where a picture says it better than a table.

Figures are made with pyplot (so that Jupyter's inline backend knows how to show
them) and closed at once, so a returned figure shows once, not twice, in a notebook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from codelens._analysis.analysis import Analysis

__all__ = ["AnalysisPlots"]

_TOP = 15  # groups shown; the rest are summed into "(other)"
_COLORS = {
    "indexed": "#4c9a2a",
    "skipped": "#b0b0b0",
    "failed": "#d62728",
    "not_indexed": "#ff9f1c",
    "added": "#4c9a2a",
    "modified": "#1f77b4",
    "deleted": "#d62728",
}


class AnalysisPlots:
    """``a.plot.coverage()``, ``a.plot.chunk_sizes()``, ``a.plot.history()``,
    ``a.plot.module_graph()``."""

    def __init__(self, analysis: Analysis) -> None:
        self._analysis = analysis

    def coverage(
        self,
        by: Literal["language", "file_type", "directory", "repository"] = "language",
        depth: int = 1,
    ) -> Figure:
        """Files on disk per group, split into indexed, skipped, failed and not indexed."""
        table = self._analysis.coverage(by=by, depth=depth)
        keys = ["repository", "directory"] if by == "directory" else [by]
        labels = table[keys].astype(str).agg("/".join, axis=1)
        parts = ["indexed", "skipped", "failed", "not_indexed"]
        data = table[parts].set_axis(labels)
        if len(data) > _TOP:
            rest = data.iloc[_TOP:].sum().rename("(other)")
            data = pd.concat([data.iloc[:_TOP], rest.to_frame().T])
        fig, ax = _figure(height=1.2 + 0.35 * max(len(data), 1))
        left = pd.Series(0, index=data.index)
        for part in parts:
            label = part.replace("_", " ")
            ax.barh(data.index, data[part], left=left, color=_COLORS[part], label=label)
            left = left + data[part]
        ax.invert_yaxis()
        ax.set_xlabel("files on disk")
        indexable = table["on_disk"].sum() - table["skipped"].sum()
        share = 100.0 * table["indexed"].sum() / indexable if indexable else float("nan")
        ax.set_title(f"Coverage of {self._analysis.project.id} by {by}: {share:.1f}% indexed")
        ax.legend(loc="lower right", fontsize="small")
        return fig

    def chunk_sizes(self, measure: Literal["tokens", "lines"] = "tokens", bins: int = 40) -> Figure:
        """Histogram of chunk sizes per language, with the model's window marked."""
        column = {"tokens": "token_count", "lines": "lines"}.get(measure)
        if column is None:
            from codelens.errors import AnalysisError

            raise AnalysisError(f"chunk_sizes(measure={measure!r}): use 'tokens' or 'lines'")
        sizes = self._analysis.sql(
            "SELECT coalesce(language, '(none)') AS language, token_count, lines FROM chunks"
        )
        fig, ax = _figure(height=4.5)
        top = sizes["language"].value_counts().index[:8]
        groups = [sizes.loc[sizes["language"] == lang, column] for lang in top]
        if groups:
            ax.hist(groups, bins=bins, stacked=True, label=list(top))
            ax.legend(fontsize="small")
        if measure == "tokens":
            window = self._analysis.sql("SELECT max_tokens FROM embedding_metadata")
            if len(window):
                limit = int(window["max_tokens"].iloc[0])
                ax.axvline(limit, color="black", linestyle="--", linewidth=1)
                ax.annotate(
                    f" model window: {limit}",
                    (limit, 1),
                    xycoords=("data", "axes fraction"),
                    va="top",
                    fontsize="small",
                )
        ax.set_xlabel(f"{measure} per chunk")
        ax.set_ylabel("chunks")
        ax.set_title(f"Chunk sizes in {self._analysis.project.id} ({len(sizes)} chunks)")
        return fig

    def history(self) -> Figure:
        """Files added, modified and deleted per day, all repositories together."""
        events = self._analysis.history()
        per_day = events.groupby("day")[["added", "modified", "deleted"]].sum()
        fig, ax = _figure(height=4.0)
        labels = [str(day) for day in per_day.index]
        bottom = pd.Series(0, index=per_day.index)
        for kind in ("added", "modified", "deleted"):
            ax.bar(labels, per_day[kind], bottom=bottom, color=_COLORS[kind], label=kind)
            bottom = bottom + per_day[kind]
        ax.set_ylabel("files")
        ax.set_title(f"Changes indexed in {self._analysis.project.id}, per day")
        ax.legend(fontsize="small")
        fig.autofmt_xdate()
        return fig

    def module_graph(self) -> Figure:
        """The project's modules and their imports; the edges of import cycles in red."""
        import networkx as nx

        graph = self._analysis.graph("module", networkx=True)
        knots = self._analysis.import_cycles()
        tangled = {m for modules in knots["modules"] for m in modules}
        fig, ax = _figure(height=6.0)
        ax.set_axis_off()
        title = f"Module imports in {self._analysis.project.id}"
        title += f": {len(knots)} cycle{'s' if len(knots) != 1 else ''}" if len(knots) else ""
        ax.set_title(title)
        if not graph:
            return fig
        where = nx.spring_layout(graph, seed=0)  # seeded: the same picture every time
        red = [(a, b) for a, b in graph.edges if a in tangled and b in tangled]
        plain = [e for e in graph.edges if e not in set(red)]
        nx.draw_networkx_nodes(graph, where, ax=ax, node_size=300, node_color="#9ecae1")
        nx.draw_networkx_labels(graph, where, ax=ax, font_size=8)
        for edges, color in ((plain, "#888888"), (red, _COLORS["failed"])):
            nx.draw_networkx_edges(
                graph, where, edgelist=edges, ax=ax, edge_color=color, arrows=True
            )
        return fig


def _figure(height: float) -> tuple[Figure, Axes]:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.0, min(height, 12.0)), layout="constrained")
    plt.close(fig)
    return fig, ax
