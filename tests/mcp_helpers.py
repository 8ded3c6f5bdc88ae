"""Shared by the MCP and CLI tests: a small repository, a child's environment, job polling."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

from codelens import Settings, Workspace
from tests.frontend_helpers import README

FILES = {
    "pkg/billing.py": (
        "def compute_invoice_total(items, tax_rate):\n"
        '    """Sum the line items of an invoice and add the sales tax."""\n'
        "    subtotal = sum(item.price * item.quantity for item in items)\n"
        "    return round(subtotal * (1 + tax_rate), 2)\n"
    ),
    "pkg/sub/dates.py": (
        "from datetime import date\n\n\n"
        "def parse_iso_date(text):\n"
        '    """Parse a YYYY-MM-DD string into a date object."""\n'
        "    year, month, day = (int(part) for part in text.split('-'))\n"
        "    return date(year, month, day)\n"
    ),
    "web/app.js": (
        "function renderShoppingCart(cart) {\n"
        "  // Draw every item of the shopping cart with its price and the invoice total\n"
        "  return cart.items.map((item) => `${item.name}: ${item.price}`).join('\\n');\n"
        "}\n"
    ),
    "pkg/__init__.py": "",
}


def make_repo(root: Path, *, extra_modules: int = 0, docs: bool = False) -> Path:
    """A repository with Python and JavaScript in nested folders, plus ``extra_modules``
    generated modules so that a run has several batches of files, and with ``docs`` a
    README.md."""
    for rel, text in (FILES | (README if docs else {})).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for i in range(extra_modules):
        path = root / "gen" / f"module_{i:03d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"def helper_{i}(value):\n    return value * {i} + {i * 7}\n")
    return root


def child_env(settings: Settings, workspace: Workspace, **extra: str) -> dict[str, str]:
    """What a codelens child process needs to share the test session's server, offline."""
    return {
        "CODELENS_HOME": str(settings.home),
        "CODELENS_DATABASE_URL": workspace.db.url(),
        "CODELENS_EMBEDDER": "local",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        **extra,
    }


def codelens_command() -> tuple[str, list[str]]:
    return sys.executable, ["-m", "codelens"]


def run(func: Callable[[], Awaitable[Any]]) -> Any:
    return anyio.run(func)


def text_of(result: Any) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


def payload(result: Any) -> Any:
    assert not result.is_error, text_of(result)
    if result.structured_content is not None:
        return result.structured_content
    return json.loads(text_of(result))


async def poll_job(
    client: Any, job_id: str, *, timeout: float = 300.0, interval: float = 0.05
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The job's final status, and every status seen on the way."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = payload(await client.call_tool("get_indexing_status", {"job_id": job_id}))
        seen.append(status)
        if status["state"] in ("completed", "failed"):
            return status, seen
        await anyio.sleep(interval)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s: {seen[-1]}")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
