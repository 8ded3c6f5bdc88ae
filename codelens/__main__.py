"""``python -m codelens``: the same as the ``codelens`` command."""

from __future__ import annotations

from codelens._cli import main

raise SystemExit(main())
