-- A first pass: a fast model's vectors (the static one, 256 dimensions, stored at half
-- precision: half the bytes, and its cosine ranks as the full one does) serve meaning
-- search until the project's own model has embedded every chunk they cover. Filled with
-- the chunks, in the same write; NULL where the project has no first pass.
ALTER TABLE chunks ADD COLUMN first_vector halfvec(256);
-- The first-pass model's name, NULL for none: a project keeps the one it was indexed with.
ALTER TABLE embedding_metadata ADD COLUMN first_pass_model text;
