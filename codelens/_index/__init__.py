"""An index run: batches, storage, the lock, progress, the report, the vector index."""
