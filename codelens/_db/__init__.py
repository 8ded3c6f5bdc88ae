"""PostgreSQL: the embedded server, the pool, project ids, migrations, the project handle."""
