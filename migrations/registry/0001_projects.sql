-- The registry: one row per project, naming the schema that holds its rows.
CREATE TABLE codelens.projects (
    id                   text PRIMARY KEY
                         CHECK (id ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(id) BETWEEN 1 AND 50),
    schema_name          text NOT NULL UNIQUE,
    description          text NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL DEFAULT now(),
    embedder             text,
    embedding_model      text,
    embedding_dimensions integer CHECK (embedding_dimensions > 0),
    settings             jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    CHECK (schema_name = 'project_' || replace(id, '-', '_'))
);
