"""camelCase names reach the model as words, in the chunks it embeds and in the query."""

from __future__ import annotations

import numpy as np

from codelens._chunk.chunker import Chunk, embedding_text
from codelens._chunk.identifier_words import identifier_words
from codelens._embed.static import StaticEmbedder
from codelens._search.query import QueryCache


def test_a_change_of_case_inside_a_word_becomes_a_space() -> None:
    assert identifier_words("parseCookieHeader") == "parse Cookie Header"
    assert identifier_words("class HTTPServer(BaseHTTPRequestHandler)") == (
        "class HTTP Server(Base HTTP Request Handler)"
    )
    assert identifier_words("base64Encode(utf8String)") == "base64 Encode(utf8 String)"
    assert identifier_words("getHTTPServer IOError aB") == "get HTTP Server IO Error a B"


def test_names_in_snake_case_and_words_of_other_scripts_stay_as_they_are() -> None:
    text = "def parse_cookie_header(raw): # Read THE header, once.\n    größeÄnderung = 1"
    assert identifier_words(text) == text


def test_the_embedded_text_of_a_chunk_reads_its_names_as_words() -> None:
    code = "export function retryFailedCharge(chargeId: string) {\n  return chargeApi.retry(chargeId)\n}"
    chunk = Chunk(0, "retryFailedCharge", "function", 1, 3, code, "", 0)
    text = embedding_text("src/billing/chargeRetry.ts", chunk)
    assert text.startswith("src/billing/charge Retry.ts: retry Failed Charge\n")
    assert "return charge Api.retry(charge Id)" in text


def test_a_query_is_embedded_with_its_names_as_words() -> None:
    model = StaticEmbedder()
    cache = QueryCache()
    vector = cache.embed(model, "where is readFile called")
    assert np.allclose(vector, model.embed_query("where is read File called"))
    assert not np.allclose(vector, model.embed_query("where is readFile called"))
    # The cache is keyed by what the user typed: the same query is a hit.
    assert cache.embed(model, "where is readFile called") is vector
    assert cache.hits == 1
