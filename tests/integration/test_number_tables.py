"""Number tables (lookup tables, byte arrays, lists of weights) are found by their words,
never by meaning: a window of numbers gets the zero vector, which meaning search skips.

Against the real server, tree-sitter and the bundled static model.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from codelens import Project, Workspace

CRC_TABLE_LINES = 32  # 8 numbers a line


def _crc_source() -> str:
    values = [(i * 0x9E3779B1) & 0xFFFFFFFF for i in range(8 * CRC_TABLE_LINES)]
    rows = [
        "    " + ", ".join(f"0x{v:08x}" for v in values[i : i + 8]) + ","
        for i in range(0, len(values), 8)
    ]
    return (
        "#include <stdint.h>\n\n"
        "/* Lookup table of the checksum, one entry per byte value. */\n"
        "static const uint32_t kCrcTable[256] = {\n" + "\n".join(rows) + "\n};\n\n"
        "/* Update a running checksum with the bytes of a buffer. */\n"
        "uint32_t crc_update(uint32_t crc, const uint8_t *data, size_t size) {\n"
        "    for (size_t i = 0; i < size; i++) {\n"
        "        crc = kCrcTable[(crc ^ data[i]) & 0xff] ^ (crc >> 8);\n"
        "    }\n"
        "    return crc;\n"
        "}\n"
    )


@pytest.fixture
def project(workspace: Workspace) -> Iterator[Project]:
    name = f"t-num-{uuid.uuid4().hex[:12]}"
    created = workspace.create(name, embedder="static")
    yield created
    if workspace.exists(name):
        workspace.drop(name, force=True)


@pytest.fixture
def indexed(project: Project, tmp_path: Path) -> Project:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "crc.c").write_text(_crc_source())
    # A file of numbers alone: every one of its chunks is a table's window.
    (repo / "weights.txt").write_text(
        "\n".join(" ".join(f"{(i * 7 + j) % 97 / 10:.2f}" for j in range(12)) for i in range(200))
    )
    project.index(repo, progress=False)
    return project


def _numbers_only(project: Project) -> list[tuple[str, int, int, float]]:
    """(path, start, end, vector norm) of the chunks with nothing but numbers in them."""
    with project.connection() as conn:
        rows = conn.execute(
            "SELECT path, start_line, end_line, vector_norm(embedding) FROM chunks"
            " WHERE content ~ '^[0-9a-fx,.;{} \\n]+$' ORDER BY path, start_line"
        ).fetchall()
    return [(str(p), int(s), int(e), float(n)) for p, s, e, n in rows]


def test_a_window_of_numbers_has_the_zero_vector_and_awaits_nothing(indexed: Project) -> None:
    windows = _numbers_only(indexed)
    assert {path for path, *_ in windows} == {"crc.c", "weights.txt"}
    assert [norm for *_, norm in windows] == [0.0] * len(windows)
    with indexed.connection() as conn:
        awaiting = conn.execute("SELECT count(*) FROM chunks WHERE embedding IS NULL").fetchone()
        # The code around the table keeps a real vector.
        code = conn.execute(
            "SELECT vector_norm(embedding) FROM chunks WHERE symbol = 'crc_update'"
        ).fetchone()
    assert awaiting == (0,)
    assert code is not None and code[0] == pytest.approx(1.0, abs=1e-3)
    # Searched by meaning, every chunk counts as covered.
    assert indexed.search("checksum of a buffer", mode="semantic").semantic_coverage is None


def test_meaning_search_never_matches_a_window_of_numbers(indexed: Project) -> None:
    windows = {(path, start, end) for path, start, end, _ in _numbers_only(indexed)}
    for question in ("update a checksum with the bytes of a buffer", "weights", "0x9e3779b1"):
        found = indexed.search(question, mode="semantic", limit=50)
        assert len(found) > 0
        matched = set(
            zip(found["path"], found["match_start_line"], found["match_end_line"], strict=True)
        )
        assert matched & windows == set(), question
    found = indexed.search("update a checksum with the bytes of a buffer", mode="semantic")
    assert "crc_update" in set(found["symbol"])
    # Filtered to few chunks, search scores every one that passes: still none of them.
    assert len(indexed.search("weights", mode="semantic", path="weights.txt")) == 0


def test_a_table_is_still_found_by_its_words_and_hybrid_scores_stay_numbers(
    indexed: Project,
) -> None:
    by_name = indexed.search("kCrcTable", mode="lexical")
    declared = by_name[(by_name["match_start_line"] <= 4) & (by_name["match_end_line"] >= 4)]
    assert list(declared["path"]) == ["crc.c"]
    # A file of numbers alone has no meaning as a whole either: its mean is the zero vector.
    for query in ("weights", "lookup table of the checksum"):
        found = indexed.search(query, limit=20)
        assert len(found) > 0
        assert all(math.isfinite(score) for score in found["score"])
