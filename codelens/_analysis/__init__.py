"""DuckDB over a snapshot of the index and a scan of the disk."""
