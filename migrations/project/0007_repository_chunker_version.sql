-- Which chunker cut each repository's files. The project-wide version in
-- embedding_metadata was set by whichever repository ran first after an upgrade, so the
-- project's other repositories kept the older chunks; each repository now says its own.
ALTER TABLE repositories ADD COLUMN chunker_version text;
UPDATE repositories SET chunker_version = (SELECT chunker_version FROM embedding_metadata LIMIT 1);
