-- Whether a committed chunk's changed products are on the catalog-change stream yet. A chunk commits unpublished;
-- the worker marks it once its publish returned, and publishes again, at every poll, the chunks whose publish failed,
-- so an import's products reach the search index even when the stream was away at the chunk's commit. Chunks of
-- earlier imports count as published (their publish ran, or its failure was logged, before this column existed).
ALTER TABLE catalog_import_chunks ADD COLUMN published boolean NOT NULL DEFAULT true;
ALTER TABLE catalog_import_chunks ALTER COLUMN published SET DEFAULT false;
CREATE INDEX catalog_import_chunks_unpublished ON catalog_import_chunks (committed_at) WHERE NOT published;
