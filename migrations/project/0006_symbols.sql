-- Symbols: every file's definitions, references and (Python) import bindings, as written.
-- They are stored with the file's chunks in the same transaction and replaced with them,
-- so a file's symbols are never half written. Which definition a reference means is
-- worked out when asked (codelens._symbols), so nothing stored goes stale when another
-- file changes.
CREATE TABLE definitions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_id       bigint NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    repository_id bigint NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    path          text NOT NULL,
    language      text,
    name          text NOT NULL,
    qualname      text NOT NULL,
    kind          text NOT NULL,
    line          integer NOT NULL CHECK (line >= 1),
    col           integer NOT NULL CHECK (col >= 1),
    end_line      integer NOT NULL,
    scope         text NOT NULL DEFAULT '',
    bases         text[] NOT NULL DEFAULT '{{}}'
);
CREATE INDEX definitions_file ON definitions (file_id);
CREATE INDEX definitions_name ON definitions (name);

-- A use of a name: ``qualifier`` is the dotted expression it was reached through
-- (self, os.path; '' for a bare name, '?' for an expression not followed), ``scope`` the
-- qualname of the definition it sits in ('' at module level).
CREATE TABLE symbol_refs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_id       bigint NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    repository_id bigint NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    path          text NOT NULL,
    language      text,
    name          text NOT NULL,
    qualifier     text NOT NULL DEFAULT '',
    kind          text NOT NULL,
    line          integer NOT NULL CHECK (line >= 1),
    col           integer NOT NULL CHECK (col >= 1),
    scope         text NOT NULL DEFAULT ''
);
-- Callers and references look a name up; callees read one definition's body.
CREATE INDEX symbol_refs_name ON symbol_refs (name, kind);
CREATE INDEX symbol_refs_scope ON symbol_refs (file_id, scope);

-- The names a Python file's imports bind: ``alias`` (the local name) stands for ``name``
-- of ``module`` (NULL: the module itself; '*': a star import). Relative modules are
-- stored made absolute from the file's path.
CREATE TABLE symbol_imports (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_id       bigint NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    repository_id bigint NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    path          text NOT NULL,
    alias         text NOT NULL,
    module        text NOT NULL,
    name          text,
    line          integer NOT NULL CHECK (line >= 1),
    col           integer NOT NULL CHECK (col >= 1)
);
CREATE INDEX symbol_imports_file ON symbol_imports (file_id);

-- Which extraction a file's symbols come from (NULL: stored before there were symbols).
-- An index run extracts the symbols again of every file whose version differs, without
-- touching its chunks or vectors.
ALTER TABLE files ADD COLUMN symbols_version integer;

-- Bumped after every write of symbols commits: readers cache what they load from the
-- three tables under this number and load again when it moves. A sequence, not a row,
-- so that concurrent writers never wait on each other for it.
CREATE SEQUENCE symbols_generation;
