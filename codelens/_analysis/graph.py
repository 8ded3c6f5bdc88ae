"""The symbol analyses: dependency graphs, hotspots, unreferenced definitions, import cycles.

Their SQL runs over the snapshot's ``definitions``, ``symbol_refs`` and ``module_imports``;
networkx takes over where a graph algorithm is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "CYCLE_COLUMNS",
    "DEFINITION_EDGES",
    "HOTSPOTS",
    "MODULE_EDGES",
    "UNREFERENCED",
    "cycles",
    "to_networkx",
]

# Edges between modules: each project module one of its files imports, with how many
# import statements (files) say so; imports leaving the project are not edges.
MODULE_EDGES = """
SELECT importer AS source, imported AS target, importer_path AS source_path,
       imported_path AS target_path, count(*) AS weight
FROM module_imports
WHERE imported_path IS NOT NULL AND importer_path <> imported_path
GROUP BY ALL ORDER BY source, target
"""

# Edges between definitions: the definition a reference sits in to the one it means
# (module-level code is no definition: its references make no edge).
DEFINITION_EDGES = """
SELECT s.module || '.' || s.qualname AS source, t.module || '.' || t.qualname AS target,
       s.path AS source_path, t.path AS target_path, r.kind,
       count(*) AS weight
FROM symbol_refs AS r
JOIN definitions AS s ON s.id = r.definition_id
JOIN definitions AS t ON t.id = r.target_id
WHERE r.definition_id <> r.target_id
GROUP BY ALL ORDER BY source, target, r.kind
"""

HOTSPOTS = """
SELECT d.path, d.qualname AS symbol, d.kind, d.line, d.language,
       i.refs AS "references", i.calls AS callers, i.files
FROM definition_uses AS i JOIN definitions AS d ON d.id = i.target_id
ORDER BY i.refs DESC, d.path, d.line
LIMIT $n
"""

# The flags say why a definition may be used from outside what the index can see; they
# are columns, not filters: the reader decides.
UNREFERENCED = r"""
WITH mains AS (
    SELECT DISTINCT file_id FROM chunks
    WHERE regexp_matches(content, 'if __name__ == [''"]__main__[''"]')
       OR regexp_matches(path, '(^|/)__main__\.py$')
)
SELECT d.path, d.qualname AS symbol, d.kind, d.line, d.language,
       len(list_filter(string_split(d.qualname, '.'),
           p -> starts_with(p, '_') AND NOT (starts_with(p, '__') AND ends_with(p, '__')))) = 0
           AND (NOT starts_with(regexp_extract(d.path, '[^/]*$'), '_')
                OR starts_with(regexp_extract(d.path, '[^/]*$'), '__')) AS public,
       regexp_matches(d.path, '(^|/)(tests?|testing)/|(^|/)test_[^/]*$|_test\.[a-z]+$|(^|/)conftest\.py$')
           OR starts_with(d.name, 'test') AS test,
       starts_with(d.name, '__') AND ends_with(d.name, '__') AND length(d.name) > 4 AS dunder,
       d.name = 'main' OR d.file_id IN (SELECT file_id FROM mains) AS entry_point
FROM definitions AS d
WHERE d.id NOT IN (SELECT target_id FROM definition_uses)
ORDER BY d.path, d.line
"""

CYCLE_COLUMNS = ["cycle", "modules", "size", "example"]


def to_networkx(edges: pd.DataFrame) -> nx.DiGraph[Any]:
    """The edges as a directed graph: nodes are dotted names, edges carry their columns;
    the definition graph's several kinds of reference between two nodes make one edge,
    their weights summed and ``kinds`` listed."""
    import networkx as nx

    if "kind" in edges.columns:
        keys = ["source", "target", "source_path", "target_path"]
        edges = edges.groupby(keys, as_index=False, sort=False).agg(
            weight=("weight", "sum"), kinds=("kind", list)
        )
    graph: nx.DiGraph[Any] = nx.from_pandas_edgelist(
        edges, "source", "target", edge_attr=True, create_using=nx.DiGraph
    )
    return graph


def cycles(graph: nx.DiGraph[Any]) -> pd.DataFrame:
    """Each knot of mutually importing modules once: its modules and one cycle through them.

    Strongly connected components, not ``simple_cycles``: a tangled package has
    exponentially many elementary cycles, while its components are found in linear time
    and name each knot once; ``find_cycle`` then shows one concrete loop in it."""
    import networkx as nx

    rows: list[tuple[Any, ...]] = []
    # No module is its own importer here: MODULE_EDGES leaves out a file importing itself.
    knots = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    for knot in sorted(knots, key=lambda k: (-len(k), k)):
        loop = nx.find_cycle(graph.subgraph(knot))
        example = [edge[0] for edge in loop] + [loop[0][0]]
        rows.append((len(rows) + 1, knot, len(knot), example))
    return pd.DataFrame(rows, columns=CYCLE_COLUMNS)
