"""The static code model: its tokenizer, the bundled table, and damaged model files."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from codelens._embed.base import Embedder
from codelens._embed.registry import get_embedder, resolve_embedder_spec
from codelens._embed.static import (
    DEFAULT_STATIC_SPEC,
    STATIC_MODEL_FILE,
    STATIC_MODEL_NAME,
    StaticEmbedder,
    load_static_model,
    save_static_model,
)
from codelens._embed.static_tokens import StaticTokenizer, identifier_pieces
from codelens.errors import EmbedderUnavailable
from tests.unit.test_embed_local import no_network

ROOT = Path(__file__).resolve().parents[2]
CODE = [
    "json_codec.py: parse_document\ndef parse_document(text):\n    return json.loads(text)",
    "mailer.py: send_receipt\ndef send_receipt(address, body):\n    smtp.sendmail(address, body)",
    "geometry.py: Circle.area\ndef area(self):\n    return math.pi * self.radius ** 2",
]


@pytest.fixture(scope="module")
def bundled() -> StaticEmbedder:
    embedder = StaticEmbedder()
    with no_network() as attempts:
        embedder.embed_query("load")
    assert attempts == []
    return embedder


def test_identifiers_split_at_underscores_case_changes_and_digits() -> None:
    assert identifier_pieces("getHTTPResponse_code") == ["get", "http", "response", "code"]
    assert identifier_pieces("parse2json") == ["parse", "2", "json"]
    assert identifier_pieces("__init__") == ["init"]
    assert identifier_pieces("Café_naïve") == ["café", "naïve"]


def test_tokens_are_whole_identifiers_pieces_and_wordpieces() -> None:
    vocab = ["max_length", "max", "length", "get", "at", "##tr", "cafe", "value"]
    tokenizer = StaticTokenizer({w: i for i, w in enumerate(vocab)})
    names = [vocab[i] for i in tokenizer.ids("maxLength = getAttr(café) + ???; zzz value")]
    # zzz is unknown (no ##-pieces for it): dropped, as punctuation is.
    assert names == ["max_length", "max", "length", "get", "at", "##tr", "cafe", "value"]
    assert tokenizer.ids("value value value", limit=2) == [7, 7]


def test_the_registry_names_and_builds_the_static_embedder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert resolve_embedder_spec("static") == DEFAULT_STATIC_SPEC
    assert resolve_embedder_spec(f"static:{STATIC_MODEL_NAME.upper()}") == DEFAULT_STATIC_SPEC
    monkeypatch.setenv("CODELENS_EMBEDDER", "static")
    assert resolve_embedder_spec() == DEFAULT_STATIC_SPEC
    embedder = get_embedder("static")
    assert isinstance(embedder, StaticEmbedder)
    assert isinstance(embedder, Embedder)
    assert embedder.name == DEFAULT_STATIC_SPEC


def test_the_bundled_model_embeds_offline_into_unit_vectors(bundled: StaticEmbedder) -> None:
    vectors, counts = bundled.embed_counted(CODE)
    assert vectors.shape == (3, bundled.dimensions)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert counts == bundled.count_tokens(CODE)
    assert all(c > 5 for c in counts)
    assert STATIC_MODEL_FILE.stat().st_size <= 32 * 1024 * 1024


def test_vectors_are_deterministic_and_independent_of_the_batch(bundled: StaticEmbedder) -> None:
    together = bundled.embed_documents(CODE)
    for i, text in enumerate(CODE):
        np.testing.assert_array_equal(bundled.embed_documents([text])[0], together[i])
        np.testing.assert_array_equal(bundled.embed_query(text), together[i])
    reversed_batch = bundled.embed_documents(CODE[::-1])
    np.testing.assert_array_equal(reversed_batch[::-1], together)
    again = StaticEmbedder().embed_documents(CODE)  # a fresh load of the file
    np.testing.assert_array_equal(again, together)
    loaded = load_static_model(bundled.model_file)  # what the training script compares
    np.testing.assert_array_equal(loaded.embed(CODE), together)


def test_a_question_is_closest_to_the_code_it_describes(bundled: StaticEmbedder) -> None:
    code = bundled.embed_documents(CODE)
    questions = ["read a json string into objects", "mail a receipt", "surface of a round shape"]
    scores = np.stack([bundled.embed_query(q) for q in questions]) @ code.T
    assert list(scores.argmax(axis=1)) == [0, 1, 2]


def test_a_text_without_known_words_still_gets_a_unit_vector(bundled: StaticEmbedder) -> None:
    vector = bundled.embed_query("?? !! ::")
    assert np.isclose(np.linalg.norm(vector), 1.0)


def test_a_windowed_text_counts_all_its_tokens(bundled: StaticEmbedder) -> None:
    long = "alpha beta " * 400
    vectors, counts = bundled.embed_counted([long, "alpha beta " * 128])
    assert counts[0] == bundled.count_tokens([long])[0] > bundled.max_tokens
    np.testing.assert_array_equal(vectors[0], vectors[1])  # cut to the window


def test_the_model_loads_in_a_fresh_process_without_torch_or_onnxruntime() -> None:
    script = (
        "import sys; from codelens._embed.static import StaticEmbedder;"
        "v = StaticEmbedder().embed_query('open a file');"
        "print(v.shape[0], 'torch' in sys.modules, 'onnxruntime' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.split() == ["256", "False", "False"]


def test_the_shipped_record_matches_the_model_file() -> None:
    record = json.loads(STATIC_MODEL_FILE.with_suffix(".json").read_text())
    assert record["file_sha256"] == hashlib.sha256(STATIC_MODEL_FILE.read_bytes()).hexdigest()
    assert record["meta"] == load_static_model(STATIC_MODEL_FILE).meta
    with np.load(STATIC_MODEL_FILE) as data:
        table = data["vectors"].tobytes() + data["vocab"].tobytes()
    assert record["table_sha256"] == hashlib.sha256(table).hexdigest()


def _one_line_error(path: Path) -> str:
    with pytest.raises(EmbedderUnavailable) as caught:
        StaticEmbedder(path).embed_query("anything")
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    assert "pip install --force-reinstall codelens" in message
    return message


def test_a_missing_model_file_is_a_one_line_error(tmp_path: Path) -> None:
    assert "is missing" in _one_line_error(tmp_path / "gone.npz")


def test_a_corrupt_model_file_is_a_one_line_error(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip archive at all\n" * 10)
    assert "is damaged" in _one_line_error(garbage)

    cut = tmp_path / "cut.npz"
    cut.write_bytes(STATIC_MODEL_FILE.read_bytes()[:100_000])
    assert "is damaged" in _one_line_error(cut)

    lacking = tmp_path / "lacking.npz"
    np.savez(lacking, vectors=np.zeros((2, 4), dtype=np.float16))
    assert "no vocab, meta" in _one_line_error(lacking)

    stray = tmp_path / "stray.npz"
    save_static_model(stray, ["a", "b"], np.ones((2, 4), dtype=np.float16), {})
    with zipfile.ZipFile(stray, "a") as archive:
        archive.writestr("extra.npy", b"")  # a stray member does not matter
    assert StaticEmbedder(stray).embed_query("a").shape == (4,)
    broken = tmp_path / "nan.npz"
    save_static_model(broken, ["a"], np.full((1, 4), np.nan, dtype=np.float16), {})
    assert "NaN" in _one_line_error(broken)


def test_saving_refuses_a_vocabulary_that_does_not_fit_the_table(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="one vector per vocabulary entry"):
        save_static_model(tmp_path / "m.npz", ["a"], np.ones((2, 4), dtype=np.float16), {})


def test_a_retired_static_model_is_refused_with_the_fix() -> None:
    with pytest.raises(EmbedderUnavailable) as caught:
        resolve_embedder_spec("static:static-code-v1")
    said = str(caught.value)
    assert said.startswith("static:static-code-v1 is no longer shipped")
    assert DEFAULT_STATIC_SPEC in said and "use 'static'" in said
    assert resolve_embedder_spec("static") == DEFAULT_STATIC_SPEC != "static:static-code-v1"
