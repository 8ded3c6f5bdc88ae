"""A small multi-file Python repository for the symbol front ends and the symbol analysis.

What it holds, by design: an import cycle (``shop.cart`` and ``shop.pricing`` import each
other), a hotspot (``price`` is called from four places), an unreferenced function
(``forgotten``), a dunder method (``Cart.__len__``), a private helper (``_round``), a test
file, and entry points (``main``, called under ``if __name__ == "__main__"``, and ``start`` in
``shop/__main__.py``), and a notebook defining ``describe`` in its second cell.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

FILES = {
    "shop/__init__.py": "",
    "shop/pricing.py": '''"""Prices."""

from shop import cart


def _round(value):
    return round(value, 2)


def price(item):
    """The price of one item, rounded."""
    return _round(item["cents"] / 100)


def total(items):
    return sum(price(item) for item in items) + cart.fee()


def forgotten():
    return "nobody calls me"
''',
    "shop/cart.py": '''"""A cart."""

from shop.pricing import price


def fee():
    return 1


class Cart:
    def __init__(self, items):
        self.items = list(items)

    def __len__(self):
        return len(self.items)

    def cheapest(self):
        return min(price(item) for item in self.items)

    def dearest(self):
        return max(price(item) for item in self.items)
''',
    "cli.py": """from shop.cart import Cart
from shop.pricing import price, total


def main():
    cart = Cart([{"cents": 250}])
    print(price(cart.items[0]), total(cart.items))


if __name__ == "__main__":
    main()
""",
    "shop/__main__.py": """def start():
    return 0
""",
    "tests/test_pricing.py": """from shop.pricing import price


def test_price():
    assert price({"cents": 150}) == 1.5
""",
}


# A notebook: its code cells are Python, and its places are told by cell.
NOTEBOOK_CELLS = [
    ("markdown", "# Exploring prices"),
    ("code", "import json\n\n\ndef describe(cart):\n    return json.dumps(cart)"),
]


def write_shop(root: Path) -> Path:
    for relative, text in FILES.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(text) if kind == "code" else nbformat.v4.new_markdown_cell(text)
        for kind, text in NOTEBOOK_CELLS
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python"}
    nbformat.write(notebook, str(root / "explore.ipynb"))
    return root
