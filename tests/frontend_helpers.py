"""A small repository to index, and widget lookups by CSS class, for the notebook-front tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

FILES = {
    "billing/invoice.py": '''"""Invoices and their totals."""


def compute_invoice_total(items, tax_rate):
    """Sum the price of every line item and add the sales tax."""
    subtotal = sum(item.price * item.quantity for item in items)
    return round(subtotal * (1 + tax_rate), 2)


class Invoice:
    """An invoice sent to a customer."""

    def __init__(self, customer, items):
        self.customer = customer
        self.items = list(items)

    def total(self, tax_rate=0.2):
        return compute_invoice_total(self.items, tax_rate)
''',
    "net/http.py": '''"""A tiny HTTP parser."""


def parse_http_response(raw):
    """Split a raw HTTP response into its status line, its headers and its body."""
    head, _, body = raw.partition(b"\\r\\n\\r\\n")
    lines = head.decode("latin-1").split("\\r\\n")
    status = lines[0]
    version, code, reason = status.split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        key = name.strip().lower()
        if key in headers:
            headers[key] = headers[key] + ", " + value.strip()
        else:
            headers[key] = value.strip()
    length = headers.get("content-length")
    if length is not None and len(body) != int(length):
        raise ValueError("truncated HTTP body")
    chunked = headers.get("transfer-encoding") == "chunked"
    return {"version": version, "code": int(code), "reason": reason,
            "headers": headers, "body": body, "chunked": chunked}  # LAST LINE OF PARSER
''',
    "web/chart.js": """// Charts for the dashboard.

function renderChart(canvas, points) {
  const ctx = canvas.getContext("2d");
  ctx.beginPath();
  points.forEach((p, i) => (i === 0 ? ctx.moveTo(p.x, p.y) : ctx.lineTo(p.x, p.y)));
  ctx.stroke();
}

module.exports = { renderChart };
""",
}


# Documentation beside the code, for the code/docs filter of every front end.
README = {
    "README.md": "# Shop\n\nThe invoice total adds the sales tax to the price of every line"
    " item.\nCall compute_invoice_total with the items and the tax rate.\n"
}


def write_repo(root: Path, files: dict[str, str] | None = None) -> Path:
    for relative, text in (files or FILES).items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


def walk(widget: Any) -> Iterator[Any]:
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def find_all(widget: Any, css_class: str) -> list[Any]:
    return [w for w in walk(widget) if css_class in getattr(w, "_dom_classes", ())]


def find(widget: Any, css_class: str) -> Any:
    found = find_all(widget, css_class)
    assert len(found) == 1, f"{len(found)} widgets with class {css_class}"
    return found[0]


def with_password(url: str, secret: str) -> str:
    """The embedded server's URL carrying a password: the server trusts its socket, so the
    password is sent and ignored, and each front end works while its output is checked."""
    carried = url.replace("postgresql://postgres@", f"postgresql://postgres:{secret}@")
    assert secret in carried
    return carried
