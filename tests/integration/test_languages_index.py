"""Every text file indexed and searchable, config grammars' pieces in the index, and a
project narrowed to some languages: a real PostgreSQL, real parses, the real model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codelens import Project, ScanOptions

SCHEMA = """-- What customers ordered.
CREATE TABLE shop.orders (
    id bigserial PRIMARY KEY,
    customer_id bigint NOT NULL
);

CREATE FUNCTION shop.order_total(p_order_id bigint) RETURNS numeric
LANGUAGE sql AS $$
    SELECT sum(quantity * unit_price) FROM shop.order_lines WHERE order_id = p_order_id
$$;
"""
TERRAFORM = """resource "aws_s3_bucket" "invoices" {
  bucket = "shop-invoices"
}
"""
RUNBOOK = """When the nightly invoice export stalls, restart the exporter pod
and replay the queue from the last acknowledged offset.
"""


def make_repo(root: Path) -> Path:
    (root / "db").mkdir(parents=True)
    (root / "db" / "schema.sql").write_text(SCHEMA)
    (root / "infra").mkdir()
    (root / "infra" / "main.tf").write_text(TERRAFORM)
    (root / "ops").mkdir()
    (root / "ops" / "RUNBOOK.ops").write_text(RUNBOOK)  # an extension no table knows
    (root / "ops" / "export").write_text("#!/usr/bin/env fish\necho exporting\n")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return root


def _rows(project: Project, query: str) -> list[tuple[Any, ...]]:
    with project.connection() as conn:
        return list(conn.execute(query))


def test_every_text_file_is_indexed_and_searchable(project: Project, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "shop")
    report = project.index(repo, progress=False)
    assert report.files_indexed == 4
    assert report.files_skipped == {"unsupported": 1}
    files = dict(_rows(project, "SELECT path, coalesce(skip_reason, language) FROM files"))
    assert files == {
        "db/schema.sql": "sql",
        "infra/main.tf": "hcl",
        "ops/RUNBOOK.ops": "text",
        "ops/export": "fish",
        "logo.png": "unsupported",
    }
    pieces = set(_rows(project, "SELECT kind, symbol FROM chunks WHERE symbol <> ''"))
    assert {
        ("table", "shop.orders"),
        ("function", "shop.order_total"),
        ("block", "aws_s3_bucket.invoices"),
    } <= pieces

    by_words = project.search("order_total", mode="lexical", limit=3)
    assert by_words.iloc[0]["symbol"] == "shop.order_total"
    by_meaning = project.search("restart the stalled invoice exporter", mode="semantic", limit=1)
    assert by_meaning.iloc[0]["path"] == "ops/RUNBOOK.ops"
    assert by_meaning.iloc[0]["language"] == "text"


def test_a_project_indexed_for_some_languages_skips_the_others(
    project: Project, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "shop")
    options = ScanOptions(languages=frozenset({"sql", "hcl"}))
    report = project.index(repo, progress=False, scan_options=options)
    assert report.files_indexed == 2
    assert report.files_skipped == {"language_excluded": 2, "unsupported": 1}
    assert set(_rows(project, "SELECT DISTINCT language FROM chunks")) == {("sql",), ("hcl",)}
