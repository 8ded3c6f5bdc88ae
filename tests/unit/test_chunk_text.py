"""Chunking without a grammar: Markdown sections and windows of lines."""

from __future__ import annotations

import itertools

from codelens._chunk.chunker import Chunk, chunk_text, embedding_text, estimate_tokens


def rows(chunks: list[Chunk]) -> list[tuple[str, str, int, int, int]]:
    return [(c.kind, c.symbol, c.start_line, c.end_line, c.part) for c in chunks]


def test_markdown_sections_are_named_by_their_heading_path() -> None:
    text = (
        "Intro line.\n"
        "\n"
        "# Guide\n"
        "Welcome.\n"
        "## Install\n"
        "Run pip.\n"
        "### Linux\n"
        "Use apt.\n"
        "## Use\n"
        "Import it.\n"
        "# FAQ #\n"
        "None yet.\n"
    )
    assert rows(chunk_text("README.md", None, text, max_tokens=256)) == [
        ("section", "", 1, 1, 0),
        ("section", "Guide", 3, 4, 0),
        ("section", "Guide > Install", 5, 6, 0),
        ("section", "Guide > Install > Linux", 7, 8, 0),
        ("section", "Guide > Use", 9, 10, 0),
        ("section", "FAQ", 11, 12, 0),
    ]


def test_a_bare_heading_opens_the_section_under_it() -> None:
    text = "# Guide\n\n## Install\nRun pip.\n\n## Use\nImport it.\n"
    assert rows(chunk_text("README.md", None, text, max_tokens=256)) == [
        ("section", "Guide > Install", 1, 4, 0),
        ("section", "Guide > Use", 6, 7, 0),
    ]


def test_hashes_in_code_fences_are_no_headings() -> None:
    text = "# Build\n\n```sh\n# configure first\n./configure\n```\n\n~~~\n# not either\n~~~\n"
    assert rows(chunk_text("a.md", "markdown", text, max_tokens=256)) == [
        ("section", "Build", 1, 10, 0),
    ]


def test_setext_headings_and_front_matter() -> None:
    text = "---\ntitle: x\n---\n\nTitle\n=====\n\nBody.\n\nPart\n----\n\nMore.\n- item\n---\n"
    assert rows(chunk_text("a.md", None, text, max_tokens=256)) == [
        ("section", "", 1, 3, 0),
        ("section", "Title", 5, 8, 0),
        ("section", "Title > Part", 10, 15, 0),  # a rule under a list item is no heading
    ]


def test_a_long_section_is_cut_at_paragraphs_with_its_heading_repeated() -> None:
    paragraphs = [
        f"Paragraph {i} explains one more detail of the installation in plain words."
        for i in range(12)
    ]
    text = "## Install\n\n" + "\n\n".join(paragraphs) + "\n"
    chunks = chunk_text("docs/guide.md", None, text, max_tokens=64)
    assert len(chunks) > 2
    assert {c.header for c in chunks} == {"## Install"}
    assert [c.part for c in chunks] == list(range(1, len(chunks) + 1))
    for c in chunks:
        assert c.content.split("\n")[0].startswith(("## Install", "Paragraph"))
        assert estimate_tokens(embedding_text("docs/guide.md", c)) <= 64
        assert embedding_text("docs/guide.md", c).startswith("docs/guide.md: Install\n## Install")


def test_text_windows_are_40_lines_that_overlap_by_5() -> None:
    text = "".join(f"line {n}\n" for n in range(1, 101))
    chunks = chunk_text("notes.txt", None, text, max_tokens=512)
    assert [(c.kind, c.start_line, c.end_line) for c in chunks] == [
        ("text", 1, 40),
        ("text", 36, 75),
        ("text", 71, 100),
    ]
    assert {c.symbol for c in chunks} == {""}


def test_text_windows_shrink_to_the_token_budget() -> None:
    text = "".join(f"word {n} " * 10 + "\n" for n in range(60))
    chunks = chunk_text("data.csv", None, text, max_tokens=64)
    assert len(chunks) > 6
    for a, b in itertools.pairwise(chunks):
        assert a.start_line < b.start_line <= a.end_line + 1
        assert estimate_tokens(embedding_text("data.csv", a)) <= 64
    assert chunks[-1].end_line == 60


def test_text_windows_skip_blank_stretches() -> None:
    text = "a\n" + "\n" * 100 + "b\n"
    chunks = chunk_text("x.log", None, text, max_tokens=256)
    assert [(c.start_line, c.end_line) for c in chunks] == [(1, 1), (102, 102)]
