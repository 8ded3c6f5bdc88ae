"""The tables of a project's DuckDB snapshot, with the descriptions that ``Analysis.tables()`` shows.

The descriptions are stored as DuckDB comments, so that users reading
``duckdb_columns()`` see them too. Bump ``SCHEMA_VERSION`` whenever this
changes: an older snapshot file is then rebuilt from scratch.
"""

from __future__ import annotations

__all__ = ["DDL", "SCHEMA_VERSION"]

SCHEMA_VERSION = 4

DDL = """
CREATE TABLE snapshot_info (
    project_id         VARCHAR,
    refreshed_at       TIMESTAMPTZ,
    full_copy          BOOLEAN,
    chunks_copied      BIGINT,
    chunks_deleted     BIGINT,
    postgres_seconds   DOUBLE,
    disk_seconds       DOUBLE,
    seconds            DOUBLE
);
COMMENT ON TABLE snapshot_info IS 'one row: when and how this snapshot was last refreshed';
COMMENT ON COLUMN snapshot_info.project_id IS 'the project this snapshot copies';
COMMENT ON COLUMN snapshot_info.refreshed_at IS 'end of the last refresh';
COMMENT ON COLUMN snapshot_info.full_copy IS 'true when the last refresh copied every chunk, false when only changed files';
COMMENT ON COLUMN snapshot_info.chunks_copied IS 'chunks copied from PostgreSQL by the last refresh';
COMMENT ON COLUMN snapshot_info.chunks_deleted IS 'chunks dropped from the snapshot by the last refresh';
COMMENT ON COLUMN snapshot_info.postgres_seconds IS 'time spent reading PostgreSQL';
COMMENT ON COLUMN snapshot_info.disk_seconds IS 'time spent scanning the repositories on disk';
COMMENT ON COLUMN snapshot_info.seconds IS 'whole refresh time';

CREATE TABLE repositories (
    id              BIGINT,
    name            VARCHAR,
    root_path       VARCHAR,
    created_at      TIMESTAMPTZ,
    last_indexed_at TIMESTAMPTZ,
    on_disk         BOOLEAN
);
COMMENT ON TABLE repositories IS 'the repositories of the project';
COMMENT ON COLUMN repositories.id IS 'repository id (repository_id elsewhere)';
COMMENT ON COLUMN repositories.name IS 'short name, unique in the project';
COMMENT ON COLUMN repositories.root_path IS 'absolute path of the root folder';
COMMENT ON COLUMN repositories.created_at IS 'when it was added to the project';
COMMENT ON COLUMN repositories.last_indexed_at IS 'end of its last index run';
COMMENT ON COLUMN repositories.on_disk IS 'false when its root folder could not be scanned (moved or deleted)';

CREATE TABLE files (
    id            BIGINT,
    repository_id BIGINT,
    path          VARCHAR,
    language      VARCHAR,
    size          BIGINT,
    sha256        VARCHAR,
    line_count    INTEGER,
    status        VARCHAR,
    skip_reason   VARCHAR,
    error         VARCHAR,
    indexed_at    TIMESTAMPTZ
);
COMMENT ON TABLE files IS 'every file the index knows, indexed or not';
COMMENT ON COLUMN files.id IS 'file id (file_id in chunks)';
COMMENT ON COLUMN files.repository_id IS 'its repository';
COMMENT ON COLUMN files.path IS 'path relative to the repository root, / separated';
COMMENT ON COLUMN files.language IS 'language detected from the name or shebang; NULL when unknown';
COMMENT ON COLUMN files.size IS 'bytes when indexed';
COMMENT ON COLUMN files.sha256 IS 'hash of the content when indexed; NULL when the file was not read';
COMMENT ON COLUMN files.line_count IS 'lines when indexed; 0 when skipped';
COMMENT ON COLUMN files.status IS 'indexed, skipped or failed';
COMMENT ON COLUMN files.skip_reason IS 'why a skipped file was skipped (binary, too_large, ...); NULL otherwise';
COMMENT ON COLUMN files.error IS 'why a failed file failed; NULL otherwise';
COMMENT ON COLUMN files.indexed_at IS 'when this row was last written by an index run';

CREATE TABLE chunks (
    id            BIGINT,
    file_id       BIGINT,
    repository_id BIGINT,
    chunk_index   INTEGER,
    path          VARCHAR,
    symbol        VARCHAR,
    kind          VARCHAR,
    language      VARCHAR,
    start_line    INTEGER,
    end_line      INTEGER,
    lines         INTEGER,
    content       VARCHAR,
    content_hash  VARCHAR,
    token_count   INTEGER,
    truncated     BOOLEAN,
    has_vector    BOOLEAN,
    cell_number     INTEGER,
    cell_kind       VARCHAR,
    execution_count INTEGER,
    cell_start_line INTEGER,
    cell_end_line   INTEGER
);
COMMENT ON TABLE chunks IS 'the indexed chunks, without their vectors';
COMMENT ON COLUMN chunks.has_vector IS 'false while the chunk awaits its vector (searchable by words only; token_count and truncated come with the vector)';
COMMENT ON COLUMN chunks.id IS 'chunk id';
COMMENT ON COLUMN chunks.file_id IS 'its file';
COMMENT ON COLUMN chunks.repository_id IS 'its repository';
COMMENT ON COLUMN chunks.chunk_index IS 'position in its file, from 0';
COMMENT ON COLUMN chunks.path IS 'path of its file';
COMMENT ON COLUMN chunks.symbol IS 'qualified name of the definition, e.g. Client.send; empty for module-level code';
COMMENT ON COLUMN chunks.kind IS 'function, method, class, module, section, lines, ...';
COMMENT ON COLUMN chunks.language IS 'language of its file; in a notebook, of its cell (python, markdown, ...)';
COMMENT ON COLUMN chunks.start_line IS 'first line, from 1';
COMMENT ON COLUMN chunks.end_line IS 'last line, inclusive';
COMMENT ON COLUMN chunks.lines IS 'end_line - start_line + 1';
COMMENT ON COLUMN chunks.content IS 'the source text';
COMMENT ON COLUMN chunks.content_hash IS 'stable hash of the text embedded for it (path, symbol and code; the same for every window of a number table, which has no meaning vector)';
COMMENT ON COLUMN chunks.token_count IS 'tokens of the embedded text, by the model''s tokenizer';
COMMENT ON COLUMN chunks.truncated IS 'true when the embedded text exceeded the model window and was cut';
COMMENT ON COLUMN chunks.cell_number IS 'in a notebook, its cell, from 1 as JupyterLab numbers cells; NULL in other files';
COMMENT ON COLUMN chunks.cell_kind IS 'in a notebook, the kind of its cell: code, markdown, raw, or output (indexed text outputs); NULL in other files';
COMMENT ON COLUMN chunks.execution_count IS 'in a notebook, its cell''s execution count when the cell last changed; NULL if never run';
COMMENT ON COLUMN chunks.cell_start_line IS 'in a notebook, first line within its cell, from 1 (start_line counts the cells laid end to end)';
COMMENT ON COLUMN chunks.cell_end_line IS 'in a notebook, last line within its cell, inclusive';

CREATE TABLE change_events (
    id            BIGINT,
    repository_id BIGINT,
    path          VARCHAR,
    change        VARCHAR,
    detected_at   TIMESTAMPTZ,
    indexed_at    TIMESTAMPTZ,
    run_id        BIGINT
);
COMMENT ON TABLE change_events IS 'one row per file added, modified or deleted, as index runs saw them';
COMMENT ON COLUMN change_events.id IS 'event id';
COMMENT ON COLUMN change_events.repository_id IS 'its repository';
COMMENT ON COLUMN change_events.path IS 'path of the file';
COMMENT ON COLUMN change_events.change IS 'added, modified or deleted';
COMMENT ON COLUMN change_events.detected_at IS 'when the index run saw the change';
COMMENT ON COLUMN change_events.indexed_at IS 'when the change reached the index; NULL if not yet';
COMMENT ON COLUMN change_events.run_id IS 'the index run (index_runs.id)';

CREATE TABLE index_runs (
    id            BIGINT,
    repository_id BIGINT,
    started_at    TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ,
    status        VARCHAR,
    report        JSON
);
COMMENT ON TABLE index_runs IS 'one row per index run';
COMMENT ON COLUMN index_runs.id IS 'run id';
COMMENT ON COLUMN index_runs.repository_id IS 'the repository indexed';
COMMENT ON COLUMN index_runs.started_at IS 'start of the run';
COMMENT ON COLUMN index_runs.finished_at IS 'end of the run; NULL while running';
COMMENT ON COLUMN index_runs.status IS 'running, completed, interrupted or failed';
COMMENT ON COLUMN index_runs.report IS 'the run''s report (IndexReport.to_dict()) as JSON';

CREATE TABLE embedding_metadata (
    model_name           VARCHAR,
    embedding_dimensions INTEGER,
    max_tokens           INTEGER,
    document_prefix      VARCHAR,
    query_prefix         VARCHAR,
    chunker_version      VARCHAR,
    created_at           TIMESTAMPTZ
);
COMMENT ON TABLE embedding_metadata IS 'the embedding model of the project; no row before the first index run';
COMMENT ON COLUMN embedding_metadata.model_name IS 'embedder name, e.g. local:all-MiniLM-L6-v2';
COMMENT ON COLUMN embedding_metadata.embedding_dimensions IS 'vector length';
COMMENT ON COLUMN embedding_metadata.max_tokens IS 'input window of the model, in tokens';
COMMENT ON COLUMN embedding_metadata.document_prefix IS 'text put before each chunk when embedding it';
COMMENT ON COLUMN embedding_metadata.query_prefix IS 'text put before each query';
COMMENT ON COLUMN embedding_metadata.chunker_version IS 'version of the chunker that made the chunks';
COMMENT ON COLUMN embedding_metadata.created_at IS 'when the model was recorded';

CREATE TABLE disk_files (
    repository_id BIGINT,
    path          VARCHAR,
    is_dir        BOOLEAN,
    ignored       BOOLEAN,
    ignore_rule   VARCHAR,
    language      VARCHAR,
    size          BIGINT,
    sha256        VARCHAR,
    line_count    INTEGER,
    skip_reason   VARCHAR
);
COMMENT ON TABLE disk_files IS 'what a fresh scan of the repositories found on disk at the last refresh';
COMMENT ON COLUMN disk_files.repository_id IS 'its repository';
COMMENT ON COLUMN disk_files.path IS 'path relative to the repository root, / separated';
COMMENT ON COLUMN disk_files.is_dir IS 'true for an ignored folder (its contents are not walked)';
COMMENT ON COLUMN disk_files.ignored IS 'true when an ignore rule excludes the path';
COMMENT ON COLUMN disk_files.ignore_rule IS 'the rule that did, e.g. ".gitignore: *.log" or "default: node_modules/"';
COMMENT ON COLUMN disk_files.language IS 'language detected from the name or shebang';
COMMENT ON COLUMN disk_files.size IS 'bytes; NULL for ignored paths (not read)';
COMMENT ON COLUMN disk_files.sha256 IS 'hash of the content; NULL when not read (ignored, too large, unreadable)';
COMMENT ON COLUMN disk_files.line_count IS 'lines of an indexable file; 0 when it would be skipped';
COMMENT ON COLUMN disk_files.skip_reason IS 'why an index run would skip the file now; NULL when it would index it';

CREATE TABLE definitions (
    id            BIGINT,
    file_id       BIGINT,
    repository_id BIGINT,
    path          VARCHAR,
    module        VARCHAR,
    language      VARCHAR,
    name          VARCHAR,
    qualname      VARCHAR,
    kind          VARCHAR,
    line          INTEGER,
    col           INTEGER,
    end_line      INTEGER,
    scope         VARCHAR
);
COMMENT ON TABLE definitions IS 'every definition of the project''s code (functions, classes, methods, ...)';
COMMENT ON COLUMN definitions.id IS 'definition id (definition_id and target_id in symbol_refs)';
COMMENT ON COLUMN definitions.file_id IS 'its file';
COMMENT ON COLUMN definitions.repository_id IS 'its repository';
COMMENT ON COLUMN definitions.path IS 'path of its file';
COMMENT ON COLUMN definitions.module IS 'the module its file is, by path: shop/cart.py is shop.cart';
COMMENT ON COLUMN definitions.language IS 'language of its file';
COMMENT ON COLUMN definitions.name IS 'its name, e.g. request';
COMMENT ON COLUMN definitions.qualname IS 'its qualified name in its file, e.g. Session.request';
COMMENT ON COLUMN definitions.kind IS 'function, method, class, ...';
COMMENT ON COLUMN definitions.line IS 'line of its name, from 1';
COMMENT ON COLUMN definitions.col IS 'column of its name, from 1';
COMMENT ON COLUMN definitions.end_line IS 'last line of its body';
COMMENT ON COLUMN definitions.scope IS 'qualified name of the definition it sits in; empty at module level';

CREATE TABLE symbol_refs (
    file_id       BIGINT,
    repository_id BIGINT,
    path          VARCHAR,
    language      VARCHAR,
    name          VARCHAR,
    qualifier     VARCHAR,
    kind          VARCHAR,
    line          INTEGER,
    col           INTEGER,
    scope         VARCHAR,
    definition_id BIGINT,
    target_id     BIGINT,
    resolution    VARCHAR
);
COMMENT ON TABLE symbol_refs IS 'every use of a name, resolved as the symbol questions resolve it: one row per definition it may mean';
COMMENT ON COLUMN symbol_refs.file_id IS 'the file it is in';
COMMENT ON COLUMN symbol_refs.repository_id IS 'its repository';
COMMENT ON COLUMN symbol_refs.path IS 'path of its file';
COMMENT ON COLUMN symbol_refs.language IS 'language of its file';
COMMENT ON COLUMN symbol_refs.name IS 'the name used';
COMMENT ON COLUMN symbol_refs.qualifier IS 'what it was reached through (self, os.path); empty for a bare name';
COMMENT ON COLUMN symbol_refs.kind IS 'call, import, inherit, attribute, decorator or type';
COMMENT ON COLUMN symbol_refs.line IS 'line, from 1';
COMMENT ON COLUMN symbol_refs.col IS 'column, from 1';
COMMENT ON COLUMN symbol_refs.scope IS 'qualified name of the definition it sits in; empty at module level';
COMMENT ON COLUMN symbol_refs.definition_id IS 'definitions.id of the definition it sits in; NULL at module level';
COMMENT ON COLUMN symbol_refs.target_id IS 'definitions.id of the definition it means; NULL when outside the project';
COMMENT ON COLUMN symbol_refs.resolution IS 'how: import, scope, self, name-only (matched by name alone), external';

CREATE TABLE module_imports (
    file_id       BIGINT,
    importer      VARCHAR,
    importer_path VARCHAR,
    imported      VARCHAR,
    imported_path VARCHAR,
    line          INTEGER
);
COMMENT ON TABLE module_imports IS 'which module imports which (Python): one row per importing file and imported module';
COMMENT ON COLUMN module_imports.file_id IS 'the importing file';
COMMENT ON COLUMN module_imports.importer IS 'the importing module, by path';
COMMENT ON COLUMN module_imports.importer_path IS 'path of the importing file';
COMMENT ON COLUMN module_imports.imported IS 'the module imported: the project''s by its path (shop.cart), else as written; from pkg import mod names pkg.mod';
COMMENT ON COLUMN module_imports.imported_path IS 'its file in the project; NULL when outside it (the standard library, a dependency)';
COMMENT ON COLUMN module_imports.line IS 'first line importing it';

CREATE VIEW definition_uses AS
SELECT target_id, count(*) AS refs, count(*) FILTER (WHERE kind = 'call') AS calls,
       count(DISTINCT file_id) AS files
FROM symbol_refs
-- From anywhere but the definition's own body: recursion is no use.
WHERE target_id IS NOT NULL AND definition_id IS DISTINCT FROM target_id
GROUP BY target_id;
COMMENT ON VIEW definition_uses IS 'per definition referenced, the references to it from outside its own body';
COMMENT ON COLUMN definition_uses.target_id IS 'definitions.id';
COMMENT ON COLUMN definition_uses.refs IS 'references of every kind';
COMMENT ON COLUMN definition_uses.calls IS 'calls';
COMMENT ON COLUMN definition_uses.files IS 'files they are in';

-- Which project and schema version the file holds; anything else is rebuilt from scratch.
CREATE TABLE _meta (
    schema_version     INTEGER,
    project_id         VARCHAR,
    project_created_us BIGINT
);

-- What the chunks table holds for each file, so that a refresh copies only what changed.
CREATE TABLE _synced (
    file_id      BIGINT,
    indexed_at   TIMESTAMPTZ,
    chunk_count  BIGINT,
    max_chunk_id BIGINT,
    awaiting     BIGINT
);

-- The symbols generation the symbol tables were copied at: unchanged, they are kept as they are.
CREATE TABLE _symbols_synced (
    generation BIGINT,
    table_oid  BIGINT
);

CREATE VIEW file_status AS
SELECT
    coalesce(d.repository_id, f.repository_id) AS repository_id,
    r.name AS repository,
    coalesce(d.path, f.path) AS path,
    coalesce(f.language, d.language) AS language,
    d.path IS NOT NULL AS on_disk,
    coalesce(f.status, 'not_indexed') AS status,
    f.skip_reason,
    CASE
        WHEN d.path IS NULL THEN 'deleted'
        WHEN f.id IS NULL THEN 'added'
        -- as the indexer decides: by content hash and skip reason, never by time
        WHEN d.sha256 IS DISTINCT FROM f.sha256 THEN 'modified'
        WHEN d.skip_reason IS DISTINCT FROM f.skip_reason THEN 'modified'
    END AS change,
    d.size AS disk_size,
    f.size AS indexed_size,
    d.sha256 AS disk_sha256,
    f.sha256 AS indexed_sha256,
    d.skip_reason AS disk_skip_reason,
    f.id AS file_id,
    f.indexed_at
FROM (SELECT * FROM disk_files WHERE NOT ignored AND NOT is_dir) AS d
FULL JOIN files AS f ON f.repository_id = d.repository_id AND f.path = d.path
LEFT JOIN repositories AS r ON r.id = coalesce(d.repository_id, f.repository_id);
COMMENT ON VIEW file_status IS 'one row per file on disk (not ignored) or in the index: the two compared';
COMMENT ON COLUMN file_status.repository_id IS 'its repository';
COMMENT ON COLUMN file_status.repository IS 'name of its repository';
COMMENT ON COLUMN file_status.path IS 'path relative to the repository root';
COMMENT ON COLUMN file_status.language IS 'language from the index, else from the disk scan';
COMMENT ON COLUMN file_status.on_disk IS 'true when the scan found it and no ignore rule excludes it';
COMMENT ON COLUMN file_status.status IS 'indexed, skipped or failed as the index has it; not_indexed when the index has no row';
COMMENT ON COLUMN file_status.skip_reason IS 'the index''s skip reason';
COMMENT ON COLUMN file_status.change IS 'how the index is stale: added (on disk, not in the index), modified (hash or skip reason differs), deleted (in the index, gone or ignored on disk); NULL when up to date';
COMMENT ON COLUMN file_status.disk_size IS 'bytes on disk';
COMMENT ON COLUMN file_status.indexed_size IS 'bytes when indexed';
COMMENT ON COLUMN file_status.disk_sha256 IS 'hash on disk';
COMMENT ON COLUMN file_status.indexed_sha256 IS 'hash when indexed';
COMMENT ON COLUMN file_status.disk_skip_reason IS 'why an index run would skip it now';
COMMENT ON COLUMN file_status.file_id IS 'files.id; NULL when not in the index';
COMMENT ON COLUMN file_status.indexed_at IS 'files.indexed_at';
"""
