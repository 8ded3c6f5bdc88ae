"""A real HTTP server on 127.0.0.1 that speaks enough of the Ollama API for tests.

Usage::

    with FakeOllama() as server:                       # nomic-embed-text, 768 dims
        monkeypatch.setenv("OLLAMA_HOST", server.host)
        server.fail_next(2)                            # two 500s, then normal replies
        ...
        server.embed_bodies()                          # JSON bodies of POST /api/embed

Endpoints: ``GET /``, ``GET /api/version``, ``GET /api/tags``, ``POST /api/embed``
and the legacy ``POST /api/embeddings``. Vectors are deterministic and lexical:
hashed words and identifier parts (``vector_for``), L2-normalised, so texts that
share words are closer than texts that do not. Known query/document prefixes are
ignored, so a query and a document with the same words get the same vector.

Faults: ``fail_next`` (status codes, optionally with headers such as
``Retry-After``), ``reply_next`` (any status and raw body: an HTML page, JSON of
the wrong shape), ``answer_when`` (that reply to every embed request whose input
contains a text, so one file of an index run can be broken), ``stall_next``
(sleep past a client timeout), ``drop_next`` (close the connection without an
answer), a model not in ``models`` answers 404 like Ollama, ``wrong_length``,
``wrong_count`` and ``zero_vectors`` break the reply, and ``refused_host()`` is
an address where nothing listens. ``stop()`` (or leaving the ``with``) ends
stalls and the server.

``delay``: seconds each ``POST /api/embed`` takes, one request at a time, as a server
whose model embeds one batch at a time: the throughput of several servers is measured
against it (``benchmarks/embed_servers.py``). ``served`` counts the embed requests it
answered.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeOllama", "Recorded", "Reply", "vector_for"]

_PREFIXES = (
    "search_document: ",
    "search_query: ",
    "Represent this sentence for searching relevant passages: ",
    "query: ",
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+")
_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def vector_for(text: str, dimensions: int) -> list[float]:
    """The fake's embedding of ``text``: signed hashed bag of words and identifier parts."""
    for prefix in _PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    vector = [0.0] * dimensions
    for word in _WORD.findall(text):
        parts = _PART.findall(word)
        for token in {word.lower(), *(p.lower() for p in parts if len(parts) > 1)}:
            digest = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest())
            vector[digest % dimensions] += 1.0 if digest >> 63 else -1.0
    norm = math.sqrt(sum(x * x for x in vector))
    if norm == 0:
        return [1.0] + [0.0] * (dimensions - 1)
    return [x / norm for x in vector]


def _full_name(model: str) -> str:
    _, sep, tag = model.rpartition(":")
    return model if sep and "/" not in tag else f"{model}:latest"


@dataclass(frozen=True)
class Reply:
    """An answer as sent: a ``str`` body goes out verbatim, anything else as JSON."""

    status: int
    body: Any
    content_type: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        if self.content_type is not None:
            return self.content_type
        return "text/plain; charset=utf-8" if isinstance(self.body, str) else "application/json"


@dataclass(frozen=True)
class _Fault:
    kind: str  # "reply", "stall" or "drop"
    seconds: float = 0.0
    reply: Reply | None = None


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    body: Any  # parsed JSON, or None


