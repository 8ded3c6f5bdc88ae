"""The DuckDB queries behind ``Analysis``: each a constant, with parameters for the choices."""

from __future__ import annotations

__all__ = [
    "CHUNK_STATS",
    "COLUMNS",
    "COVERAGE",
    "HISTORY",
    "LARGEST",
    "REPOSITORY_CHUNKS",
    "STALE",
    "STATS_HELP",
    "TABLES",
]

# What Analysis.stats answers (COVERAGE by repository, with REPOSITORY_CHUNKS), in the
# words of the front ends' help.
STATS_HELP = "coverage and chunk statistics per repository and in all (DuckDB)"

# Long counts, one row per group and outcome; pivoted into columns in Python.
COVERAGE = """
WITH awaiting AS (
    SELECT r.name AS repository, c.path, count(*) AS awaiting
    FROM chunks AS c JOIN repositories AS r ON r.id = c.repository_id
    WHERE NOT c.has_vector
    GROUP BY ALL
), items AS (
    SELECT s.repository, s.path, s.language, s.on_disk, s.status, s.skip_reason, s.change,
           false AS ignored, coalesce(a.awaiting, 0) AS awaiting
    FROM file_status AS s
    LEFT JOIN awaiting AS a ON a.repository = s.repository AND a.path = s.path
    UNION ALL
    SELECT r.name, d.path, d.language, false, NULL, NULL, NULL, true, 0
    FROM disk_files AS d LEFT JOIN repositories AS r ON r.id = d.repository_id
    WHERE d.ignored
), keyed AS (
    SELECT
        CASE WHEN $by IN ('language', 'file_type') THEN NULL ELSE repository END AS repository,
        CASE
            WHEN $by = 'language' THEN coalesce(language, '(none)')
            -- what search's file_type filter matches: the name after its last dot
            WHEN $by = 'file_type' THEN
                coalesce(nullif(lower(regexp_extract(path, '[.]([^./]*)$', 1)), ''), '(none)')
            WHEN $by = 'directory' THEN coalesce(nullif(array_to_string(list_slice(
                string_split(path, '/'), 1, least(len(string_split(path, '/')) - 1, $depth)
            ), '/'), ''), '.')
        END AS grp,
        on_disk, status, skip_reason, change, ignored, awaiting
    FROM items
)
SELECT repository, grp, on_disk, status, skip_reason, change, ignored, count(*) AS n,
       sum(awaiting) AS awaiting
FROM keyed
GROUP BY ALL
"""

# One query for both groupings, so that the statistics are defined once. $by = 'language':
# every chunk, by language (g1) and kind (g2). $by = 'cell_kind': notebook chunks only, by
# kind of cell (g1, in the order JupyterLab lists them) and language (g2). Analysis names
# g1 and g2, and keeps notebooks and cells for cell kinds only.
CHUNK_STATS = """
WITH c AS (
    SELECT *,
        CASE WHEN $by = 'cell_kind' THEN cell_kind ELSE language END AS g1,
        CASE WHEN $by = 'cell_kind' THEN language ELSE kind END AS g2
    FROM chunks
    WHERE $by = 'language' OR cell_kind IS NOT NULL
)
SELECT
    CASE WHEN grouping(g1) = 1 THEN '(all)' ELSE coalesce(g1, '(none)') END AS g1,
    CASE WHEN grouping(g2) = 1 THEN '(all)' ELSE coalesce(g2, '(none)') END AS g2,
    count(DISTINCT file_id) AS notebooks,
    count(DISTINCT (file_id, cell_number)) AS cells,
    count(*) AS chunks,
    round(avg(lines), 1) AS lines_mean,
    round(quantile_cont(lines, 0.5), 1) AS lines_p50,
    round(quantile_cont(lines, 0.9), 1) AS lines_p90,
    max(lines) AS lines_max,
    round(avg(token_count), 1) AS tokens_mean,
    round(quantile_cont(token_count, 0.5), 1) AS tokens_p50,
    round(quantile_cont(token_count, 0.9), 1) AS tokens_p90,
    max(token_count) AS tokens_max,
    count(*) FILTER (WHERE truncated) AS truncated,
    round(100.0 * count(*) FILTER (WHERE truncated) / nullif(count(*), 0), 1) AS truncated_pct,
    count(*) FILTER (WHERE NOT has_vector) AS awaiting_vectors
FROM c
GROUP BY ROLLUP (g1, g2)
-- no notebook: no rows, rather than a total of nothing
HAVING $by = 'language' OR count(*) > 0
ORDER BY grouping(g1),
    CASE WHEN $by = 'cell_kind' THEN list_position(['code', 'markdown', 'raw', 'output'], g1) END,
    g1 NULLS LAST, grouping(g2), chunks DESC, g2
"""

