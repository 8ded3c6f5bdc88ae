"""Runs of numbers are left out of the embedded text; a table's window is embedded as nothing,
and nothing is given the zero vector without a call to the model."""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest

from codelens._chunk import number_runs
from codelens._chunk.chunker import Chunk, embedding_text
from codelens._chunk.number_runs import meaningful_text
from codelens._embed.static import StaticEmbedder
from codelens._embed.texts import embed_texts

TABLE = "static const uint8_t kLog2Table[256] = {\n  0, 0, 1, 1, 2, 2, 2, 2,\n  3, 3, 3, 3, 3,"
WINDOW = "  0x5a3c, 0x1f00, 0xbeef, 0xcafe,\n  0x0001, 0x0002, 0x0003, 0x0004,\n};"


def test_a_run_of_numbers_becomes_an_ellipsis_and_the_words_stay() -> None:
    assert meaningful_text(TABLE) == "static const uint8_t kLog2Table[256] = {\n   … ,"
    assert meaningful_text("weights = [0.25, -1.5e3, 3.0f, 4, 5, 6, 7, 8]  # per class") == (
        "weights = [ … ]  # per class"
    )


def test_a_window_of_a_table_is_nothing_to_embed() -> None:
    assert meaningful_text(WINDOW) == ""
    assert meaningful_text("1 2 3 4 5 6 7 8 9 10\n11 12 13 14 15 16 17 18") == ""
    chunk = Chunk(3, "", "module", 40, 42, WINDOW, "", 0)
    assert embedding_text("enc/table.h", chunk) == ""


@pytest.mark.parametrize(
    ("code", "embedded"),
    [
        # A few numbers, one short of a run, numbers between words: code, kept as it is.
        ("for i in range(0, 10, 2):\n    total += i", None),
        ("shape = (1, 2, 3, 4, 5, 6, 7)", None),
        ("assert add(1, 2) == 3 and add(4, 5) == 9 and add(6, 7) == 13", None),
        # A run beside enough words: the run goes, the words stay.
        (
            "def primes():\n    return [2, 3, 5, 7, 11, 13, 17, 19]",
            "def primes():\n    return [ … ]",
        ),
    ],
)
def test_code_with_numbers_keeps_its_words(code: str, embedded: str | None) -> None:
    assert meaningful_text(code) == (code if embedded is None else embedded)


class _Counting:
    """The bundled static model, counting the texts it is asked to embed."""

    def __init__(self, model: StaticEmbedder) -> None:
        self.model = model
        self.asked: list[str] = []

    @property
    def dimensions(self) -> int:
        return self.model.dimensions

    def embed_counted(self, texts: Sequence[str]) -> tuple[npt.NDArray[np.float32], list[int]]:
        self.asked.extend(texts)
        return self.model.embed_counted(texts)


def test_nothing_gets_the_zero_vector_and_never_reaches_the_model() -> None:
    model = _Counting(StaticEmbedder())
    texts = ["a.py: f\ndef f():\n    return 1", "", "b.py: g\ndef g(x):\n    return x"]
    vectors, counts = embed_texts(model, texts)  # type: ignore[arg-type]
    assert model.asked == [texts[0], texts[2]]
    alone, tokens = model.model.embed_counted([texts[0], texts[2]])
    assert np.array_equal(vectors[[0, 2]], alone)
    assert not vectors[1].any()
    assert counts == [tokens[0], 0, tokens[1]]
    only_nothing, none = embed_texts(model, ["", ""])  # type: ignore[arg-type]
    assert only_nothing.shape == (2, model.dimensions) and not only_nothing.any()
    assert none == [0, 0]
    assert len(model.asked) == 2


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    ("text", "embedded"),
    [
        # Long strings that a backtracking pattern cuts every way: each is one pass now.
        ("1" * 200_000, "1" * 200_000),
        ("1." * 100_000, "1." * 100_000),
        ("-+" * 100_000 + "1", "-+" * 100_000 + "1"),
        (", ".join(["7"] * 50_000) + " x", ""),
        (
            "static const uint32_t kData[] = {" + ", ".join(f"0x{i:08x}" for i in range(50_000)),
            "static const uint32_t kData[] = { … ",
        ),
    ],
)
def test_long_texts_take_one_pass(text: str, embedded: str) -> None:
    assert meaningful_text(text) == embedded


def test_digits_inside_names_are_no_numbers() -> None:
    names = "x86, utf8, md5, sha256, int32, uint64, float16, v2, h264, base64 end"
    assert meaningful_text(names) == names
    assert meaningful_text("version 1.2.3.4.5.6.7.8.9") == "version 1.2.3.4.5.6.7.8.9"


def test_the_quick_check_never_misses_a_run() -> None:
    # The quick check must find every text the run pattern changes: random texts over the
    # characters numbers, separators and names are made of.
    rng = random.Random(7)
    alphabet = "0123456789" * 3 + "  ,,;{}()[]\n" + "-+.eExXbuUlLfFa_z"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(8, 60)))
        assert number_runs._MAYBE_RUN.search(text) or number_runs._RUN.search(text) is None, text
    tables = ["-1, +2.5e-3, 0x1F, 0b101, 7u, 8UL, 9.f, 10", "{1,2},{3,4},{5,6},{7,8}"]
    for text in tables:
        assert number_runs._RUN.search(text) and number_runs._MAYBE_RUN.search(text), text