class FakeOllama:
    """A threaded fake Ollama server; use as a context manager."""

    def __init__(self, models: Mapping[str, int] | None = None, *, delay: float = 0.0) -> None:
        self.models = {_full_name(m): d for m, d in (models or {"nomic-embed-text": 768}).items()}
        self.delay = delay
        self.served = 0
        self._one_at_a_time = threading.Lock()
        self.wrong_length = False
        self.wrong_count = False
        self.zero_vectors = False
        self.requests: list[Recorded] = []
        self._faults: list[tuple[str, _Fault]] = []
        self._answers: list[tuple[str, Reply]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self.host = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FakeOllama:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Wake stalled handlers, stop serving and close the port; safe to call twice."""
        self._stopping.set()
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    @staticmethod
    def refused_host() -> str:
        """An address on 127.0.0.1 where nothing listens (connection refused)."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def fail_next(
        self,
        count: int,
        status: int = 500,
        path: str = "/api/embed",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next ``count`` requests to ``path`` with ``status`` (and ``headers``)."""
        body = {"error": f"fake failure {status}"}
        self.reply_next(count, body, status=status, path=path, headers=headers)

    def reply_next(
        self,
        count: int,
        body: Any,
        status: int = 200,
        *,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        path: str = "/api/embed",
    ) -> None:
        """Answer the next ``count`` requests to ``path`` with this status and body."""
        reply = Reply(status, body, content_type, dict(headers or {}))
        with self._lock:
            self._faults += [(path, _Fault("reply", reply=reply))] * count

    def answer_when(
        self, text: str, body: Any, status: int = 200, *, content_type: str | None = None
    ) -> None:
        """Answer every ``POST /api/embed`` whose input contains ``text`` with this reply."""
        with self._lock:
            self._answers.append((text, Reply(status, body, content_type)))

    def forget_answers(self) -> None:
        """Stop the replies of :meth:`answer_when`: every request is answered normally again."""
        with self._lock:
            self._answers.clear()

    def stall_next(self, count: int, seconds: float, path: str = "/api/embed") -> None:
        """Hold the next ``count`` requests to ``path`` for ``seconds`` before answering."""
        with self._lock:
            self._faults += [(path, _Fault("stall", seconds=seconds))] * count

    def drop_next(self, count: int, path: str = "/api/embed") -> None:
        """Close the next ``count`` connections to ``path`` without answering."""
        with self._lock:
            self._faults += [(path, _Fault("drop"))] * count

    def embed_bodies(self) -> list[dict[str, Any]]:
        """Bodies of every ``POST /api/embed`` so far, in arrival order."""
        with self._lock:
            return [r.body for r in self.requests if r.path == "/api/embed"]

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for i, (where, fault) in enumerate(self._faults):
                if where == path:
                    del self._faults[i]
                    return fault
        return None

    def _answer_for(self, path: str, body: Any) -> Reply | None:
        if path != "/api/embed" or not isinstance(body, dict):
            return None
        texts = body.get("input", [])
        joined = "\n".join([texts] if isinstance(texts, str) else map(str, texts))
        with self._lock:
            return next((r for text, r in self._answers if text in joined), None)

    def _answer(self, method: str, path: str, body: Any) -> Reply | None:
        with self._lock:
            self.requests.append(Recorded(method, path, body))
        fault = self._take_fault(path)
        if fault is not None and fault.kind == "stall":
            self._stopping.wait(fault.seconds)
        elif fault is not None and fault.kind == "drop":
            return None
        elif fault is not None:
            return fault.reply
        answer = self._answer_for(path, body)
        if answer is not None:
            return answer
        if path == "/" and method in ("GET", "HEAD"):
            return Reply(200, "Ollama is running")
        if (method, path) == ("GET", "/api/version"):
            return Reply(200, {"version": "0.12.0"})
        if (method, path) == ("GET", "/api/tags"):
            return Reply(200, {"models": [self._tag(name) for name in self.models]})
        if method == "POST" and path in ("/api/embed", "/api/embeddings"):
            if self.delay and path == "/api/embed":
                with self._one_at_a_time:
                    self._stopping.wait(self.delay)
                    reply = Reply(*self._embed(path, body if isinstance(body, dict) else {}))
            else:
                reply = Reply(*self._embed(path, body if isinstance(body, dict) else {}))
            with self._lock:
                self.served += 1
            return reply
        return Reply(404, "404 page not found")

    def _tag(self, name: str) -> dict[str, Any]:
        return {
            "name": name,
            "model": name,
            "modified_at": "2025-01-01T00:00:00Z",
            "size": 1,
            "digest": hashlib.sha256(name.encode()).hexdigest(),
            "details": {"format": "gguf"},
        }

    def _embed(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        model = str(body.get("model", ""))
        dimensions = self.models.get(_full_name(model))
        if dimensions is None:
            return 404, {"error": f'model "{model}" not found, try pulling it first'}
        if path == "/api/embeddings":
            return 200, {"embedding": vector_for(str(body.get("prompt", "")), dimensions)}
        texts = body.get("input", [])
        texts = [texts] if isinstance(texts, str) else list(texts)
        size = dimensions - 1 if self.wrong_length else dimensions
        vectors = [vector_for(str(t), dimensions)[:size] for t in texts]
        if self.zero_vectors:
            vectors = [[0.0] * size for _ in texts]
        if self.wrong_count:
            vectors = vectors[:-1] if vectors else [vector_for("", size)]
        return 200, {
            "model": model,
            "embeddings": vectors,
            "total_duration": 1000,
            "load_duration": 10,
            "prompt_eval_count": sum(len(t) for t in texts),
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                reply = fake._answer(self.command, self.path, body)
                if reply is None:
                    self.close_connection = True
                    return
                payload = reply.body
                data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.kind)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timeout) before the answer

            do_GET = do_POST = do_HEAD = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
