"""The search modes and result limits that every front end offers: defined here once."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["DEFAULT_LIMIT", "DEFAULT_MODE", "MAX_LIMIT", "MODES", "Mode"]

Mode = Literal["hybrid", "semantic", "lexical"]
MODES: tuple[Mode, ...] = get_args(Mode)
DEFAULT_MODE: Mode = "hybrid"
DEFAULT_LIMIT = 10
# A page a person reads: deeper lists cost fusion and rendering time and say little more.
MAX_LIMIT = 100
