"""Embedding throughput against 1, 2 and 4 Ollama servers listed in OLLAMA_HOST.

    python benchmarks/embed_servers.py [--texts 1024] [--delay 0.05] [--batch 32] [--repeat 3]

Each server is a local fake that speaks Ollama's API (tests/fake_ollama.py) and takes
``--delay`` seconds per request, one request at a time, like a server whose model embeds
one batch at a time. Prints texts/s per server count (best and median of the repeats),
the speed-up over one server, and how the requests were spread.
"""

from __future__ import annotations

import argparse
import statistics
import time
from contextlib import ExitStack

from codelens._embed.ollama import OllamaEmbedder
from tests.fake_ollama import FakeOllama

# Small vectors: the fakes run in this process, and hashing 768 floats per text would
# measure them rather than the spreading.
MODEL = "bench-embed"
DIMENSIONS = 32


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=1024)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    texts = [f"def function_{i}(value): return value * {i}" for i in range(args.texts)]
    requests = -(-args.texts // args.batch)
    print(
        f"{args.texts} texts, batches of {args.batch} ({requests} requests),"
        f" {args.delay * 1000:g} ms per request per server"
    )
    base = None
    for count in (1, 2, 4):
        with ExitStack() as stack:
            fakes = [
                stack.enter_context(FakeOllama({MODEL: DIMENSIONS}, delay=args.delay))
                for _ in range(count)
            ]
            embedder = stack.enter_context(
                OllamaEmbedder(MODEL, host=",".join(f.host for f in fakes), batch_size=args.batch)
            )
            embedder.embed_documents(texts[:1])  # connections open, dimensions learnt
            rates = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                vectors = embedder.embed_documents(texts)
                rates.append(len(vectors) / (time.perf_counter() - started))
            spread = [f.served for f in fakes]
        best, median = max(rates), statistics.median(rates)
        base = base or median
        print(
            f"{count} server{'s' if count > 1 else ' '}: {best:8.0f} texts/s best,"
            f" {median:8.0f} median, x{median / base:.2f}; requests per server {spread}"
        )


if __name__ == "__main__":
    main()
