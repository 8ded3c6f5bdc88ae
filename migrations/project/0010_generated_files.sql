-- A file written by a tool rather than by hand (Go's "Code generated ... DO NOT EDIT.",
-- "@generated", "auto-generated", "do not edit"): hybrid search ranks it below the code it
-- was made from (codelens._search.signals.path_prior). Its header tells, read as the
-- first 1 KB of the file's first chunk, which starts the file; one definition, used by
-- the store for every file it writes and below for the files stored before it. Written to
-- run again unharmed, as on a schema restored to an earlier migration's state.
CREATE OR REPLACE FUNCTION generated_header(t text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN left(t, 1024) ~* ('(auto-?generated|auto generated|automatically generated|'
        'generated automatically|code generated|generated code|generated file|@generated|'
        'do not edit|must not be edited)');

ALTER TABLE files ADD COLUMN IF NOT EXISTS generated boolean NOT NULL DEFAULT false;

UPDATE files f SET generated = true
FROM chunks c
WHERE c.file_id = f.id AND c.chunk_index = 0 AND generated_header(c.content);
