-- Access per project, enforced by PostgreSQL: a role sees a project's registry row only
-- when it may use the project's schema (granted by the project's owner with
-- `codelens grant`), so a project it cannot read is as absent as one that does not exist.
-- The registry's owner (whoever set it up) and superusers see every row, as PostgreSQL's
-- row security always lets them.
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;

-- By the schema's oid: has_schema_privilege() on a name raises for a schema that is gone.
CREATE POLICY projects_read ON projects FOR SELECT USING (
    EXISTS (SELECT FROM pg_catalog.pg_namespace n
            WHERE n.nspname = schema_name AND pg_catalog.has_schema_privilege(n.oid, 'USAGE'))
);

-- Whoever may create schemas in the database may register a project (create() inserts
-- the row, then creates the schema, which it then owns).
CREATE POLICY projects_create ON projects FOR INSERT WITH CHECK (
    pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE')
);

-- A writer records the model a project is indexed with (its first index run).
CREATE POLICY projects_record_model ON projects FOR UPDATE USING (
    EXISTS (SELECT FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = schema_name AND c.relname = 'chunks'
              AND pg_catalog.has_table_privilege(c.oid, 'INSERT'))
);

-- Only the schema's owner drops a project; a row whose schema is gone, anyone who could
-- have created it.
CREATE POLICY projects_drop ON projects FOR DELETE USING (
    EXISTS (SELECT FROM pg_catalog.pg_namespace n
            WHERE n.nspname = schema_name AND pg_catalog.pg_has_role(n.nspowner, 'USAGE'))
    OR (NOT EXISTS (SELECT FROM pg_catalog.pg_namespace n WHERE n.nspname = schema_name)
        AND pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE'))
);

GRANT USAGE ON SCHEMA codelens TO PUBLIC;
GRANT SELECT ON schema_migrations TO PUBLIC;
GRANT SELECT, INSERT, DELETE ON projects TO PUBLIC;
GRANT UPDATE (embedding_model, embedding_dimensions) ON projects TO PUBLIC;

-- The two steps of indexing that PostgreSQL keeps to a table's owner: typing the vector
-- column with the model's width (first run, or a new model) and building its HNSW index.
-- A writer who is not the owner runs them through these, as the registry's owner, which
-- created the project's tables when it created the project. Each checks that the caller
-- (session_user: the role that logged in) may write the project's chunks.
CREATE FUNCTION _writable_chunks(project_schema text) RETURNS oid
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    target oid;
BEGIN
    SELECT c.oid INTO target FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = project_schema AND c.relname = 'chunks';
    IF target IS NULL OR NOT has_table_privilege(session_user, target, 'INSERT') THEN
        RAISE EXCEPTION 'permission denied for schema %', project_schema
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN target;
END
$$;

CREATE FUNCTION type_embeddings(project_schema text, dimensions integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    target oid := codelens._writable_chunks(project_schema);
BEGIN
    EXECUTE format('DROP INDEX IF EXISTS %I.chunks_embedding_hnsw', project_schema);
    EXECUTE format('ALTER TABLE %I.chunks ALTER COLUMN embedding TYPE public.vector(%s)',
                   project_schema, dimensions);
END
$$;

CREATE FUNCTION index_embeddings(project_schema text, memory text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    target oid := codelens._writable_chunks(project_schema);
BEGIN
    PERFORM set_config('maintenance_work_mem', memory, true);
    EXECUTE format('CREATE INDEX IF NOT EXISTS chunks_embedding_hnsw ON %I.chunks'
                   ' USING hnsw (embedding public.vector_cosine_ops)', project_schema);
END
$$;
