-- A project's tables. Run with search_path set to the project's schema;
-- {project_id} is the validated id, bound as a literal by psycopg.sql.

CREATE TABLE repositories (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    root_path       text NOT NULL UNIQUE,
    name            text NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_indexed_at timestamptz
);

CREATE TABLE files (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    repository_id bigint NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    path          text NOT NULL,
    language      text,
    size          bigint NOT NULL CHECK (size >= 0),
    sha256        text,
    line_count    integer NOT NULL DEFAULT 0,
    status        text NOT NULL CHECK (status IN ('indexed', 'skipped', 'failed')),
    skip_reason   text,
    error         text,
    indexed_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (repository_id, path),
    CHECK ((status = 'skipped') = (skip_reason IS NOT NULL))
);

CREATE TABLE embedding_metadata (
    id                   smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    model_name           text NOT NULL,
    embedding_dimensions integer NOT NULL CHECK (embedding_dimensions > 0),
    max_tokens           integer NOT NULL,
    document_prefix      text NOT NULL DEFAULT '',
    query_prefix         text NOT NULL DEFAULT '',
    chunker_version      text NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now()
);

-- The embedding column gets its dimension (vector(D)) when the project is first indexed.
CREATE TABLE chunks (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_id       bigint NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    repository_id bigint NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    project_id    text NOT NULL CHECK (project_id = {project_id}),
    chunk_index   integer NOT NULL CHECK (chunk_index >= 0),
    path          text NOT NULL,
    symbol        text NOT NULL DEFAULT '',
    kind          text NOT NULL,
    language      text,
    start_line    integer NOT NULL CHECK (start_line >= 1),
    end_line      integer NOT NULL,
    content       text NOT NULL,
    content_hash  text NOT NULL,
    token_count   integer NOT NULL CHECK (token_count >= 0),
    truncated     boolean NOT NULL,
    embedding     vector NOT NULL,
    UNIQUE (file_id, chunk_index),
    CHECK (end_line >= start_line)
);
CREATE INDEX chunks_content_hash ON chunks (content_hash);
CREATE INDEX chunks_repository ON chunks (repository_id);

CREATE TABLE change_events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    repository_id bigint NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    path          text NOT NULL,
    change        text NOT NULL CHECK (change IN ('added', 'modified', 'deleted')),
    detected_at   timestamptz NOT NULL DEFAULT now(),
    indexed_at    timestamptz
);
CREATE INDEX change_events_repository ON change_events (repository_id, detected_at);
