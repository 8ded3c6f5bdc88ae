-- One row per index run, so that history and analysis can say when and how each run went.
CREATE TABLE index_runs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    repository_id bigint NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    status        text NOT NULL DEFAULT 'running'
                  CHECK (status IN ('running', 'completed', 'interrupted', 'failed')),
    report        jsonb NOT NULL DEFAULT '{{}}'::jsonb
);

ALTER TABLE change_events ADD COLUMN run_id bigint REFERENCES index_runs (id) ON DELETE SET NULL;
