-- Full-text search over code. Identifiers are split into words before PostgreSQL's parser
-- sees them, so that parseHttpResponse, parse_http_response and "parse http response" all
-- index (and query) as the same three words. The search code splits queries with the same
-- function, so index and query always agree.
CREATE FUNCTION code_words(t text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN lower(regexp_replace(regexp_replace(regexp_replace(t,
        '([[:lower:][:digit:]])([[:upper:]])', '\1 \2', 'g'),
        '([[:upper:]])([[:upper:]][[:lower:]])', '\1 \2', 'g'),
        '[^[:alnum:]]+', ' ', 'g'));

-- The symbol weighs most, then the path, then the body. The body is capped: a tsvector
-- cannot exceed 1 MB, and a chunk is embedded from its first few hundred tokens anyway.
ALTER TABLE chunks ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, code_words(symbol)), 'A')
    || setweight(to_tsvector('english'::regconfig, code_words(path)), 'B')
    || to_tsvector('english'::regconfig, code_words(left(content, 100000)))
) STORED;

CREATE INDEX chunks_search_tsv ON chunks USING gin (search_tsv);
-- Search reads word frequencies from the column's statistics (most common elements) to
-- weigh query words and bound lexical scans; 1000 keeps the 10,000 most common words.
ALTER TABLE chunks ALTER COLUMN search_tsv SET STATISTICS 1000;
-- Path filters are prefix LIKEs or anchored regexes; language filters are equalities.
CREATE INDEX chunks_path ON chunks (path text_pattern_ops);
CREATE INDEX chunks_language ON chunks (language);