LARGEST = """
(SELECT 'chunk' AS what, r.name AS repository, c.path, c.symbol, c.kind, c.language,
        c.start_line, c.end_line, c.lines, c.token_count AS tokens, strlen(c.content) AS bytes
 FROM chunks AS c LEFT JOIN repositories AS r ON r.id = c.repository_id
 WHERE $chunks
 ORDER BY tokens DESC, lines DESC, c.path, c.start_line
 LIMIT $n)
UNION ALL
(SELECT 'file', r.name, f.path, NULL, NULL, f.language, 1, f.line_count, f.line_count,
        coalesce(t.tokens, 0)::BIGINT, f.size
 FROM files AS f
 LEFT JOIN repositories AS r ON r.id = f.repository_id
 LEFT JOIN (SELECT file_id, sum(token_count) AS tokens FROM chunks GROUP BY file_id) AS t
        ON t.file_id = f.id
 WHERE $files AND f.status = 'indexed'
 ORDER BY f.size DESC, f.path
 LIMIT $n)
"""

STALE = """
SELECT repository, path, change, language, status, skip_reason, disk_skip_reason,
       disk_size, indexed_size, indexed_at
FROM file_status
WHERE change IS NOT NULL
ORDER BY repository, path
"""

HISTORY = """
SELECT r.name AS repository, CAST(e.detected_at AS DATE) AS day,
       count(*) FILTER (WHERE e.change = 'added') AS added,
       count(*) FILTER (WHERE e.change = 'modified') AS modified,
       count(*) FILTER (WHERE e.change = 'deleted') AS deleted,
       count(*) AS total
FROM change_events AS e LEFT JOIN repositories AS r ON r.id = e.repository_id
GROUP BY ALL
ORDER BY repository, day
"""

REPOSITORY_CHUNKS = """
SELECT r.name AS repository, count(c.id) AS chunks, coalesce(sum(c.token_count), 0)::BIGINT AS tokens,
       round(100.0 * count(*) FILTER (WHERE c.truncated) / nullif(count(c.id), 0), 1)
           AS truncated_pct
FROM repositories AS r LEFT JOIN chunks AS c ON c.repository_id = r.id
GROUP BY r.name
"""

TABLES = """
SELECT t.name AS "table", t.kind, t.description,
       string_agg(c.column_name, ', ' ORDER BY c.column_index) AS columns
FROM (
    SELECT table_name AS name, 'table' AS kind, comment AS description
    FROM duckdb_tables() WHERE database_name = current_database() AND NOT internal
    UNION ALL
    SELECT view_name, 'view', comment
    FROM duckdb_views() WHERE database_name = current_database() AND NOT internal
) AS t
JOIN duckdb_columns() AS c ON c.table_name = t.name AND c.database_name = current_database()
WHERE t.name[1] <> '_'
GROUP BY t.name, t.kind, t.description
ORDER BY t.name = 'snapshot_info', t.kind, t.name
"""

COLUMNS = """
SELECT table_name AS "table", column_name AS "column", data_type AS type,
       comment AS description
FROM duckdb_columns()
WHERE database_name = current_database() AND NOT internal AND table_name[1] <> '_'
  AND ($table IS NULL OR table_name = $table)
ORDER BY table_name = 'snapshot_info', table_name, column_index
"""
