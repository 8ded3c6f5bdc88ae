"""Embedding throughput of MiniLM in torch against ONNX Runtime (int8, and fp32), one run.

    python benchmarks/onnx_speed.py [--texts 400] [--rounds 5] [--no-fp32]

The texts are real chunks: codelens' own chunker over a few standard-library packages,
as the indexer would embed them. Each round times every embedder on the same texts, in
an order that alternates between rounds, so that load from other processes on a shared
machine hits them alike; medians of texts/s and their ratio to torch are printed, with
the cosine between each ONNX vector and torch's (mean and minimum). The ONNX files are
exported under ``--cache-dir`` (default ``<CODELENS_HOME>/models``) if missing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sysconfig
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import numpy.typing as npt

from codelens._chunk.chunker import chunk_text, embedding_text
from codelens._embed.base import Embedder
from codelens._embed.local import LocalEmbedder
from codelens._embed.onnx import OnnxEmbedder

PACKAGES = ["json", "email", "logging", "asyncio", "http", "urllib", "collections"]


def stdlib_chunks(count: int) -> list[str]:
    """``count`` embedding texts spread evenly over the chunks of ``PACKAGES``."""
    root = Path(sysconfig.get_paths()["stdlib"])
    texts: list[str] = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            rel = str(path.relative_to(root))
            source = path.read_text(encoding="utf-8")
            texts += [
                embedding_text(rel, c) for c in chunk_text(rel, "python", source, max_tokens=256)
            ]
    step = max(1, len(texts) // count)
    return texts[::step][:count]


def rate(embedder: Embedder, texts: list[str]) -> tuple[float, npt.NDArray[np.float32]]:
    start = time.perf_counter()
    vectors, _ = embedder.embed_counted(texts)
    return len(texts) / (time.perf_counter() - start), vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-fp32", action="store_true", help="leave the fp32 export out")
    parser.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args()

    texts = stdlib_chunks(args.texts)
    embedders: dict[str, Embedder] = {
        "torch": LocalEmbedder(),
        "onnx-int8": OnnxEmbedder(cache_dir=args.cache_dir),
    }
    if not args.no_fp32:
        embedders["onnx-fp32"] = OnnxEmbedder(quantized=False, cache_dir=args.cache_dir)
    for embedder in embedders.values():
        embedder.embed_documents(texts[:8])  # load (and export) outside the timing

    tokens = LocalEmbedder().count_tokens(texts)
    truncated = sum(n > 256 for n in tokens)
    import torch

    print(
        f"{len(texts)} stdlib chunks, {statistics.mean(min(n, 256) for n in tokens):.0f} tokens"
        f" on average after the 256-token window ({truncated} truncated);"
        f" torch threads {torch.get_num_threads()}, cores {os.cpu_count()}"
    )
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    rates: dict[str, list[float]] = {name: [] for name in embedders}
    vectors: dict[str, npt.NDArray[np.float32]] = {}
    names = list(embedders)
    for round_no in range(args.rounds):
        order = names if round_no % 2 == 0 else names[::-1]
        for name in order:
            texts_per_s, vectors[name] = rate(embedders[name], texts)
            rates[name].append(texts_per_s)
        line = ", ".join(f"{name} {rates[name][-1]:.1f}" for name in names)
        print(f"round {round_no + 1}: {line} texts/s (load {os.getloadavg()[0]:.2f})", flush=True)

    torch_median = statistics.median(rates["torch"])
    print(f"\nmedian texts/s over {args.rounds} rounds:")
    for name in names:
        median = statistics.median(rates[name])
        line = f"  {name:10} {median:6.1f}  x{median / torch_median:.2f} of torch"
        if name != "torch":
            cosine = np.sum(vectors[name] * vectors["torch"], axis=1)
            line += f"  cosine to torch mean {cosine.mean():.4f} min {cosine.min():.4f}"
        print(line)
    print("load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
