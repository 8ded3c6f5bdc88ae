-- A file's meaning as a whole: the normalised mean of its chunks' vectors, per model (the
-- project's own, and the first pass's), read by the file-vector ranking signal
-- (codelens._search.signals.file_vector). A model's mean is written once every chunk of
-- the file has that model's vector, in the same transaction as the last of them, and
-- rewritten with the file's chunks; the row goes with its file. No index on the vectors:
-- search reads them by file id. The embedding column takes any width, as a project's
-- model can be replaced; the first pass is 256 wide, at half precision like its chunks'.
CREATE TABLE file_vectors (
    file_id      bigint PRIMARY KEY REFERENCES files (id) ON DELETE CASCADE,
    embedding    vector,
    first_vector halfvec(256),
    CHECK (embedding IS NOT NULL OR first_vector IS NOT NULL)
);

-- Projects indexed before this table: their means, from the vectors already stored.
INSERT INTO file_vectors (file_id, embedding, first_vector)
SELECT * FROM (
    SELECT file_id,
        CASE WHEN count(embedding) = count(*) THEN l2_normalize(avg(embedding)) END,
        CASE WHEN count(first_vector) = count(*) THEN l2_normalize(avg(first_vector)) END
    FROM chunks GROUP BY file_id
) m(file_id, embedding, first_vector)
WHERE embedding IS NOT NULL OR first_vector IS NOT NULL;
