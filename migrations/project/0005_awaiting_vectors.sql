-- Chunks are stored first and embedded behind: a chunk awaits its vector (and the token
-- count that comes from the same tokenization) until the model has embedded it. A vector
-- is written whole or not at all, so the three are NULL together or set together.
ALTER TABLE chunks ALTER COLUMN embedding DROP NOT NULL;
ALTER TABLE chunks ALTER COLUMN token_count DROP NOT NULL;
ALTER TABLE chunks ALTER COLUMN truncated DROP NOT NULL;
ALTER TABLE chunks ADD CONSTRAINT chunks_vector_whole CHECK (
    (embedding IS NULL) = (token_count IS NULL) AND (embedding IS NULL) = (truncated IS NULL)
);
-- What the embedded text adds between the path line and the code: the signature that a
-- part of a long definition repeats. Stored so that a chunk awaiting its vector can be
-- embedded later from its row alone, from the very text its content_hash was taken of.
ALTER TABLE chunks ADD COLUMN embed_header text NOT NULL DEFAULT '';
-- "What awaits a vector" is asked by every embedding batch, search and status: keep it cheap.
CREATE INDEX chunks_awaiting_vector ON chunks (id) WHERE embedding IS NULL;
