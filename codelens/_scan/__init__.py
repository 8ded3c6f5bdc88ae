"""Walk a repository: ignore rules, and read and classify one file."""
